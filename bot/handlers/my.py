"""My applications: save a call, tick its documents, export it to a calendar, and choose
reminders and new-call pushes (/my, the card's buttons, the buttons on every push)."""

from __future__ import annotations

from dataclasses import replace

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.domain.calls import Call
from bot.domain.profile import UserProfile
from bot.domain.reminders import REMINDER_DAY_CHOICES, SEND_HOUR_CHOICES
from bot.filters import PRIVATE, PRIVATE_PRESS
from bot.handlers.ui import Event, alert, show
from bot.i18n import _
from bot.keyboards import applications as kb
from bot.keyboards import builders
from bot.keyboards.applications import (
    CardState,
    ChecklistCb,
    IcsCb,
    MuteCb,
    NotifyCb,
    SaveCb,
    TickCb,
)
from bot.keyboards.callbacks import MenuCb
from bot.services.calendar import call_ics, ics_filename
from bot.services.notifications import Notifications
from bot.texts import applications as texts
from bot.texts.catalog import stated_deadline
from bot.texts.formatting import shorten


async def card_state(applications: ApplicationsRepo, user_id: int, call: Call) -> CardState:
    saved = await applications.saved(user_id, call.id)
    if saved is None:
        return CardState()
    checklist = await applications.checklist(user_id, call.id, call.programme.code)
    return CardState(saved=True, muted=saved.muted, checklist=checklist)


async def _open_call(
    callback_answer: CallbackAnswer,
    calls: CallsRepo,
    clock: Clock,
    call_id: int,
) -> Call | None:
    call = await calls.get(call_id)
    if call is None or not call.is_open(clock.now()):
        alert(callback_answer, _("This call is closed or no longer available."))
        return None
    return call


async def _refresh_card(
    callback: CallbackQuery, call: Call, applications: ApplicationsRepo
) -> None:
    """Swap the card's action rows, keeping its first (official page) and last (navigation)."""
    message = callback.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = message.reply_markup.inline_keyboard
    state = await card_state(applications, callback.from_user.id, call)
    if len(rows) < 2:
        return
    actions = builders.card_actions(call, state)
    markup = InlineKeyboardMarkup(inline_keyboard=[rows[0], *actions, rows[-1]])
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" not in error.message:
            raise


# -- the list -----------------------------------------------------------------------------
async def show_my(
    event: Event,
    profile: UserProfile,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    locale: str,
) -> None:
    now = clock.now()
    entries = []
    for saved in await applications.saved_by(profile.id):
        call = await calls.get(saved.call_id)
        if call is None:
            continue
        checklist = await applications.checklist(profile.id, call.id, call.programme.code)
        entries.append((call, checklist, saved.muted))
    # Open calls first (nearest deadline first, as stored), then closed or passed ones.
    entries.sort(key=lambda e: not e[0].is_open(now))
    open_ids = {call.id for call, _c, _m in entries if call.is_open(now)}
    await show(
        event,
        texts.my_list_text(entries, locale, now, profile.zone(settings.tz)),
        kb.my_list(entries, open_ids, locale),
    )


