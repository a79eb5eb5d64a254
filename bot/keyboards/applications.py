"""Callback data and keyboards of My applications: save, checklist, calendar, reminders."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.calls import Call
from bot.domain.checklist import Checklist
from bot.domain.reminders import REMINDER_DAY_CHOICES, SEND_HOUR_CHOICES, NotifyPrefs
from bot.i18n import _
from bot.keyboards.callbacks import CardCb, MenuCb, Number, ZoneCb
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.texts.applications import document_label, progress, reminder_day_label
from bot.texts.formatting import shorten

MY_SOURCE = "y"  # CardCb.source of a card opened from My applications
PUSH_SOURCE = "p"  # … from a push


class SaveCb(CallbackData, prefix="save"):
    call_id: Number
    on: bool
    src: str = "c"  # c: the card (re-render it), y: My applications, p: a push (popup only)


class MuteCb(CallbackData, prefix="mute"):
    call_id: Number
    on: bool  # True: stop this call's reminders
    src: str = "c"


class ChecklistCb(CallbackData, prefix="chk"):
    call_id: Number


class TickCb(CallbackData, prefix="tick"):
    call_id: Number
    key: str


class IcsCb(CallbackData, prefix="ics"):
    call_id: Number


class NotifyCb(CallbackData, prefix="ntf"):
    action: str  # menu | day | hour | sub | digest | unsub
    value: Number = 0


@dataclass(frozen=True, slots=True)
class CardState:
    """What the card shows about the student's relation to the call."""

    saved: bool = False
    muted: bool = False
    checklist: Checklist | None = None


def card_rows(call: Call, state: CardState) -> list[list[InlineKeyboardButton]]:
    if not state.saved:
        rows = [
            [
                InlineKeyboardButton(
                    text=_("⭐ Save"), callback_data=SaveCb(call_id=call.id, on=True).pack()
                )
            ]
        ]
    else:
        checklist = state.checklist
        rows = [
            [
                InlineKeyboardButton(
                    text=_("✅ Saved · remove"),
                    callback_data=SaveCb(call_id=call.id, on=False).pack(),
                ),
                InlineKeyboardButton(
                    text=_("🔕 Reminders off") if state.muted else _("🔔 Reminders on"),
                    callback_data=MuteCb(call_id=call.id, on=not state.muted).pack(),
                ),
            ],
            [
                InlineKeyboardButton(
                    text=_("📋 Checklist %(progress)s")
                    % {"progress": progress(checklist) if checklist else ""},
                    callback_data=ChecklistCb(call_id=call.id).pack(),
                )
            ],
        ]
    if call.deadline_at is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("📅 Add to calendar"), callback_data=IcsCb(call_id=call.id).pack()
                )
            ]
        )
    return rows


def my_list(
    entries: list[tuple[Call, Checklist, bool]], open_ids: set[int], locale: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for number, (call, _checklist, _muted) in enumerate(entries, start=1):
        title = shorten(call.text(locale).title, 40)
        if call.id in open_ids:
            kb.row(
                InlineKeyboardButton(
                    text=f"{number}. {title}",
                    callback_data=CardCb(call_id=call.id, source=MY_SOURCE, page=0).pack(),
                )
            )
        else:
            kb.row(
                InlineKeyboardButton(
                    text=_("🗑 Remove %(number)s. %(title)s") % {"number": number, "title": title},
                    callback_data=SaveCb(call_id=call.id, on=False, src="y").pack(),
                )
            )
    if not entries:
        kb.row(
            InlineKeyboardButton(
                text=_("🎯 Calls for me"), callback_data=MenuCb(action="matches").pack()
            )
        )
    kb.row(
        InlineKeyboardButton(text=_("🔔 Reminders"), callback_data=NotifyCb(action="menu").pack()),
        InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCb(action="home").pack()),
    )
    return kb.as_markup()


def checklist(call: Call, state: Checklist) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for key in state.documents:
        mark = "✅" if key in state.ticked else "⬜"
        kb.button(
            text=f"{mark} {document_label(key)}", callback_data=TickCb(call_id=call.id, key=key)
        )
    kb.button(
        text=_("⬅️ Back to the call"),
        callback_data=CardCb(call_id=call.id, source=MY_SOURCE, page=0),
    )
    kb.adjust(1)
    return kb.as_markup()


def _push_base(call: Call) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=_("📄 Open card"),
            callback_data=CardCb(call_id=call.id, source=PUSH_SOURCE, page=0).pack(),
        ),
        InlineKeyboardButton(text=_("🌐 Official page"), url=call.official_url),
    ]


def reminder_push(call: Call) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _push_base(call),
            [
                InlineKeyboardButton(
                    text=_("📋 Checklist"), callback_data=ChecklistCb(call_id=call.id).pack()
                )
            ],
            [
                InlineKeyboardButton(
                    text=_("🔕 Stop these reminders"),
                    callback_data=MuteCb(call_id=call.id, on=True, src="p").pack(),
                )
            ],
        ]
    )


def new_call_push(call: Call) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _push_base(call),
            [
                InlineKeyboardButton(
                    text=_("⭐ Save"),
                    callback_data=SaveCb(call_id=call.id, on=True, src="p").pack(),
                ),
                InlineKeyboardButton(
                    text=_("🔕 Unsubscribe"), callback_data=NotifyCb(action="unsub").pack()
                ),
            ],
        ]
    )


def digest_push(calls: list[Call], locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for number, call in enumerate(calls[:10], start=1):
        kb.row(
            InlineKeyboardButton(
                text=f"{number}. {shorten(call.text(locale).title, 40)}",
                callback_data=CardCb(call_id=call.id, source=PUSH_SOURCE, page=0).pack(),
            )
        )
    kb.row(
        InlineKeyboardButton(
            text=_("🔕 Unsubscribe"), callback_data=NotifyCb(action="unsub").pack()
        )
    )
    return kb.as_markup()


def notify_settings(prefs: NotifyPrefs) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for days in REMINDER_DAY_CHOICES:
        mark = "✅" if days in prefs.reminder_days else "⬜"
        kb.button(
            text=f"{mark} {reminder_day_label(days)}",
            callback_data=NotifyCb(action="day", value=days),
        )
    for hour in SEND_HOUR_CHOICES:
        mark = "✅ " if hour == prefs.send_hour else ""
        kb.button(text=f"{mark}{hour:02d}:00", callback_data=NotifyCb(action="hour", value=hour))
    kb.button(
        text=(
            _("✅ New calls for my filter") if prefs.subscribed else _("⬜ New calls for my filter")
        ),
        callback_data=NotifyCb(action="sub", value=int(not prefs.subscribed)),
    )
    counts = [2, 2, 2, 4, 4, 1]
    if prefs.subscribed:
        kb.button(
            text=("✅ " if not prefs.digest else "") + _("⚡ Instantly"),
            callback_data=NotifyCb(action="digest", value=0),
        )
        kb.button(
            text=("✅ " if prefs.digest else "") + _("📅 Weekly digest"),
            callback_data=NotifyCb(action="digest", value=1),
        )
        counts.append(2)
    kb.button(text=_("🌍 Time zone and quiet hours"), callback_data=ZoneCb(action="menu"))
    kb.button(text=_("⬅️ Settings"), callback_data=MenuCb(action="settings"))
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(action="home"))
    counts.extend((1, 2))
    kb.adjust(*counts)
    return kb.as_markup()
