"""The in-process session and the HTTP stand-in are one fake Telegram: the same calls get the
same answers and the same aiogram exceptions, and those are what Telegram itself answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.fake_telegram import LocalMessage, LocalSession
from bot.fake_telegram.server import StandInBotAPI

TOKEN = "123456:TEST"
STUDENT = 42
GROUP = -100777


class Transport:
    """A bot wired to one transport, and the few things a scenario needs from outside."""

    bot: Bot

    def force_retry_after(self, method: str, seconds: int) -> None:
        raise NotImplementedError

    def force_blocked(self, method: str) -> None:
        raise NotImplementedError

    def user_message(self, user_id: int, text: str) -> int:
        """The user writes `text` to the bot; its message id."""
        raise NotImplementedError


class InProcess(Transport):
    def __init__(self) -> None:
        self.session = LocalSession()
        self.bot = Bot(TOKEN, session=self.session)

    def _method(self, name: str) -> Any:
        from aiogram import methods

        return getattr(methods, name[0].upper() + name[1:])

    def force_retry_after(self, method: str, seconds: int) -> None:
        self.session.fail_next(LocalSession.retry_after(seconds), method=self._method(method))

    def force_blocked(self, method: str) -> None:
        self.session.fail_next(LocalSession.blocked(), method=self._method(method))

    def user_message(self, user_id: int, text: str) -> int:
        message = LocalMessage(
            message_id=self.session.new_message_id(), chat_id=user_id, text=text, from_bot=False
        )
        self.session.log(user_id).messages[message.message_id] = message
        return message.message_id


class OverHttp(Transport):
    def __init__(self, api: StandInBotAPI) -> None:
        self.api = api
        self.bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))

    def force_retry_after(self, method: str, seconds: int) -> None:
        description = f"Too Many Requests: retry after {seconds}"
        self.api.fail(method, status=429, description=description, retry_after=seconds, times=1)

    def force_blocked(self, method: str) -> None:
        self.api.fail(
            method, status=403, description="Forbidden: bot was blocked by the user", times=1
        )

    def user_message(self, user_id: int, text: str) -> int:
        return int(self.api.message_update(user_id, text)["message"]["message_id"])


@pytest.fixture
async def transports() -> AsyncIterator[dict[str, Transport]]:
    async with StandInBotAPI() as api:
        both: dict[str, Transport] = {"in-process": InProcess(), "http": OverHttp(api)}
        yield both
        for transport in both.values():
            await transport.bot.session.close()


async def outcome(call: Awaitable[Any]) -> Any:
    """What the bot sees: the result (without its timestamps, and without the bot's own
    identity, which over HTTP follows the token) or the exception it gets."""
    try:
        result = await call
    except TelegramRetryAfter as error:
        return ("TelegramRetryAfter", error.retry_after)
    except TelegramAPIError as error:
        return (type(error).__name__, error.message)
    if hasattr(result, "model_dump"):
        return result.model_dump(
            mode="json", exclude_none=True, exclude={"date", "edit_date", "from_user"}
        )
    return result


KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
)


async def delete_unknown(t: Transport) -> list[Any]:
    return [await outcome(t.bot.delete_message(STUDENT, 987654))]


async def delete_twice(t: Transport) -> list[Any]:
    sent = await t.bot.send_message(STUDENT, "bye soon")
    return [
        await outcome(t.bot.delete_message(STUDENT, sent.message_id)),
        await outcome(t.bot.delete_message(STUDENT, sent.message_id)),
    ]


async def edit_not_modified(t: Transport) -> list[Any]:
    sent = await t.bot.send_message(STUDENT, "Pick one", reply_markup=KEYBOARD)
    return [
        await outcome(
            t.bot.edit_message_text(
                "Pick one", chat_id=STUDENT, message_id=sent.message_id, reply_markup=KEYBOARD
            )
        ),
        await outcome(
            t.bot.edit_message_reply_markup(
                chat_id=STUDENT, message_id=sent.message_id, reply_markup=KEYBOARD
            )
        ),
        await outcome(
            t.bot.edit_message_text("Picked", chat_id=STUDENT, message_id=sent.message_id)
        ),
    ]


async def edit_unknown(t: Transport) -> list[Any]:
    return [await outcome(t.bot.edit_message_text("x", chat_id=STUDENT, message_id=987654))]


async def forced_429_then_sent(t: Transport) -> list[Any]:
    t.force_retry_after("sendMessage", 7)
    return [
        await outcome(t.bot.send_message(STUDENT, "now?")),
        await outcome(t.bot.send_message(STUDENT, "now.")),
    ]


async def forced_403(t: Transport) -> list[Any]:
    t.force_blocked("copyMessage")
    source = t.user_message(STUDENT, "my question")
    return [await outcome(t.bot.copy_message(GROUP, STUDENT, source))]


async def forum_topic(t: Transport) -> list[Any]:
    return [await outcome(t.bot.create_forum_topic(GROUP, "Ticket #1"))]


async def copy_message(t: Transport) -> list[Any]:
    source = t.user_message(STUDENT, "Where is box 7?")
    return [
        await outcome(t.bot.copy_message(GROUP, STUDENT, source, message_thread_id=500)),
        await outcome(t.bot.copy_message(GROUP, STUDENT, 987654)),
    ]


async def chat_type_from_the_id(t: Transport) -> list[Any]:
    return [
        await outcome(t.bot.send_message(STUDENT, "to a user")),
        await outcome(t.bot.send_message(GROUP, "to a group")),
        await outcome(t.bot.send_message(STUDENT, " ")),
    ]


Scenario = Callable[[Transport], Awaitable[list[Any]]]


def error(kind: str, description: str) -> tuple[str, str]:
    return (kind, description)


NOT_FOUND = "TelegramBadRequest"
EXPECTED: dict[Scenario, Callable[[list[Any]], bool]] = {
    delete_unknown: lambda o: o == [error(NOT_FOUND, "Bad Request: message to delete not found")],
    delete_twice: lambda o: (
        o == [True, error(NOT_FOUND, "Bad Request: message to delete not found")]
    ),
    edit_not_modified: lambda o: (
        o[0][1].startswith("Bad Request: message is not modified")
        and o[1] == o[0]
        and o[2]["text"] == "Picked"
        and "reply_markup" not in o[2]
    ),
    edit_unknown: lambda o: o == [error(NOT_FOUND, "Bad Request: message to edit not found")],
    forced_429_then_sent: lambda o: o[0] == ("TelegramRetryAfter", 7) and o[1]["text"] == "now.",
    forced_403: lambda o: (
        o == [error("TelegramForbiddenError", "Forbidden: bot was blocked by the user")]
    ),
    forum_topic: lambda o: o[0]["name"] == "Ticket #1" and o[0]["message_thread_id"] > 0,
    copy_message: lambda o: (
        set(o[0]) == {"message_id"}
        and o[1] == error(NOT_FOUND, "Bad Request: message to copy not found")
    ),
    chat_type_from_the_id: lambda o: (
        o[0]["chat"]["type"] == "private"
        and o[1]["chat"]["type"] == "supergroup"
        and o[2] == error(NOT_FOUND, "Bad Request: message text is empty")
    ),
}


@pytest.mark.parametrize("scenario", list(EXPECTED), ids=lambda s: s.__name__)
async def test_both_transports_answer_as_telegram_does(
    transports: dict[str, Transport], scenario: Scenario
) -> None:
    outcomes = {name: await scenario(t) for name, t in transports.items()}
    assert outcomes["in-process"] == outcomes["http"]
    assert EXPECTED[scenario](outcomes["in-process"]), outcomes["in-process"]


async def test_the_copy_over_http_is_the_message_the_user_wrote(
    transports: dict[str, Transport],
) -> None:
    http = transports["http"]
    assert isinstance(http, OverHttp)
    source = http.user_message(STUDENT, "Where is box 7?")
    copy = await http.bot.copy_message(GROUP, STUDENT, source)
    assert http.api.messages[(GROUP, copy.message_id)]["text"] == "Where is box 7?"
