"""Workflow data every handler can rely on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.clock import Clock
from bot.db.users import UsersRepo


class UserProfileMiddleware(BaseMiddleware):
    """Creates the user on first contact, refreshes last-seen, puts `profile` in the data."""

    def __init__(self, users: UsersRepo, clock: Clock) -> None:
        self.users = users
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            data["profile"] = await self.users.touch(
                user.id, user.first_name, user.username, user.language_code, self.clock.now()
            )
        return await handler(event, data)
