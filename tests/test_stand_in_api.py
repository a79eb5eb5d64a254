"""The HTTP Bot API stand-in behaves like Telegram where the bot can tell the difference:
long polling with offsets, 429 with retry_after, 403 for blocked chats, uploads."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.fake_telegram.server import StandInBotAPI, UploadedFile

TOKEN = "123456:TEST"


class _Clock:
    """A hand-moved monotonic clock so rate windows are tested without sleeping."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def bot_for() -> AsyncIterator:
    bots: list[Bot] = []

    def make(api: StandInBotAPI) -> Bot:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        await bot.session.close()


async def test_get_me_answers_the_bot_of_the_token(bot_for) -> None:
    async with StandInBotAPI() as api:
        me = await bot_for(api).get_me()
    assert me.id == 123456 and me.is_bot
    assert api.port > 0 and api.calls("getMe")


async def test_get_updates_honours_offset_limit_and_timeout(bot_for) -> None:
    async with StandInBotAPI() as api:
        bot = bot_for(api)
        first = api.push_update(api.message_update(42, "one"))
        api.push_update(api.message_update(42, "two"))
        api.push_update(api.message_update(42, "three"))

        batch = await bot.get_updates(limit=2, timeout=0)
        assert [u.message.text for u in batch] == ["one", "two"]
        batch = await bot.get_updates(offset=first + 2, timeout=0)
        assert [u.message.text for u in batch] == ["three"]
        # Confirmed updates are gone; with nothing queued the long poll ends empty.
        assert await bot.get_updates(offset=batch[-1].update_id + 1, timeout=0) == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot_for) -> None:
    async with StandInBotAPI() as api:
        bot = bot_for(api)
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await api.wait_for("getUpdates")  # the bot is now waiting on the long poll
        api.push_update(api.message_update(7, "hello"))
        updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates] == ["hello"]


async def test_send_and_edit_keep_the_message_as_it_stands(bot_for) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
    )
    async with StandInBotAPI() as api:
        bot = bot_for(api)
        sent = await bot.send_message(42, "<b>hi</b>", reply_markup=markup)
        request = api.calls("sendMessage")[0]
        assert request.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "go"
        edited = await bot.edit_message_text("bye", chat_id=42, message_id=sent.message_id)
        assert edited.text == "bye"
        with pytest.raises(TelegramBadRequest, match="not modified"):
            await bot.edit_message_text("bye", chat_id=42, message_id=sent.message_id)
        assert await bot.delete_message(42, sent.message_id)
        with pytest.raises(TelegramBadRequest, match="not found"):
            await bot.delete_message(42, sent.message_id)


async def test_global_rate_limit_answers_429_with_retry_after(bot_for) -> None:
    clock = _Clock()
    async with StandInBotAPI(rate_limit=3, clock=clock) as api:
        bot = bot_for(api)
        for chat in (1, 2, 3):
            await bot.send_message(chat, "ok")
        clock.now += 0.4
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(4, "too many")
        assert caught.value.retry_after == 1
        assert api.too_many_requests == 1
        clock.now += 0.61  # the first three left the 1 s window
        await bot.send_message(4, "fits again")
    assert api.delivered == 4
    assert api.calls("sendMessage")[3].status == 429


async def test_per_chat_limit_only_slows_the_busy_chat(bot_for) -> None:
    clock = _Clock()
    async with StandInBotAPI(per_chat_limit=1, clock=clock) as api:
        bot = bot_for(api)
        await bot.send_message(1, "a")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(1, "b")
        await bot.send_message(2, "another chat is fine")
    assert api.too_many_requests == 1


