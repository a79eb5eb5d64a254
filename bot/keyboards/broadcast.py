"""Buttons of /broadcast. The prefix starts with "adm": the refusal router answers forgeries."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.audience import ACTIVE_WINDOWS, SEGMENTS
from bot.domain.calls import Programme
from bot.domain.profile import Field, Level
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards.callbacks import Number
from bot.texts.labels import field_label, level_label

SEGMENT_KINDS = SEGMENTS


class BcCb(CallbackData, prefix="admb"):
    action: str  # seg | pick | confirm | abort | pause | resume | cancel | refresh
    arg: str = ""  # a segment kind, or "kind=value"
    job_id: Number = 0


def segments() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("👥 Everyone"), callback_data=BcCb(action="pick", arg="all="))
    kb.button(text=_("🌐 By language"), callback_data=BcCb(action="seg", arg="lang"))
    kb.button(text=_("🎓 By level"), callback_data=BcCb(action="seg", arg="level"))
    kb.button(text=_("📚 By field"), callback_data=BcCb(action="seg", arg="field"))
    kb.button(text=_("🏛 By programme"), callback_data=BcCb(action="seg", arg="prog"))
    kb.button(text=_("🔔 Subscribers"), callback_data=BcCb(action="pick", arg="subs="))
    kb.button(text=_("⏱ Active recently"), callback_data=BcCb(action="seg", arg="active"))
    kb.button(text=_("✖️ Cancel"), callback_data=BcCb(action="abort"))
    kb.adjust(1, 2, 2, 2, 1)
    return kb.as_markup()


def segment_options(kind: str, programmes: list[Programme]) -> list[tuple[str, str]]:
    """(label, value) of every audience of `kind` an admin can pick; [] for "all"/"subs"."""
    if kind == "lang":
        return [(name, code) for code, name in LANGUAGE_NAMES.items()]
    if kind == "level":
        return [(level_label(level), level.value) for level in Level]
    if kind == "field":
        return [(field_label(field), str(field.bit)) for field in Field]
    if kind == "prog":
        return [(p.name, p.code) for p in programmes]
    if kind == "active":
        return [(_("%(days)s days") % {"days": days}, str(days)) for days in ACTIVE_WINDOWS]
    return []


def is_offered(kind: str, value: str, programmes: list[Programme]) -> bool:
    """Whether a pressed audience is one these buttons offer (callback data can be forged)."""
    if kind not in SEGMENT_KINDS:
        return False
    options = segment_options(kind, programmes)
    return value in {v for _label, v in options} if options else value == ""


def segment_values(kind: str, programmes: list[Programme]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    options = segment_options(kind, programmes)
    for label, value in options:
        kb.button(text=label, callback_data=BcCb(action="pick", arg=f"{kind}={value}"))
    kb.button(text=_("✖️ Cancel"), callback_data=BcCb(action="abort"))
    kb.adjust(*([2] * ((len(options) + 1) // 2)), 1)
    return kb.as_markup()


def confirm() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Confirm and send"), callback_data=BcCb(action="confirm"))
    kb.button(text=_("✖️ Cancel"), callback_data=BcCb(action="abort"))
    kb.adjust(1)
    return kb.as_markup()


def progress_keyboard(job_id: int, paused: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if paused:
        kb.button(text=_("▶️ Resume"), callback_data=BcCb(action="resume", job_id=job_id))
    else:
        kb.button(text=_("⏸ Pause"), callback_data=BcCb(action="pause", job_id=job_id))
    kb.button(text=_("⏹ Cancel the broadcast"), callback_data=BcCb(action="cancel", job_id=job_id))
    kb.adjust(2)
    return kb.as_markup()
