"""Anything unexpected is logged with the update and the user hears a friendly apology. A 429
that outlasted the short retries (bot/retry_after.py) is not a fault: the person hears when to
try again, their state is kept, and the buttons they pressed come back with the notice."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import ErrorEvent, InlineKeyboardMarkup, Message, Update
from aiogram.utils.i18n import I18n
from babel.dates import format_time

from bot.clock import Clock
from bot.config import Settings
from bot.domain.profile import UserProfile
from bot.i18n import _, _n, babel_locale
from bot.keyboards import builders

log = logging.getLogger(__name__)


async def on_error(
    event: ErrorEvent,
    bot: Bot,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    profile: UserProfile | None = None,
) -> bool:
    update = event.update
    if isinstance(event.exception, TelegramRetryAfter):
        log.warning(
            "update %s: Telegram asked to wait %ss", update.update_id, event.exception.retry_after
        )
        zone = profile.zone(settings.tz) if profile is not None else settings.tz
        await ask_to_wait(update, bot, event.exception.retry_after, clock, zone, i18n)
        return True
    log.exception("error while handling update %s", update.update_id, exc_info=event.exception)
    chat_id = None
    if update.message is not None:
        chat_id = update.message.chat.id
    elif update.callback_query is not None:
        chat_id = update.callback_query.from_user.id
        try:
            await update.callback_query.answer()
        except Exception:
            pass
    if chat_id is not None:
        try:
            await bot.send_message(
                chat_id,
                _("Sorry, something went wrong on our side. Please try again."),
                reply_markup=builders.back_to_menu(),
            )
        except Exception:
            log.warning("could not tell chat %s about the error", chat_id)
    return True


async def ask_to_wait(
    update: Update, bot: Bot, seconds: int, clock: Clock, zone: ZoneInfo, i18n: I18n
) -> None:
    minutes = max(1, math.ceil(seconds / 60))
    ready = (clock.now() + timedelta(seconds=seconds)).astimezone(zone)
    text = _n(
        "⏳ Telegram asked the bot to slow down. Please try again in %(n)s minute, at %(time)s.",
        "⏳ Telegram asked the bot to slow down. Please try again in %(n)s minutes, at %(time)s.",
        minutes,
    ) % {
        "n": minutes,
        "time": format_time(ready.time(), "HH:mm", locale=babel_locale(i18n.current_locale)),
    }
    chat_id: int | None = None
    markup: InlineKeyboardMarkup | None = None
    if update.message is not None:
        chat_id = update.message.chat.id
    elif update.callback_query is not None:
        query = update.callback_query
        chat_id = query.from_user.id
        if isinstance(query.message, Message):
            chat_id = query.message.chat.id
            markup = query.message.reply_markup  # as pressed, before the handler changed it
        try:
            await query.answer(text, show_alert=True)
        except Exception:
            log.warning("could not answer callback %s about the wait", query.id)
    if chat_id is None:
        return
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except Exception:
        log.warning("could not tell chat %s when to try again", chat_id)


def get_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
