"""One fake Telegram for the console, the tests and the benches.

`state.FakeTelegram` keeps the chats and messages and answers the Bot API methods;
`session.LocalSession` serves it in-process (with `LocalTelegram` playing the users) and
`server.StandInBotAPI` serves it over HTTP on 127.0.0.1. The HTTP server lives in its own
module (`bot.fake_telegram.server`) so the console does not import aiohttp's web server.
"""

from bot.fake_telegram.session import LocalSession, LocalTelegram
from bot.fake_telegram.state import (
    BOT_USER,
    ApiError,
    ChatLog,
    FakeTelegram,
    LocalChat,
    LocalMessage,
    LocalUser,
)

__all__ = [
    "BOT_USER",
    "ApiError",
    "ChatLog",
    "FakeTelegram",
    "LocalChat",
    "LocalMessage",
    "LocalSession",
    "LocalTelegram",
    "LocalUser",
]
