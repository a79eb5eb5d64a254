"""/admin: the desk's menu, lists of calls, a call's admin view (preview in any language),
publish / close / reopen and the call's history."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.domain.calls import Call
from bot.domain.catalog_rows import LANGS
from bot.domain.profile import CallStatus
from bot.handlers.admin.call_forms import EDITABLE_STEPS, step_label
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdmCallCb, AdminCb
from bot.services.catalogue_desk import CatalogueDesk
from bot.services.channels import ChannelPosts
from bot.texts.admin import admin_menu_text, history_text
from bot.texts.catalog import card_text
from bot.texts.formatting import escape


def status_label(status: CallStatus) -> str:
    return {
        CallStatus.DRAFT: _("draft"),
        CallStatus.PUBLISHED: _("published"),
        CallStatus.CLOSED: _("closed"),
    }[status]


async def show_admin_menu(
    event: Message | CallbackQuery, calls: CallsRepo, i18n: I18n, notice: str = ""
) -> None:
    counts: dict[str, int] = {}
    for call in await calls.list_all():
        counts[call.status.value] = counts.get(call.status.value, 0) + 1
    text = admin_menu_text(counts, i18n.current_locale)
    await show(event, f"{notice}\n\n{text}" if notice else text, kb.admin_menu())


async def show_call(
    event: Message | CallbackQuery,
    call: Call,
    i18n: I18n,
    now: datetime,
    tz: ZoneInfo,
    lang: str | None = None,
    notice: str = "",
    in_channels: bool | None = None,
) -> None:
    """The call as admins see it: status line, missing translations, the student's card
    (and, when channels are set up and `in_channels` given, whether it goes to them)."""
    lang = lang if lang in LANGS else i18n.current_locale
    lines = []
    if notice:
        lines += [notice, ""]
    lines.append(
        f"{kb.STATUS_MARK[call.status]} <b>#{call.id}</b> · {status_label(call.status)} · "
        f"<code>{escape(call.external_id or '')}</code>"
    )
    if call.next_round_of is not None and call.status == CallStatus.DRAFT:
        lines.append(
            _(
                "%(mark)s Next round of #%(previous)s, drafted when it closed: every date is "
                "a year on and marked «usually». Confirm or edit the dates, then publish "
                "(or publish as it is, with «usually» dates)."
            )
            % {"mark": kb.NEXT_ROUND_MARK, "previous": call.next_round_of}
        )
    missing = [kb.LANG_SHORT[code] for code in LANGS if code not in call.texts]
    if missing:
        lines.append(_("⚠️ No text in: %(languages)s") % {"languages": ", ".join(missing)})
    lines.append(
        _("Preview as a student sees it in %(language)s:") % {"language": kb.LANG_SHORT[lang]}
    )
    lines.append("— — —")
    with i18n.use_locale(lang):
        card = card_text(call, lang, now, tz)
    await show(event, "\n".join(lines) + "\n" + card, kb.call_actions(call, in_channels))


async def leave_to_menu(
    event: Message | CallbackQuery,
    state: FSMContext,
    calls: CallsRepo,
    i18n: I18n,
    notice: str = "",
) -> None:
    """Whatever flow was open is left (unsaved), and the desk's menu shown."""
    await state.clear()
    await show_admin_menu(event, calls, i18n, notice)


async def admin_command(message: Message, state: FSMContext, calls: CallsRepo, i18n: I18n) -> None:
    await leave_to_menu(message, state, calls, i18n)


async def cancel_outside_a_flow(message: Message, calls: CallsRepo, i18n: I18n) -> None:
    """An admin's /cancel with no flow open; other features' flows keep their own /cancel."""
    await show_admin_menu(message, calls, i18n, notice=_("Cancelled."))


async def admin_menu(
    callback: CallbackQuery, state: FSMContext, calls: CallsRepo, i18n: I18n
) -> None:
    await leave_to_menu(callback, state, calls, i18n)


async def call_list(
    callback: CallbackQuery, callback_data: AdminCb, calls: CallsRepo, i18n: I18n
) -> None:
    everything = sorted(await calls.list_all(), key=lambda c: -c.id)
    if callback_data.action == "drafts":
        chosen = [c for c in everything if c.status == CallStatus.DRAFT]
        # Next rounds of yearly calls first: they wait for an admin's confirmation.
        chosen.sort(key=lambda c: c.next_round_of is None)
        title = _("📝 <b>Drafts</b>") if chosen else _("There are no drafts.")
        if any(c.next_round_of is not None for c in chosen):
            title += "\n" + _(
                "%(mark)s next round of a yearly call: confirm or edit its dates, then publish."
            ) % {"mark": kb.NEXT_ROUND_MARK}
    else:
        chosen = everything
        title = _("📋 <b>All calls</b> (newest first)")
    markup = kb.call_list(chosen, callback_data.action, callback_data.page, i18n.current_locale)
    await show(callback, title, markup)


async def _call_or_alert(
    callback_answer: CallbackAnswer, calls: CallsRepo, call_id: int
) -> Call | None:
    call = await calls.get(call_id)
    if call is None:
        alert(callback_answer, _("This call no longer exists."))
    return call


