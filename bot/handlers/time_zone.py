"""A student's own time zone and quiet hours (/settings → 🌍 Time zone, or from the
reminder settings): a short list, or the zone nearest to a shared location."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.domain.profile import UserProfile
from bot.filters import NOT_A_COMMAND, PRIVATE, PRIVATE_PRESS, Magic
from bot.handlers.states import ZoneFlow
from bot.handlers.ui import Event, alert, show
from bot.i18n import _, __
from bot.keyboards import zones as kb
from bot.keyboards.callbacks import ZoneCb
from bot.services.time_zones import TimeZones
from bot.texts import zones as texts


async def show_zone_screen(
    event: Event, profile: UserProfile, time_zones: TimeZones, clock: Clock, locale: str
) -> None:
    zone, quiet = time_zones.clock_of(profile)
    await show(
        event,
        texts.zone_screen_text(zone, quiet, clock.now(), locale),
        kb.zone_menu(zone.key, quiet, time_zones.quiet_choices(), locale),
    )


async def zone_screen(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ZoneCb,
    state: FSMContext,
    profile: UserProfile,
    time_zones: TimeZones,
    clock: Clock,
    i18n: I18n,
) -> None:
    action, value = callback_data.action, callback_data.value
    if action == "locate":
        await state.set_state(ZoneFlow.locating)
        if isinstance(callback.message, Message):
            await callback.message.answer(
                texts.location_prompt(), reply_markup=kb.location_request()
            )
        return
    changed: UserProfile | None = None
    if action == "menu":
        changed = profile
    elif action == "zone":
        changed = await time_zones.choose_zone(profile.id, value)
    elif action == "quiet":
        changed = await time_zones.choose_quiet(profile.id, value)
    if changed is None:  # an unknown action or a number the list does not have
        alert(callback_answer, _("This button has expired."))
        return
    if await state.get_state() == ZoneFlow.locating.state:  # picked from the list instead
        await state.set_state(None)
    if changed is not profile:
        callback_answer.text = _("✅ Saved.")
    await show_zone_screen(callback, changed, time_zones, clock, i18n.current_locale)


async def location_shared(
    message: Message,
    state: FSMContext,
    profile: UserProfile,
    time_zones: TimeZones,
    clock: Clock,
    i18n: I18n,
) -> None:
    assert message.location is not None  # the filter let only locations in
    await state.set_state(None)
    point = message.location
    profile = await time_zones.locate(profile.id, point.latitude, point.longitude)
    locale = i18n.current_locale
    zone, _quiet = time_zones.clock_of(profile)
    found = texts.zone_found(zone, clock.now(), locale)
    await message.answer(found, reply_markup=ReplyKeyboardRemove())
    await show_zone_screen(message, profile, time_zones, clock, locale)


async def location_declined(
    message: Message,
    state: FSMContext,
    profile: UserProfile,
    time_zones: TimeZones,
    clock: Clock,
    i18n: I18n,
) -> None:
    """ "Cancel" under the location button, or anything typed instead of a location while
    the bot waits for one: the list instead."""
    await state.set_state(None)
    await message.answer(texts.location_not_shared(), reply_markup=ReplyKeyboardRemove())
    await show_zone_screen(message, profile, time_zones, clock, i18n.current_locale)


def get_router() -> Router:
    router = Router(name="time_zone")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.callback_query.register(zone_screen, ZoneCb.filter())
    # A location is only ever asked for the time zone: taken whenever it comes, also from a
    # location button left on screen after the student went elsewhere.
    router.message.register(location_shared, Magic(F.location))
    router.message.register(location_declined, StateFilter(ZoneFlow.locating), NOT_A_COMMAND)
    router.message.register(location_declined, Magic(F.text == __("✖️ Cancel")))
    return router
