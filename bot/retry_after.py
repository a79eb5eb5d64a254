"""Telegram's 429 inside a handler. A short wait is slept off and the call repeated, so the
person never notices; a longer one reaches the error handler, which tells them when to try
again (bot/handlers/errors.py). Only calls made while an update is handled are retried: the
delivery service paces its own sends and turns a 429 into a later attempt of the push
(bot/services/delivery.py), and a second layer of retries would hide the 429 from it."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject

from bot.middlewares import UpdateHandler
from bot.services.delivery import Sleep

log = logging.getLogger(__name__)

_handling_update: ContextVar[bool] = ContextVar("handling_update", default=False)


class HandlingUpdate(BaseMiddleware):
    """Marks the Bot API calls a handler makes (directly or through a service it calls)."""

    async def __call__(
        self,
        handler: UpdateHandler,
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        token = _handling_update.set(True)
        try:
            return await handler(event, data)
        finally:
            _handling_update.reset(token)


class RetryShortWaits(BaseRequestMiddleware):
    def __init__(self, sleep: Sleep, max_wait: float, attempts: int = 3) -> None:
        self.sleep = sleep
        self.max_wait = max_wait
        self.attempts = attempts

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if (
                    not _handling_update.get()
                    or error.retry_after > self.max_wait
                    or attempt >= self.attempts
                ):
                    raise
                log.info(
                    "%s: Telegram asked to wait %ss, retrying",
                    method.__api_method__,
                    error.retry_after,
                )
                await self.sleep(error.retry_after)
                attempt += 1


def install_retries(session: BaseSession, sleep: Sleep, max_wait: float) -> None:
    """One retrying layer per session, even when a second app reuses it (a restart in tests)."""
    for earlier in [m for m in session.middleware if isinstance(m, RetryShortWaits)]:
        session.middleware.unregister(earlier)
    session.middleware(RetryShortWaits(sleep, max_wait))
