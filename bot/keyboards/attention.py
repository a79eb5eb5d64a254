"""Keyboards of the admins' attention list. The callback prefix starts with "adm" (see
bot/keyboards/admin.py): the admin router checks the role, the refusal router answers others."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.admin import LIST_PAGE, AdmCallCb, AdminCb, back_to_admin, page_buttons
from bot.keyboards.callbacks import Number
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.texts.formatting import shorten

KIND_MARK = {"changed": "📝", "moved": "🔀", "gone": "❌", "stale": "🕰", "next_round": "🔁"}


class AttentionCb(CallbackData, prefix="adma"):
    call_id: Number
    action: str  # open | ok


def attention_list(
    entries: list[tuple[int, tuple[str, ...], str]], page: int
) -> InlineKeyboardMarkup:
    """entries: (call id, kinds, title)."""
    kb = InlineKeyboardBuilder()
    pages = max(1, -(-len(entries) // LIST_PAGE))
    page = max(0, min(page, pages - 1))
    for call_id, kinds, title in entries[page * LIST_PAGE : (page + 1) * LIST_PAGE]:
        marks = "".join(KIND_MARK[kind] for kind in kinds)
        kb.row(
            InlineKeyboardButton(
                text=f"{marks} #{call_id} {shorten(title, 40)}",
                callback_data=AttentionCb(call_id=call_id, action="open").pack(),
            )
        )
    if nav := page_buttons("attention", page, pages):
        kb.row(*nav)
    kb.row(back_to_admin())
    return kb.as_markup()


def attention_entry(call_id: int, official_url: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(
            text=_("✅ Still correct"),
            callback_data=AttentionCb(call_id=call_id, action="ok").pack(),
        ),
        InlineKeyboardButton(
            text=_("✏️ Edit"), callback_data=AdmCallCb(call_id=call_id, action="edit").pack()
        ),
    )
    kb.row(InlineKeyboardButton(text=_("🌐 Official page"), url=official_url))
    kb.row(
        InlineKeyboardButton(
            text=_("⬅️ Attention list"), callback_data=AdminCb(action="attention").pack()
        )
    )
    return kb.as_markup()


def digest_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("⚠️ Open the attention list"),
                    callback_data=AdminCb(action="attention").pack(),
                )
            ]
        ]
    )
