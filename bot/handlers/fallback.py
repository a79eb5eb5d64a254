"""Last resort: anything no other handler took gets a short answer and a way back."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.filters import PRIVATE, Magic
from bot.handlers.states import ProfileFlow
from bot.handlers.ui import alert
from bot.i18n import _
from bot.keyboards import builders

log = logging.getLogger(__name__)


async def inside_profile_flow(message: Message) -> None:
    await message.answer(
        _("Please choose with the buttons above 👆 or open the /menu."),
        reply_markup=builders.back_to_menu(),
    )


async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know this command. See /help for what I can do."),
        reply_markup=builders.back_to_menu(),
    )


async def not_text(message: Message) -> None:
    await message.answer(
        _("I read text and buttons. Send a word to search, or open the menu."),
        reply_markup=builders.back_to_menu(),
    )


async def stale_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    log.info("unhandled callback data %r from %s", callback.data, callback.from_user.id)
    alert(callback_answer, _("This button has expired."))
    if isinstance(callback.message, Message) and callback.message.chat.type == "private":
        await callback.message.answer(_("Here is the menu."), reply_markup=builders.main_menu())


def get_router() -> Router:
    router = Router(name="fallback")
    router.message.filter(PRIVATE)
    router.message.register(inside_profile_flow, StateFilter(ProfileFlow))
    router.message.register(unknown_command, Magic(F.text.startswith("/")))
    router.message.register(not_text)
    router.callback_query.register(stale_button)
    return router
