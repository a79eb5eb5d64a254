"""End to end over HTTP: the bot's real polling loop (the code path of `python -m bot` with a
token) against the Bot API stand-in on 127.0.0.1, configured through BOT_API_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.fake_telegram.server import RecordedRequest, StandInBotAPI
from bot.runners.polling import serve_polling
from tests.conftest import NOW, make_settings

TOKEN = "123456:TEST"
STUDENT = 300001


@pytest.fixture
async def stand_in() -> AsyncIterator[StandInBotAPI]:
    async with StandInBotAPI(token=TOKEN) as api:
        yield api


async def start_app(tmp_path: Path, api: StandInBotAPI) -> App:
    settings = make_settings(tmp_path, bot_token=TOKEN, bot_api_url=api.url)
    return await create_app(settings, clock=FakeClock(NOW))


@asynccontextmanager
async def polling(app: App, api: StandInBotAPI) -> AsyncIterator[asyncio.Task[None]]:
    """Run serve_polling as `python -m bot` does; stop it the way a SIGTERM would."""
    task = asyncio.create_task(serve_polling(app, handle_signals=False))
    waiting = asyncio.create_task(api.wait_for("getUpdates", timeout=10))
    done, _ = await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:  # it died during start-up: show why
        waiting.cancel()
        await task
    await waiting
    try:
        yield task
    finally:
        if not task.done():
            await app.dispatcher.stop_polling()
        await asyncio.wait_for(task, 10)


def button(request: RecordedRequest, label: str) -> dict:
    for row in request.params["reply_markup"]["inline_keyboard"]:
        for key in row:
            if label in key["text"]:
                return key
    raise LookupError(label)


async def test_student_starts_and_chooses_language_through_real_polling(
    tmp_path: Path, stand_in: StandInBotAPI
) -> None:
    app = await start_app(tmp_path, stand_in)
    async with polling(app, stand_in):
        stand_in.push_update(stand_in.message_update(STUDENT, "/start", first_name="Aziza"))
        greeting = await stand_in.wait_for("sendMessage", chat_id=STUDENT)
        assert "Imkon" in greeting.params["text"]
        assert greeting.params["parse_mode"] == "HTML"

        english = button(greeting, "English")
        stand_in.push_update(
            stand_in.callback_update(STUDENT, english["callback_data"], greeting.result)
        )
        level = await stand_in.wait_for("editMessageText", chat_id=STUDENT)
        assert level.params["message_id"] == str(greeting.result["message_id"])
        assert "What level are you studying for?" in level.params["text"]
        await stand_in.wait_for("answerCallbackQuery")

        master = button(level, "Master")
        mark = len(stand_in.requests)
        stand_in.push_update(
            stand_in.callback_update(STUDENT, master["callback_data"], level.result)
        )
        fields = await stand_in.wait_for("editMessageText", chat_id=STUDENT, after=mark)
        assert "Which fields interest you?" in fields.params["text"]

    # Every update was confirmed with the next offset and handled exactly once.
    assert len(stand_in.calls("sendMessage", chat_id=STUDENT)) == 1
    assert len(stand_in.calls("editMessageText", chat_id=STUDENT)) == 2
    offsets = [r.params.get("offset") for r in stand_in.calls("getUpdates")]
    assert offsets[0] is None and offsets[-1] == "4"
    # The menu of commands was registered in every Telegram language at start-up.
    languages = {r.params.get("language_code") for r in stand_in.calls("setMyCommands")}
    assert languages == {None, "uz", "ru", "en"}


@pytest.mark.parametrize(
    ("status", "description"),
    [(500, "Internal Server Error"), (400, "Bad Request: BOT_COMMAND_INVALID")],
)
async def test_bot_keeps_serving_when_set_my_commands_fails(
    tmp_path: Path,
    stand_in: StandInBotAPI,
    caplog: pytest.LogCaptureFixture,
    status: int,
    description: str,
) -> None:
    stand_in.fail("setMyCommands", status=status, description=description)
    app = await start_app(tmp_path, stand_in)
    with caplog.at_level(logging.WARNING, logger="bot.commands"):
        async with polling(app, stand_in):
            stand_in.push_update(stand_in.message_update(STUDENT, "/start"))
            greeting = await stand_in.wait_for("sendMessage", chat_id=STUDENT)

    assert "Imkon" in greeting.params["text"]
    # The students' menu stops at its first failure; the admin's own menu is tried apart.
    calls = stand_in.calls("setMyCommands")
    assert [r.status for r in calls] == [status, status]
    assert "scope" not in calls[0].params and calls[1].params["scope"]["type"] == "chat"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "could not register bot commands" in r.getMessage() and description in r.getMessage()
        for r in warnings
    )
