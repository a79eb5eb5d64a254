"""Webhook mode end to end over HTTP on 127.0.0.1: the test plays Telegram's side, POSTing
updates to the bot's webhook with the secret token, and the bot's answers arrive at the Bot
API stand-in its session is pointed at (BOT_API_URL)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.fake_telegram.server import StandInBotAPI
from bot.runners.webhook import SECRET_HEADER, serve_webhook
from tests.conftest import NOW, make_settings

TOKEN = "123456:TEST"
SECRET = "s3cret-token_for-tests"
STUDENT = 300002
WEBHOOK_URL = "https://imkon.example/telegram/webhook"


class StandInWithWebhook(StandInBotAPI):
    """The stand-in also answers setWebhook (recorded like every request)."""

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        return True


@pytest.fixture
async def stand_in() -> AsyncIterator[StandInBotAPI]:
    async with StandInWithWebhook(token=TOKEN) as api:
        yield api


async def start_app(tmp_path: Path, api: StandInBotAPI, **overrides: object) -> App:
    settings = make_settings(
        tmp_path,
        bot_token=TOKEN,
        bot_api_url=api.url,
        webhook_url=WEBHOOK_URL,
        webhook_secret=SECRET,
        webhook_port=0,
        **overrides,
    )
    return await create_app(settings, clock=FakeClock(NOW))


@asynccontextmanager
async def webhook(app: App) -> AsyncIterator[str]:
    """Run serve_webhook as `python -m bot` does with WEBHOOK_URL set; yields its base URL;
    stops it the way a SIGTERM would."""
    stop = asyncio.Event()
    listening: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve_webhook(app, stop=stop, on_listening=listening.set_result))
    done, _ = await asyncio.wait({task, listening}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:  # it died during start-up: show why
        await task
    try:
        yield listening.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def post(
    base: str, body: bytes | dict[str, Any], secret: str | None = SECRET
) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/telegram/webhook", data=data, headers=headers) as response,
    ):
        return response.status, await response.text()


async def get(base: str, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}{path}") as response:
        return response.status, await response.text()


def start_update(api: StandInBotAPI, update_id: int, user_id: int = STUDENT) -> dict[str, Any]:
    return {"update_id": update_id, **api.message_update(user_id, "/start", first_name="Aziza")}


def button(params: dict[str, Any], label: str) -> dict[str, Any]:
    for row in params["reply_markup"]["inline_keyboard"]:
        for key in row:
            if label in key["text"]:
                return key
    raise LookupError(label)


async def test_updates_posted_to_the_webhook_are_answered_through_the_bot_api(
    tmp_path: Path, stand_in: StandInBotAPI
) -> None:
    app = await start_app(tmp_path, stand_in)
    async with webhook(app) as base:
        # At start the bot told Telegram where to send updates, with the secret.
        (registered,) = stand_in.calls("setWebhook")
        assert registered.params["url"] == WEBHOOK_URL
        assert registered.params["secret_token"] == SECRET
        assert registered.params["drop_pending_updates"] in (False, "false", "False")
        assert {"message", "callback_query"} <= set(registered.params["allowed_updates"])

        assert (await post(base, start_update(stand_in, 1)))[0] == 200
        greeting = await stand_in.wait_for("sendMessage", chat_id=STUDENT)
        assert "Imkon" in greeting.params["text"]

        english = button(greeting.params, "English")
        press = {
            "update_id": 2,
            **stand_in.callback_update(STUDENT, english["callback_data"], greeting.result),
        }
        assert (await post(base, press))[0] == 200
        level = await stand_in.wait_for("editMessageText", chat_id=STUDENT)
        assert "What level are you studying for?" in level.params["text"]
        await stand_in.wait_for("answerCallbackQuery")
    # Stopped: the webhook stays set so that Telegram keeps the updates of a restart.
    assert not stand_in.calls("deleteWebhook")


async def test_a_request_without_the_right_secret_is_refused_and_its_body_not_logged(
    tmp_path: Path, stand_in: StandInBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    app = await start_app(tmp_path, stand_in)
    forged = stand_in.message_update(STUDENT, "/start MARKER-FROM-THE-BODY")
    with caplog.at_level(logging.DEBUG):
        async with webhook(app) as base:
            assert (await post(base, {"update_id": 7, **forged}, secret="wrong"))[0] == 401
            assert (await post(base, {"update_id": 8, **forged}, secret=None))[0] == 401
            # The right secret still gets through afterwards.
            assert (await post(base, start_update(stand_in, 9, user_id=STUDENT + 1)))[0] == 200
            await stand_in.wait_for("sendMessage", chat_id=STUDENT + 1)

    assert not stand_in.calls("sendMessage", chat_id=STUDENT)  # nothing reached the handlers
    refusals = [r for r in caplog.records if "without the right secret" in r.getMessage()]
    assert len(refusals) == 2 and all(r.levelno == logging.WARNING for r in refusals)
    assert "MARKER-FROM-THE-BODY" not in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"update_id": "not a number"}',
        b'{"update_id": 5, "message": {"text": "no chat, no date"}}',
    ],
    ids=["bad-json", "bad-utf8", "a-list", "bad-id", "bad-message"],
)
async def test_a_malformed_body_gets_a_400_and_the_next_update_is_served(
    tmp_path: Path, stand_in: StandInBotAPI, body: bytes
) -> None:
    app = await start_app(tmp_path, stand_in)
    async with webhook(app) as base:
        status, _ = await post(base, body)
        assert status == 400
        assert (await post(base, start_update(stand_in, 11)))[0] == 200
        greeting = await stand_in.wait_for("sendMessage", chat_id=STUDENT)
    assert "Imkon" in greeting.params["text"]


async def test_healthz_on_the_webhook_server(tmp_path: Path, stand_in: StandInBotAPI) -> None:
    app = await start_app(tmp_path, stand_in)
    async with webhook(app) as base:
        status, text = await get(base, "/healthz")
        assert status == 200
        assert json.loads(text)["status"] == "ok"
        status, text = await get(base, "/metrics")
        assert status == 200 and "imkon_outbox_pushes" in text
