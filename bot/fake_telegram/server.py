"""The fake Telegram over HTTP: a real server on 127.0.0.1 that speaks the Bot API.

`LocalSession` (session.py) serves the same `FakeTelegram` model in-process; this server
instead lets the bot's real `AiohttpSession`, its real polling loop and its real error
handling run over HTTP, pointed at it through `BOT_API_URL`. What a method answers (ids,
edits, "message is not modified", refusals) comes from the shared model, read from the
request as aiogram's own method object; this module adds only what belongs to the wire:
the update queue, tokens, flood limits, blocked chats, latency and the request log. Tests
use it end to end; bench/ scripts use it to measure delivery and broadcast under
Telegram-like rate limits.

Usage
-----
    async with StandInBotAPI(rate_limit=30, per_chat_limit=1) as api:
        settings = Settings(bot_api_url=api.url, bot_token="123456:TEST")
        ...                                         # start the bot against api.url
        api.push_update(api.message_update(user_id=42, text="/start"))
        sent = await api.wait_for("sendMessage", chat_id=42, timeout=5)
        sent.params["text"], sent.result["message_id"]

Construction (all optional)
    token             accept only this token (others get 401 Unauthorized); None: any token
    rate_limit        global cap, messages per second, over a sliding 1 s window, on every
                      send*/copyMessage/forwardMessage call; beyond it HTTP 429 with
                      {"ok": false, "error_code": 429, "description": "Too Many Requests:
                      retry after X", "parameters": {"retry_after": X}}
    per_chat_limit    the same cap per chat_id (Telegram: about 1 msg/s in a private chat)
    retry_after       a fixed X for the 429 answers; None: the whole seconds until the
                      window frees a slot (at least 1)
    forbidden_chats   chat ids that "blocked the bot": send*/copyMessage to them get 403
    latency           seconds every request waits before it is answered (default 0)
    bot_id/username   what getMe answers (bot_id defaults to the token's numeric part)

Feeding updates
    push_update(update)          an Update (aiogram object or dict); update_id is assigned when
                                 missing. getUpdates long-polls this queue honouring offset
                                 (confirms and drops older updates), limit and timeout, and
                                 answers [] when the timeout passes without updates.
    message_update(user_id, text, chat_id=None, first_name=..., language_code=...)
    callback_update(user_id, data, message)   message: a result dict recorded for a bot message

Forcing errors
    fail(method=None, status=400, description="Bad Request: chat not found",
         chat_id=None, times=None, retry_after=None)
                                 answers matching calls with this error (times=None: always)
    forbidden_chats              (a mutable set) see above

What it records
    requests                     every request, in order: RecordedRequest(method, params,
                                 status, result, at); params are decoded (numbers stay
                                 strings as sent, JSON objects/arrays such as reply_markup
                                 are parsed, uploaded files become UploadedFile)
    calls(method, chat_id=None)  the recorded requests of one method (successful or not)
    await wait_for(method, chat_id=None, predicate=None, timeout=5.0, after=0)
                                 the first matching successful request at index >= after;
                                 raises TimeoutError (never a bare sleep in tests)
    too_many_requests            how many 429s were answered
    delivered                    how many send*/copyMessage calls succeeded
    messages                     (chat_id, message_id) -> the message dict as it now stands

Methods answered: getUpdates and deleteWebhook here; getMe, send* (sendDocument and
sendPhoto as multipart uploads), copyMessage, forwardMessage, editMessageText/Caption/
ReplyMarkup, deleteMessage, createForumTopic, getFile and every method answering True by
the shared model (state.py); anything else answers 404 "Not Found" as Telegram does for an
unknown method. A copy, edit or delete of a message Telegram never had answers 400 as
Telegram does ("message to delete not found"…), except with record=False (below).

From a script: `api = StandInBotAPI(...); await api.start(); ...; await api.stop()`.

Long runs (benches): record=False keeps no request log and no message store (so its memory
stays flat over 100,000 sends; wait_for, calls and copies of earlier messages need the log),
only the tally below, which is kept in both modes.
    tally                        SendTally: accepted sends per chat and per method, the
                                 first and last accepted moments, the 429s answered;
                                 tally.summary() is a JSON-ready dict
    GET /stand-in/summary        the same summary over HTTP

As its own process (so that a bench measures the sender's memory alone):
    python -m bot.fake_telegram.server [--port 0] [--rate-limit 300] [--per-chat-limit N]
        [--retry-after 1] [--latency S] [--token T] [--record]
prints {"url": ...} as its first stdout line, serves until SIGTERM/SIGINT (or until its
stdin, when it is a pipe, closes), then prints the tally's summary as one JSON line and
exits. Without --record it runs with record=False.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import signal
import stat
import sys
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import methods
from aiogram.methods import TelegramMethod
from aiogram.types import BufferedInputFile, User
from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.fake_telegram.state import ApiError, FakeTelegram, LocalMessage, LocalUser, chat_id_of

SEND_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"}
)


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


@dataclass
class RecordedRequest:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    at: float = 0.0  # time.monotonic() when it arrived

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        return chat_id_of(self.params.get("chat_id"))


@dataclass
class SendTally:
    """Accepted send*/copyMessage/forwardMessage calls, counted compactly (no log)."""

    per_chat: Counter[int] = field(default_factory=Counter)
    per_method: Counter[str] = field(default_factory=Counter)
    first_at: float | None = None
    last_at: float | None = None
    too_many_requests: int = 0

    def add(self, method: str, chat_id: int | None, at: float) -> None:
        self.per_method[method] += 1
        if chat_id is not None:
            self.per_chat[chat_id] += 1
        if self.first_at is None:
            self.first_at = at
        self.last_at = at

    def summary(self) -> dict[str, Any]:
        accepted = sum(self.per_method.values())
        span = (self.last_at or 0.0) - (self.first_at or 0.0)
        return {
            "accepted": accepted,
            "by_method": dict(self.per_method),
            "chats": len(self.per_chat),
            "repeats": sum(n - 1 for n in self.per_chat.values() if n > 1),
            "min_chat": min(self.per_chat, default=None),
            "max_chat": max(self.per_chat, default=None),
            "first_at": self.first_at,
            "last_at": self.last_at,
            # (accepted - 1) intervals between the first and the last accepted send
            "rate": (accepted - 1) / span if accepted > 1 and span > 0 else None,
            "too_many_requests": self.too_many_requests,
        }


class _SlidingWindow:
    """Counts events in the last second; says how long until one more fits."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.events: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        while self.events and now - self.events[0] >= 1.0:
            self.events.popleft()
        if len(self.events) < self.per_second:
            return 0.0
        return 1.0 - (now - self.events[0])

    def add(self, now: float) -> None:
        self.events.append(now)


