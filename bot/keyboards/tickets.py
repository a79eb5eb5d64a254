"""Callback data and keyboards of the "ask a coordinator" feature."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.callbacks import MenuCb, Number
from bot.keyboards.inline import InlineKeyboardBuilder


class AskCb(CallbackData, prefix="ask"):
    call_id: Number = 0  # 0: a general question from the menu


class AskFlowCb(CallbackData, prefix="askf"):
    action: str  # helped | escalate | share | noshare | cancel


class TicketCb(CallbackData, prefix="tk"):
    action: str  # up | down | reply | close | write
    ticket_id: Number


def ask_button(call_id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("💬 Ask a coordinator"), callback_data=AskCb(call_id=call_id).pack()
    )


def _menu_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCb(action="home").pack())


def cancel_question() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✖️ Cancel"), callback_data=AskFlowCb(action="cancel"))
    return kb.as_markup()


def faq_offer() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Yes, thank you"), callback_data=AskFlowCb(action="helped"))
    kb.button(text=_("✉️ No, ask a coordinator"), callback_data=AskFlowCb(action="escalate"))
    kb.adjust(1)
    return kb.as_markup()


def username_consent() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, show my @username"), callback_data=AskFlowCb(action="share"))
    kb.button(text=_("No, first name only"), callback_data=AskFlowCb(action="noshare"))
    kb.adjust(1)
    return kb.as_markup()


def ticket_opened(ticket_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("✅ Close the question"), callback_data=TicketCb(action="close", ticket_id=ticket_id)
    )
    kb.row(_menu_button())
    return kb.as_markup()


def rating_buttons(ticket_id: int) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text="👍", callback_data=TicketCb(action="up", ticket_id=ticket_id).pack()
        ),
        InlineKeyboardButton(
            text="👎", callback_data=TicketCb(action="down", ticket_id=ticket_id).pack()
        ),
    ]


def answer_actions(ticket_id: int, rated: bool = False) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if not rated:
        kb.row(*rating_buttons(ticket_id))
    kb.button(text=_("↩️ Reply"), callback_data=TicketCb(action="reply", ticket_id=ticket_id))
    kb.button(text=_("✅ Close"), callback_data=TicketCb(action="close", ticket_id=ticket_id))
    kb.adjust(2, 2)
    return kb.as_markup()


def closed_actions(ticket_id: int, can_rate: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if can_rate:
        kb.row(*rating_buttons(ticket_id))
    kb.row(ask_button(), _menu_button())
    return kb.as_markup()


def my_tickets(open_ids: list[int]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for ticket_id in open_ids[:10]:
        kb.row(
            InlineKeyboardButton(
                text=_("✍️ Write to #%(id)s") % {"id": ticket_id},
                callback_data=TicketCb(action="write", ticket_id=ticket_id).pack(),
            )
        )
    kb.row(ask_button(), _menu_button())
    return kb.as_markup()