async def my_applications(
    event: Event,
    profile: UserProfile,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    await show_my(event, profile, calls, applications, clock, settings, i18n.current_locale)


# -- save, unsave, mute -------------------------------------------------------------------
async def toggle_saved(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: SaveCb,
    profile: UserProfile,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    notifications: Notifications,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    user_id = callback.from_user.id
    if callback_data.on:
        call = await _open_call(callback_answer, calls, clock, callback_data.call_id)
        if call is None:
            return
        await notifications.save(user_id, call)
        prefs = await applications.prefs(user_id)
        notice = (
            _("⭐ Saved to My applications. I will remind you before the deadline.")
            if prefs.reminder_days and call.deadline_at is not None
            else _("⭐ Saved to My applications.")
        )
    else:
        await notifications.unsave(user_id, callback_data.call_id)
        call = await calls.get(callback_data.call_id)
        notice = _("Removed from My applications; its reminders are cancelled.")
    if callback_data.src == "y":
        await show_my(callback, profile, calls, applications, clock, settings, i18n.current_locale)
    elif callback_data.src == "c" and call is not None:
        await _refresh_card(callback, call, applications)
    callback_answer.text, callback_answer.show_alert = notice, callback_data.src == "p"


async def toggle_muted(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: MuteCb,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    notifications: Notifications,
    clock: Clock,
) -> None:
    user_id = callback.from_user.id
    call = await calls.get(callback_data.call_id)
    if call is None or await applications.saved(user_id, call.id) is None:
        alert(callback_answer, _("This call is no longer in My applications."))
        return
    await notifications.set_muted(user_id, call, callback_data.on)
    if callback_data.src == "c":
        await _refresh_card(callback, call, applications)
    callback_answer.text = (
        _("🔕 No more reminders for this call.")
        if callback_data.on
        else _("🔔 Reminders for this call are on.")
    )
    callback_answer.show_alert = callback_data.src == "p"


# -- the checklist ------------------------------------------------------------------------
async def _saved_call(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    call_id: int,
    calls: CallsRepo,
    applications: ApplicationsRepo,
) -> Call | None:
    call = await calls.get(call_id)
    if call is None or await applications.saved(callback.from_user.id, call_id) is None:
        alert(callback_answer, _("Save the call first: its checklist lives in My applications."))
        return None
    return call


async def open_checklist(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ChecklistCb,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    i18n: I18n,
) -> None:
    call = await _saved_call(callback, callback_answer, callback_data.call_id, calls, applications)
    if call is None:
        return
    checklist = await applications.checklist(callback.from_user.id, call.id, call.programme.code)
    await show(
        callback,
        texts.checklist_text(call, checklist, i18n.current_locale),
        kb.checklist(call, checklist),
    )


async def tick_document(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: TickCb,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    call = await _saved_call(callback, callback_answer, callback_data.call_id, calls, applications)
    if call is None:
        return
    user_id = callback.from_user.id
    documents = await applications.documents(call.id, call.programme.code)
    if callback_data.key not in documents:
        alert(callback_answer, _("This button has expired."))
        return
    await applications.toggle_tick(user_id, call.id, callback_data.key, clock.now())
    checklist = await applications.checklist(user_id, call.id, call.programme.code)
    await show(
        callback,
        texts.checklist_text(call, checklist, i18n.current_locale),
        kb.checklist(call, checklist),
    )
    callback_answer.text = texts.progress(checklist)


# -- calendar -----------------------------------------------------------------------------
async def send_calendar_file(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    bot: Bot,
    callback_data: IcsCb,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    call = await _open_call(callback_answer, calls, clock, callback_data.call_id)
    if call is None:
        return
    if call.deadline_at is None:
        alert(callback_answer, _("This call has no fixed deadline yet."))
        return
    locale = i18n.current_locale
    text = call.text(locale)
    deadline = _("Deadline: %(deadline)s") % {
        "deadline": stated_deadline(call, locale, profile.zone(settings.tz))
    }
    description = f"{deadline}\n\n{shorten(text.summary, 600)}"
    content = call_ics(call, text.title, description, clock.now())
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(content, filename=ics_filename(call)),
        caption=_(
            "📅 Open this file to add the deadline to your calendar (with alarms a week and a day before)."
        ),
    )


# -- reminder and subscription settings ---------------------------------------------------
async def show_notify_settings(
    event: Event,
    applications: ApplicationsRepo,
    settings: Settings,
    profile: UserProfile,
    locale: str,
) -> None:
    prefs = await applications.prefs(profile.id)
    quiet, zone = profile.quiet_hours(settings.quiet), profile.zone(settings.tz)
    text = texts.notify_settings_text(prefs, quiet, zone, locale)
    await show(event, text, kb.notify_settings(prefs))


async def reminders_command(
    message: Message,
    applications: ApplicationsRepo,
    settings: Settings,
    profile: UserProfile,
    i18n: I18n,
) -> None:
    await show_notify_settings(message, applications, settings, profile, i18n.current_locale)


async def notify_settings(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: NotifyCb,
    profile: UserProfile,
    applications: ApplicationsRepo,
    notifications: Notifications,
    settings: Settings,
    i18n: I18n,
) -> None:
    user_id = callback.from_user.id
    prefs = await applications.prefs(user_id)
    action, value = callback_data.action, callback_data.value
    if action == "menu":
        await show_notify_settings(callback, applications, settings, profile, i18n.current_locale)
        return
    if action == "unsub":
        await applications.set_prefs(user_id, replace(prefs, subscribed=False))
        alert(
            callback_answer,
            _("🔕 Unsubscribed: no more new-call messages. Turn it back on in /settings."),
        )
        return
    if action == "day" and value in REMINDER_DAY_CHOICES:
        days = set(prefs.reminder_days) ^ {value}
        prefs = replace(prefs, reminder_days=tuple(sorted(days, reverse=True)))
    elif action == "hour" and value in SEND_HOUR_CHOICES:
        prefs = replace(prefs, send_hour=value)
    elif action == "sub" and value in (0, 1):
        if value and not profile.onboarded:
            alert(callback_answer, _("Let's set up your profile first: press /start."))
            return
        prefs = replace(prefs, subscribed=bool(value))
    elif action == "digest" and value in (0, 1):
        prefs = replace(prefs, digest=bool(value))
    else:
        alert(callback_answer, _("This button has expired."))
        return
    await applications.set_prefs(user_id, prefs)
    if action in ("day", "hour"):
        await notifications.replan_user(user_id)
    await show_notify_settings(callback, applications, settings, profile, i18n.current_locale)
    callback_answer.text = _("✅ Saved.")


def get_router() -> Router:
    router = Router(name="my")
    router.callback_query.filter(PRIVATE_PRESS)
    router.callback_query.register(my_applications, MenuCb.filter(F.action == "my"))
    router.message.register(my_applications, Command("my"), PRIVATE)
    router.callback_query.register(toggle_saved, SaveCb.filter())
    router.callback_query.register(toggle_muted, MuteCb.filter())
    router.callback_query.register(open_checklist, ChecklistCb.filter())
    router.callback_query.register(tick_document, TickCb.filter())
    router.callback_query.register(send_calendar_file, IcsCb.filter())
    router.message.register(reminders_command, Command("reminders"), PRIVATE)
    router.callback_query.register(notify_settings, NotifyCb.filter())
    return router
