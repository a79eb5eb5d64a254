"""Workflow data every handler can rely on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User
from aiogram.utils.callback_answer import CallbackAnswerMiddleware

from bot.clock import Clock
from bot.db.users import UsersRepo
from bot.domain.profile import newcomer

# What a middleware calls to go on: the next middleware, or the handler itself.
UpdateHandler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UserProfileMiddleware(BaseMiddleware):
    """Creates the user on first private contact, refreshes last-seen, puts `profile` in the
    data. Only a private chat makes someone a user: members of a group the bot is in (the
    coordinators' chat) would otherwise be counted, broadcast to, and then found "blocked",
    since the bot cannot write first to anyone. In a group, a known user's profile is read,
    anyone else gets the profile a newcomer would have, and nothing is stored."""

    def __init__(self, users: UsersRepo, clock: Clock) -> None:
        self.users = users
        self.clock = clock

    async def __call__(
        self,
        handler: UpdateHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is not None and not user.is_bot:
            now = self.clock.now()
            if chat is not None and chat.type == ChatType.PRIVATE:
                data["profile"] = await self.users.touch(
                    user.id, user.first_name, user.username, user.language_code, now
                )
            else:
                data["profile"] = await self.users.get(user.id) or newcomer(
                    user.id, user.first_name, user.username, user.language_code, now
                )
        return await handler(event, data)


class ProvideDependencies(BaseMiddleware):
    """Inner middleware: puts the repositories and services into the data of the one handler
    chosen for an update, after routing, rather than into the dispatcher's workflow data.

    aiogram copies the workflow data at every router and every filter an update passes on
    its way to a handler; with our forty-odd dependencies in it, that copying cost more than
    the handlers (bench/throughput.py). Only what filters ask for stays in the workflow data
    (`bot.app.build_dispatcher`). Data given to `feed_update` wins over these defaults."""

    def __init__(self, dependencies: dict[str, Any]) -> None:
        self.dependencies = dependencies

    async def __call__(
        self,
        handler: UpdateHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        for name, value in self.dependencies.items():
            data.setdefault(name, value)
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
        handler: UpdateHandler,
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


class AnswerEveryPress(CallbackAnswerMiddleware):
    """aiogram's CallbackAnswerMiddleware: every handled button press is answered once, after
    its handler; a handler with something to say sets `callback_answer.text` (and
    `.show_alert`) instead of answering itself.

    One difference: a handler that fails is not answered here. The error handler
    (bot/handlers/errors.py) answers it — with the "try again at …" alert after a 429 — and
    Telegram refuses a second answer, so an empty one sent first would swallow that alert.
    """

    async def __call__(
        self,
        handler: UpdateHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answer = data["callback_answer"] = self.construct_callback_answer(
            properties=get_flag(data, "callback_answer")
        )
        result = await handler(event, data)
        if not answer.disabled and not answer.answered:
            await self.answer(event, answer)
        return result
