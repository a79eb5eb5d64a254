"""A student's own time zone and quiet hours (/settings → 🌍 Time zone, or from the
reminder settings): a short list, or the zone nearest to a shared location. Reminders are
planned again in the new zone at once."""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.users import UsersRepo
from bot.domain.profile import UserProfile
from bot.domain.reminders import QuietHours
from bot.domain.zones import QUIET_CHOICES, ZONE_CHOICES, listed_equivalent, nearest_zone
from bot.filters import NOT_A_COMMAND, PRIVATE, Magic
from bot.handlers.states import ZoneFlow
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import zones as kb
from bot.keyboards.callbacks import ZoneCb
from bot.services.notifications import Notifications
from bot.texts import zones as texts

Event = Message | CallbackQuery


def quiet_choices(default: QuietHours) -> tuple[QuietHours, ...]:
    """The bot's own quiet hours first when the list does not have them."""
    return QUIET_CHOICES if default in QUIET_CHOICES else (default, *QUIET_CHOICES)


async def show_zone_screen(
    event: Event, profile: UserProfile, settings: Settings, clock: Clock, locale: str
) -> None:
    zone, quiet = profile.zone(settings.tz), profile.quiet_hours(settings.quiet)
    await show(
        event,
        texts.zone_screen_text(zone, quiet, clock.now(), locale),
        kb.zone_menu(zone.key, quiet, quiet_choices(settings.quiet), locale),
    )


async def zone_screen(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ZoneCb,
    state: FSMContext,
    profile: UserProfile,
    users: UsersRepo,
    notifications: Notifications,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
) -> None:
    action, value = callback_data.action, callback_data.value
    choices = quiet_choices(settings.quiet)
    if action == "menu":
        pass
    elif action == "zone" and value < len(ZONE_CHOICES):
        key = ZONE_CHOICES[value].key
        profile = await users.set_time_zone(profile.id, None if key == settings.timezone else key)
        await notifications.replan_user(profile.id)
        callback_answer.text = _("✅ Saved.")
    elif action == "quiet" and value < len(choices):
        quiet = choices[value]
        profile = await users.set_quiet_hours(
            profile.id, None if quiet == settings.quiet else quiet
        )
        await notifications.replan_user(profile.id)
        callback_answer.text = _("✅ Saved.")
    elif action == "locate":
        await state.set_state(ZoneFlow.locating)
        if isinstance(callback.message, Message):
            await callback.message.answer(
                texts.location_prompt(), reply_markup=kb.location_request()
            )
        return
    else:
        alert(callback_answer, _("This button has expired."))
        return
    await show_zone_screen(callback, profile, settings, clock, i18n.current_locale)


async def location_shared(
    message: Message,
    state: FSMContext,
    profile: UserProfile,
    users: UsersRepo,
    notifications: Notifications,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
) -> None:
    assert message.location is not None  # the filter let only locations in
    point = message.location
    now = clock.now()
    # A few hundred distances and a year of offsets: cheap, but kept off the event loop.
    key = await asyncio.to_thread(
        lambda: listed_equivalent(nearest_zone(point.latitude, point.longitude), now.year)
    )
    await state.set_state(None)
    profile = await users.set_time_zone(profile.id, None if key == settings.timezone else key)
    await notifications.replan_user(profile.id)
    locale = i18n.current_locale
    zone = profile.zone(settings.tz)
    await message.answer(texts.zone_found(zone, now, locale), reply_markup=ReplyKeyboardRemove())
    await show_zone_screen(message, profile, settings, clock, locale)


async def location_declined(
    message: Message,
    state: FSMContext,
    profile: UserProfile,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
) -> None:
    """ "Cancel", or anything typed instead of a location: the list instead."""
    await state.set_state(None)
    await message.answer(texts.location_not_shared(), reply_markup=ReplyKeyboardRemove())
    await show_zone_screen(message, profile, settings, clock, i18n.current_locale)


def get_router() -> Router:
    router = Router(name="time_zone")
    router.message.filter(PRIVATE)
    router.callback_query.register(zone_screen, ZoneCb.filter())
    locating = StateFilter(ZoneFlow.locating)
    router.message.register(location_shared, locating, Magic(F.location))
    router.message.register(location_declined, locating, NOT_A_COMMAND)
    return router
