"""The attention list: calls whose official page changed, moved or died, calls unverified
for too long, next-round drafts. An admin opens one, sees what changed and confirms the call
is still correct, or edits it (the call editor of bot/handlers/admin/catalogue.py)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards.admin import AdminCb
from bot.keyboards.attention import AttentionCb, attention_entry, attention_list
from bot.services.attention import Attention, AttentionEntry
from bot.texts.attention import attention_entry_text, attention_list_text


async def show_list(
    callback: CallbackQuery, attention: Attention, i18n: I18n, page: int = 0, notice: str = ""
) -> None:
    locale = i18n.current_locale
    current = await attention.build()
    text = attention_list_text(current.counts(), len(current.entries), locale)
    rows = [(e.call.id, e.kinds, e.call.text(locale).title) for e in current.entries]
    await show(callback, f"{notice}\n\n{text}" if notice else text, attention_list(rows, page))


async def _entry_or_alert(
    callback_answer: CallbackAnswer, attention: Attention, call_id: int
) -> AttentionEntry | None:
    """The call's attention entry, or an alert that the call is gone."""
    entry = await attention.entry(call_id)
    if entry is None:
        alert(callback_answer, _("This call no longer exists."))
    return entry


async def attention_menu(
    callback: CallbackQuery, callback_data: AdminCb, attention: Attention, i18n: I18n
) -> None:
    await show_list(callback, attention, i18n, callback_data.page)


async def open_entry(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AttentionCb,
    attention: Attention,
    settings: Settings,
    i18n: I18n,
) -> None:
    entry = await _entry_or_alert(callback_answer, attention, callback_data.call_id)
    if entry is None:
        return
    text = attention_entry_text(entry, i18n.current_locale, settings.tz, attention.today())
    await show(callback, text, attention_entry(entry.call.id, entry.call.official_url))


async def still_correct(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AttentionCb,
    attention: Attention,
    clock: Clock,
    i18n: I18n,
) -> None:
    entry = await _entry_or_alert(callback_answer, attention, callback_data.call_id)
    if entry is None:
        return
    await attention.confirm_still_correct(entry.call, callback.from_user.id, clock.now())
    notice = _("✅ Call #%(id)s is marked as verified today.") % {"id": entry.call.id}
    await show_list(callback, attention, i18n, notice=notice)


def get_router() -> Router:
    router = Router(name="admin_attention")
    router.callback_query.register(attention_menu, AdminCb.filter(F.action == "attention"))
    router.callback_query.register(open_entry, AttentionCb.filter(F.action == "open"))
    router.callback_query.register(still_correct, AttentionCb.filter(F.action == "ok"))
    return router
