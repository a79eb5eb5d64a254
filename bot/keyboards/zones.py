"""Keyboards of the time-zone screen and the location request."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.domain.reminders import QuietHours
from bot.domain.zones import ZONE_CHOICES
from bot.i18n import _
from bot.keyboards.applications import NotifyCb
from bot.keyboards.callbacks import MenuCb, ZoneCb
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.texts.zones import choice_label


def zone_menu(
    zone_key: str, quiet: QuietHours, quiet_choices: tuple[QuietHours, ...], locale: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for index, choice in enumerate(ZONE_CHOICES):
        mark = "✅ " if choice.key == zone_key else ""
        kb.button(
            text=mark + choice_label(choice, locale),
            callback_data=ZoneCb(action="zone", value=index),
        )
    kb.button(text=_("📍 Find it from my location"), callback_data=ZoneCb(action="locate"))
    for index, span in enumerate(quiet_choices):
        mark = "✅ " if span == quiet else ""
        label = _("🔔 none") if span.start == span.end else f"🌙 {span.start:02d}–{span.end:02d}"
        kb.button(text=mark + label, callback_data=ZoneCb(action="quiet", value=index))
    kb.button(text=_("🔔 Reminders"), callback_data=NotifyCb(action="menu"))
    kb.button(text=_("⬅️ Settings"), callback_data=MenuCb(action="settings"))
    rows = [2] * (len(ZONE_CHOICES) // 2) + [1] * (len(ZONE_CHOICES) % 2)
    quiet_rows = [3] * (len(quiet_choices) // 3) + [len(quiet_choices) % 3]
    kb.adjust(*rows, 1, *[r for r in quiet_rows if r], 2)
    return kb.as_markup()


def location_request() -> ReplyKeyboardMarkup:
    """A reply keyboard whose first button shares the location (private chats only)."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Share my location"), request_location=True)],
            [KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_("Share your location or cancel"),
    )
