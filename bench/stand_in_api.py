"""A small HTTP Bot API stand-in on 127.0.0.1 that enforces Telegram-like flood limits.

It answers `sendMessage` (and `getMe`) like Telegram, and answers 429 with `retry_after`
when more than `limit` messages arrived within the last `window` seconds (overall) or a
chat got two messages less than `per_chat_interval` apart. It counts what it accepted and
refused, so a benchmark (or a test) can check a sender against it:

    async with StandInApi(limit=30) as api:
        bot = Bot("1:x", session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
        ...
        api.accepted, api.refused
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any

from aiohttp import web


class StandInApi:
    def __init__(
        self,
        limit: int = 30,
        window: float = 1.0,
        per_chat_interval: float = 0.0,
        retry_after: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.limit = limit
        self.window = window
        self.per_chat_interval = per_chat_interval
        self.retry_after = retry_after
        self.host = host
        self.port = port
        self.accepted = 0
        self.refused = 0
        self.per_chat: dict[int, int] = {}
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._recent: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> StandInApi:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        return dict(await request.post())

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if method == "getMe":
            return web.json_response(
                {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Stand-in"}}
            )
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        now = time.monotonic()
        chat_id = int(params["chat_id"])
        while self._recent and now - self._recent[0] >= self.window:
            self._recent.popleft()
        too_fast_chat = (
            self.per_chat_interval > 0
            and now - self._chat_last.get(chat_id, -1e9) < self.per_chat_interval
        )
        if len(self._recent) >= self.limit or too_fast_chat:
            self.refused += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status=429,
            )
        self._recent.append(now)
        self._chat_last[chat_id] = now
        self.accepted += 1
        self.per_chat[chat_id] = self.per_chat.get(chat_id, 0) + 1
        self.first_at = self.first_at if self.first_at is not None else now
        self.last_at = now
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "message_id": next(self._ids),
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": params.get("text", ""),
                },
            }
        )
