"""The one button under a channel post: save the call in the bot (its deep link)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _


def save_in_bot(link: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("⭐ Save and get reminders"), url=link)]]
    )
