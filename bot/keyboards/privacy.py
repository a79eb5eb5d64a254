"""The /forget confirmation. Its button carries a one-time token the chat's state also holds:
an old confirmation, or data typed by someone else, matches nothing and expires."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.callbacks import Number
from bot.keyboards.inline import InlineKeyboardBuilder


class ForgetCb(CallbackData, prefix="forget"):
    action: str  # yes | no
    token: Number


def confirm_forget(token: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🗑 Yes, delete everything"), callback_data=ForgetCb(action="yes", token=token))
    kb.button(text=_("✖️ Cancel"), callback_data=ForgetCb(action="no", token=token))
    kb.adjust(1)
    return kb.as_markup()