async def view_call(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmCallCb,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    channels: ChannelPosts,
) -> None:
    call = await _call_or_alert(callback_answer, calls, callback_data.call_id)
    if call is None:
        return
    in_channels = not await channels.kept_off(call.id) if settings.channel_ids else None
    await show_call(
        callback,
        call,
        i18n,
        clock.now(),
        settings.tz,
        lang=callback_data.arg or None,
        in_channels=in_channels,
    )


async def toggle_channels(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmCallCb,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    channels: ChannelPosts,
) -> None:
    """Keep the call out of the channels, or let it in again (posted now if published)."""
    call = await _call_or_alert(callback_answer, calls, callback_data.call_id)
    if call is None:
        return
    if not settings.channel_ids:
        alert(callback_answer, _("This button has expired."))
        return
    in_channels = await channels.kept_off(call.id)  # the flip
    await channels.keep_off(call, not in_channels)
    notice = (
        _("📣 This call goes to the channels.")
        if in_channels
        else _("🙈 This call is kept out of the channels.")
    )
    await show_call(
        callback, call, i18n, clock.now(), settings.tz, notice=notice, in_channels=in_channels
    )


async def edit_menu(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmCallCb,
    calls: CallsRepo,
) -> None:
    call = await _call_or_alert(callback_answer, calls, callback_data.call_id)
    if call is None:
        return
    labels = {step: step_label(step) for step in EDITABLE_STEPS}
    text = _("✏️ <b>Call #%(id)s</b>: what do you want to change?") % {"id": call.id}
    await show(callback, text, kb.edit_fields(call, labels))


async def publish(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmCallCb,
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    call = await _call_or_alert(callback_answer, calls, callback_data.call_id)
    if call is None:
        return
    now = clock.now()
    expected = CallStatus.CLOSED if callback_data.action == "reopen" else CallStatus.DRAFT
    if call.status != expected:
        alert(callback_answer, _("This button has expired."))
        await show_call(callback, call, i18n, now, settings.tz)
        return
    if call.deadline_at is not None and call.deadline_at <= now:
        alert(callback_answer, _("The deadline has passed. Change the deadline first."))
        return
    missing = [lang for lang in LANGS if lang not in call.texts]
    texts = dict(call.texts)
    if missing and callback_data.action == "fallback":
        source = call.texts.get(callback_data.arg)
        if source is None:
            alert(callback_answer, _("This button has expired."))
            return
        texts.update({lang: source for lang in missing})
    elif missing:
        text = _(
            "⚠️ Call #%(id)s has no text in %(languages)s. Students who use these languages "
            "would not understand it. Add the translations, or publish with the text of "
            "another language in their place."
        ) % {"id": call.id, "languages": ", ".join(kb.LANG_SHORT[m] for m in missing)}
        await show(callback, text, kb.fallback_choice(call, [x for x in LANGS if x in texts]))
        return
    published = await desk.edit(
        call, replace(call, status=CallStatus.PUBLISHED, texts=texts), callback.from_user.id, now
    )
    notice = _("🚀 Published: students can find it now.")
    await show_call(callback, published, i18n, now, settings.tz, notice=notice)


async def close(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmCallCb,
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    call = await _call_or_alert(callback_answer, calls, callback_data.call_id)
    if call is None:
        return
    now = clock.now()
    if call.status == CallStatus.PUBLISHED:
        call = await desk.set_status(call, CallStatus.CLOSED, callback.from_user.id, now)
        notice = _("🔒 Closed: students no longer see it.")
    else:
        notice = ""
    await show_call(callback, call, i18n, now, settings.tz, notice=notice)


async def history(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmCallCb,
    calls: CallsRepo,
    desk: CatalogueDesk,
    settings: Settings,
    i18n: I18n,
) -> None:
    call = await _call_or_alert(callback_answer, calls, callback_data.call_id)
    if call is None:
        return
    entries = await desk.history.of_call(call.id)
    text = history_text(call.id, entries, i18n.current_locale, settings.tz)
    await show(callback, text, kb.back_to_call(call.id))


def get_router() -> Router:
    router = Router(name="admin_catalogue")
    router.message.register(admin_command, Command("admin"))
    router.message.register(cancel_outside_a_flow, StateFilter(None), Command("cancel"))
    router.callback_query.register(admin_menu, AdminCb.filter(F.action == "menu"))
    router.callback_query.register(call_list, AdminCb.filter(F.action.in_({"drafts", "calls"})))
    router.callback_query.register(view_call, AdmCallCb.filter(F.action == "view"))
    router.callback_query.register(edit_menu, AdmCallCb.filter(F.action == "edit"))
    router.callback_query.register(
        publish, AdmCallCb.filter(F.action.in_({"publish", "reopen", "fallback"}))
    )
    router.callback_query.register(close, AdmCallCb.filter(F.action == "close"))
    router.callback_query.register(history, AdmCallCb.filter(F.action == "history"))
    router.callback_query.register(toggle_channels, AdmCallCb.filter(F.action == "channels"))
    return router