async def test_forced_errors_and_blocked_chats(bot_for) -> None:
    async with StandInBotAPI(forbidden_chats={13}) as api:
        bot = bot_for(api)
        with pytest.raises(TelegramForbiddenError, match="blocked"):
            await bot.send_message(13, "hi")
        api.fail("setMyCommands", status=500, description="Internal Server Error", times=1)
        with pytest.raises(TelegramServerError):
            await bot.set_my_commands([])
        assert await bot.set_my_commands([])  # only once
        api.fail(
            "sendMessage",
            status=429,
            description="Too Many Requests: retry after 7",
            retry_after=7,
            chat_id=5,
        )
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(5, "x")
        assert caught.value.retry_after == 7
        await bot.send_message(6, "other chats unaffected")


async def test_uploads_arrive_as_files(bot_for) -> None:
    async with StandInBotAPI() as api:
        bot = bot_for(api)
        message = await bot.send_document(
            42, BufferedInputFile(b"BEGIN:VCALENDAR", filename="deadline.ics"), caption="cal"
        )
        await bot.send_photo(42, BufferedInputFile(b"\x89PNG", filename="p.png"))
    assert message.document.file_name == "deadline.ics"
    upload = api.calls("sendDocument")[0].params["document"]
    assert upload == UploadedFile("deadline.ics", "application/octet-stream", b"BEGIN:VCALENDAR")
    assert api.calls("sendPhoto")[0].params["photo"].content == b"\x89PNG"


async def test_wrong_token_is_unauthorized(bot_for) -> None:
    async with StandInBotAPI(token="999:OTHER") as api:
        with pytest.raises(Exception, match="Unauthorized"):
            await bot_for(api).get_me()


async def test_stopping_ends_a_pending_long_poll_at_once(bot_for) -> None:
    api = await StandInBotAPI().start()
    bot = bot_for(api)
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for("getUpdates")
    await asyncio.wait_for(api.stop(), 5)
    assert await asyncio.wait_for(poll, 5) == []


async def test_a_long_run_without_the_log_still_counts_every_chat_and_429(bot_for) -> None:
    clock = _Clock()
    async with StandInBotAPI(rate_limit=3, clock=clock, record=False) as api:
        bot = bot_for(api)
        for chat in (1, 2, 2):
            await bot.send_message(chat, "ok")
            clock.now += 0.1
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(3, "too many")
        clock.now += 1.0
        await bot.copy_message(3, from_chat_id=900001, message_id=1)
        async with bot.session._session.get(f"{api.url}/stand-in/summary") as answer:
            over_http = await answer.json()
    assert api.requests == [] and api.messages == {}  # nothing kept per request
    summary = api.tally.summary()
    assert over_http == summary
    assert summary["accepted"] == 4 and summary["chats"] == 3 and summary["repeats"] == 1
    assert summary["by_method"] == {"sendMessage": 3, "copyMessage": 1}
    assert summary["too_many_requests"] == 1
    assert (summary["min_chat"], summary["max_chat"]) == (1, 3)
    assert summary["last_at"] - summary["first_at"] == pytest.approx(1.3)
    assert summary["rate"] == pytest.approx(3 / 1.3)


async def test_as_its_own_process_it_prints_its_url_then_a_summary(bot_for) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.fake_telegram.server",
        "--rate-limit",
        "100",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        url = json.loads(first)["url"]
        bot = bot_for(SimpleNamespace(url=url))
        await bot.send_message(7, "one")
        await bot.send_message(8, "two")
    finally:
        process.stdin.close()  # the end of its stdin stops it, as SIGTERM would
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    summary = json.loads(out.splitlines()[-1])
    assert process.returncode == 0
    assert summary["accepted"] == 2 and summary["chats"] == 2 and summary["repeats"] == 0


async def test_as_its_own_process_without_a_pipe_on_stdin_it_serves_until_sigterm(
    bot_for,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.fake_telegram.server",
        stdin=asyncio.subprocess.DEVNULL,  # as under nohup: /dev/null must not stop it
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        url = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))["url"]
        await bot_for(SimpleNamespace(url=url)).send_message(9, "still serving")
    finally:
        process.terminate()
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert json.loads(out.splitlines()[-1])["accepted"] == 1