class StandInBotAPI:
    def __init__(
        self,
        *,
        token: str | None = None,
        rate_limit: int | None = None,
        per_chat_limit: int | None = None,
        retry_after: int | None = None,
        forbidden_chats: set[int] | frozenset[int] = frozenset(),
        latency: float = 0.0,
        bot_id: int | None = None,
        username: str = "imkon_standin_bot",
        clock: Callable[[], float] = time.monotonic,
        record: bool = True,
        port: int = 0,
    ) -> None:
        self.token = token
        self.record = record
        self.rate_limit = rate_limit
        self.per_chat_limit = per_chat_limit
        self.retry_after = retry_after
        self.forbidden_chats: set[int] = set(forbidden_chats)
        self.latency = latency
        self.bot_id = bot_id
        self.username = username
        self.clock = clock

        self.state = FakeTelegram(keep_messages=record)
        self.requests: list[RecordedRequest] = []
        self.too_many_requests = 0
        self.delivered = 0
        self.tally = SendTally()

        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._recorded = asyncio.Condition()
        self._global = _SlidingWindow(rate_limit) if rate_limit else None
        self._per_chat: dict[int, _SlidingWindow] = defaultdict(
            lambda: _SlidingWindow(per_chat_limit or 1)
        )
        self._runner: web.AppRunner | None = None
        self._request_token = ""
        self._closing = False
        self.port = port

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL to put in BOT_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> StandInBotAPI:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/stand-in/summary", self._summary)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)  # 0: the OS picks a free one
        await site.start()
        server = site._server  # aiohttp exposes the bound port only through the server
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # pending long polls answer [] now, not at their timeout
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StandInBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- feeding updates ------------------------------------------------------------------
    def push_update(self, update: Any) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        if hasattr(update, "model_dump"):
            update = update.model_dump(mode="json", exclude_none=True)
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._new_update.set()
        return update["update_id"]

    def message_update(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        first_name: str = "Student",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        user = LocalUser(user_id, first_name=first_name, language_code=language_code)
        local = LocalMessage(
            message_id=self.state.new_message_id(),
            chat_id=chat_id,
            text=text,
            from_bot=False,
            sender=user.as_user(),
        )
        message = _plain(self.state.message_json(self.state.keep(local)))
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    def callback_update(
        self,
        user_id: int,
        data: str,
        message: dict[str, Any],
        first_name: str = "Student",
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return {
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": user,
                "chat_instance": str(message["chat"]["id"]),
                "message": message,
                "data": data,
            }
        }

    # -- forcing errors -------------------------------------------------------------------
    def fail(
        self,
        method: str | None = None,
        *,
        status: int = 400,
        description: str = "Bad Request: chat not found",
        chat_id: int | None = None,
        times: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer matching calls with this error, `times` times (None: until cleared)."""
        refusal = ApiError(status, description, retry_after)
        self.state.fail(lambda _: refusal, method=method, chat_id=chat_id, times=times)

    def clear_failures(self) -> None:
        self.state.failures.clear()

    # -- reading what happened ------------------------------------------------------------
    @property
    def messages(self) -> dict[tuple[int, int], dict[str, Any]]:
        """(chat_id, message_id) -> the message as it now stands (deleted ones left out)."""
        return {
            (chat_id, message.message_id): _plain(self.state.message_json(message))
            for chat_id, log in self.state.chats.items()
            for message in log.visible()
        }

    def calls(self, method: str, chat_id: int | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.method == method and (chat_id is None or r.chat_id == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> RecordedRequest:
        def find() -> RecordedRequest | None:
            for request in self.requests[after:]:
                if (
                    request.ok
                    and request.method == method
                    and (chat_id is None or request.chat_id == chat_id)
                    and (predicate is None or predicate(request))
                ):
                    return request
            return None

        async with self._recorded:
            await asyncio.wait_for(self._recorded.wait_for(find), timeout)
        found = find()
        assert found is not None
        return found

    # -- HTTP -----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        record = RecordedRequest(method, params, at=self.clock())
        if self.latency:
            await asyncio.sleep(self.latency)
        token = request.match_info["token"]
        if self.token is not None and token != self.token:
            status, body = 401, ApiError(401, "Unauthorized").body()
        elif method == "getUpdates":
            # Recorded when it arrives, so a test can wait until the bot is polling;
            # its result is filled in when the long poll ends.
            self._request_token = token
            await self._record(record)
            record.result = await self._get_updates(params)
            return web.json_response({"ok": True, "result": record.result})
        else:
            self._request_token = token
            self._bot()  # its messages come from the token's bot
            status, body = self._answer(method, params, record.chat_id)
        record.status = status
        record.result = body.get("result")
        await self._record(record)
        return web.json_response(body, status=status)

    async def _summary(self, request: web.Request) -> web.Response:
        return web.json_response(self.tally.summary())

    async def _record(self, record: RecordedRequest) -> None:
        if not self.record:
            return
        async with self._recorded:
            self.requests.append(record)
            self._recorded.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = self.clock() + timeout
        while not self._updates:
            remaining = deadline - self.clock()
            if remaining <= 0 or self._closing:
                return []
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                return []
        return self._updates[:limit]

    def _answer(
        self, method: str, params: dict[str, Any], chat_id: int | None
    ) -> tuple[int, dict[str, Any]]:
        try:
            result = self._result(method, params, chat_id)
        except ApiError as refusal:
            if refusal.status == 429:
                self.too_many_requests += 1
                self.tally.too_many_requests += 1
            return refusal.status, refusal.body()
        if method in SEND_METHODS:
            self.delivered += 1
            self.tally.add(method, chat_id, self.clock())
        return 200, {"ok": True, "result": _plain(result)}

    def _result(self, method: str, params: dict[str, Any], chat_id: int | None) -> Any:
        failure = self.state.take_failure(method, chat_id) if self.state.failures else None
        if failure is not None:
            raise failure.error(None)
        if method in SEND_METHODS:
            if chat_id in self.forbidden_chats:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            wait = self._rate_wait(chat_id)
            if wait > 0:
                seconds = self.retry_after or max(1, math.ceil(wait))
                raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        return self._respond(method, params)

    def _rate_wait(self, chat_id: int | None) -> float:
        now = self.clock()
        waits = []
        if self._global is not None:
            waits.append(self._global.wait_needed(now))
        if self.per_chat_limit and chat_id is not None:
            waits.append(self._per_chat[chat_id].wait_needed(now))
        wait = max(waits, default=0.0)
        if wait <= 0:
            if self._global is not None:
                self._global.add(now)
            if self.per_chat_limit and chat_id is not None:
                self._per_chat[chat_id].add(now)
        return wait

    # -- the Bot API, answered by the shared model ---------------------------------------
    def _respond(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self._bot()
        if method == "deleteWebhook":
            if params.get("drop_pending_updates") in ("true", "True", True):
                self._updates.clear()
            return True
        telegram_method = _read_method(method, params)
        if telegram_method is None:
            raise ApiError(404, "Not Found")
        try:
            return self.state.respond(telegram_method)
        except NotImplementedError as error:
            raise ApiError(404, "Not Found") from error

    def _bot(self) -> User:
        user_id = self.bot_id or self._token_id()
        if self.state.bot_user.id != user_id:
            self.state.bot_user = User(
                id=user_id,
                is_bot=True,
                first_name="Imkon",
                username=self.username,
                can_join_groups=True,
                can_read_all_group_messages=False,
                supports_inline_queries=False,
            )
        return self.state.bot_user

    def _token_id(self) -> int:
        token = self.token or self._request_token
        head = token.split(":", 1)[0]
        return int(head) if head.isdigit() else 1000000001


_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__: cls
    for cls in vars(methods).values()
    if isinstance(cls, type) and issubclass(cls, TelegramMethod) and cls is not TelegramMethod
}


def _plain(value: Any) -> Any:
    """JSON as sent: the aiogram objects the model keeps in its answers, dumped."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _read_method(name: str, params: dict[str, Any]) -> TelegramMethod[Any] | None:
    """The request as aiogram's method object (as the in-process session gets it)."""
    cls = _METHODS.get(name)
    if cls is None:
        return None
    fields = {
        key: BufferedInputFile(value.content, value.filename)
        if isinstance(value, UploadedFile)
        else value
        for key, value in params.items()
    }
    try:
        return cls.model_validate(fields)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ApiError(400, f"Bad Request: {where}: {problem['msg']}") from error


def _decode(value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {k: _decode(v) for k, v in request.query.items()}
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
        else:
            params[key] = _decode(str(value))
    # aiogram uploads a file as its own part and names it in the field: "attach://<part>".
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


# -- as its own process -------------------------------------------------------------------
async def serve(api: StandInBotAPI) -> dict[str, Any]:
    """Serve until SIGTERM/SIGINT or stdin's end; returns the tally's summary."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reader: asyncio.StreamReader | None = None
    # Only a pipe's end means "stop" (a parent closed it or died); a terminal or /dev/null
    # (nohup) as stdin is left alone, and signals stop the server.
    if stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode):
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def stdin_closed() -> None:
        if reader is not None:
            while await reader.read(4096):
                pass
            stop.set()

    watcher = asyncio.create_task(stdin_closed())
    await api.start()
    print(json.dumps({"url": api.url}), flush=True)
    await stop.wait()
    watcher.cancel()
    await api.stop()
    return api.tally.summary()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bot.fake_telegram.server",
        description="A Bot API stand-in on 127.0.0.1; prints its URL, then at the end a summary.",
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--token", default=None, help="accept only this token")
    parser.add_argument("--rate-limit", type=int, default=None, help="messages per second")
    parser.add_argument("--per-chat-limit", type=int, default=None, help="per chat per second")
    parser.add_argument("--retry-after", type=int, default=None, help="fixed retry_after")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--record", action="store_true", help="keep the full request log")
    args = parser.parse_args(argv)
    api = StandInBotAPI(
        token=args.token,
        rate_limit=args.rate_limit,
        per_chat_limit=args.per_chat_limit,
        retry_after=args.retry_after,
        latency=args.latency,
        record=args.record,
        port=args.port,
    )
    summary = asyncio.run(serve(api))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
