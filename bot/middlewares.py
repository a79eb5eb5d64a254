"""Workflow data every handler can rely on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject, User

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


NAVIGATION_PREFIXES = ("menu:", "list:", "card:", "fmenu:", "set:")


class LeaveTextCaptureOnNavigation(BaseMiddleware):
    """A command or a navigation button ends any state that captures free text (a search
    prompt, an open ticket), so the next word the student types is not filed where they no
    longer are."""

    def __init__(self, capturing: set[str]) -> None:
        self.capturing = capturing

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        if state is not None and _navigates(event) and await state.get_state() in self.capturing:
            await state.set_state(None)
        return await handler(event, data)


def _navigates(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        return event.chat.type == "private" and (event.text or "").startswith("/")
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith(NAVIGATION_PREFIXES)
    return False
