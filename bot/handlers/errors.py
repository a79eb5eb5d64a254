"""Anything unexpected is logged with the update and the user hears a friendly apology."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.i18n import _
from bot.keyboards import builders

router = Router(name="errors")
log = logging.getLogger(__name__)


@router.errors()
async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
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
