"""Shared steps of the admin desk stories."""

from __future__ import annotations

from bot.app import App
from bot.db.users import UsersRepo
from bot.fake_telegram import LocalUser


async def speaks_english(app: App, user: LocalUser, language: str = "en") -> None:
    """The user exists and chose English (the admin fixture's Telegram app is Russian)."""
    users = UsersRepo(app.db)
    await users.touch(user.id, user.first_name, user.username, user.language_code, app.clock.now())
    await users.update(user.id, language=language)


def texts(telegram, chat_id: int) -> str:
    return "\n".join(m.text for m in telegram.transcript(chat_id) if m.from_bot)
