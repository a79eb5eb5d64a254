"""Results for the student's profile, refining facets, paging and call cards."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.users import UsersRepo
from bot.domain.profile import ALL_FIELDS_MASK, DEADLINE_WINDOWS, Facet, Funding, UserProfile
from bot.filters import PRIVATE, PRIVATE_PRESS
from bot.handlers.cards import show_card
from bot.handlers.screens import show_facet_menu, show_matches, show_menu, show_search
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import builders
from bot.keyboards.applications import MY_SOURCE
from bot.keyboards.builders import ANY
from bot.keyboards.callbacks import CardCb, FacetCb, FacetMenuCb, ListCb, MenuCb, RelaxCb


async def _needs_onboarding(event: Message | CallbackQuery, profile: UserProfile) -> bool:
    if profile.onboarded:
        return False
    await show(event, _("Let's set up your profile first: press /start."), builders.back_to_menu())
    return True


async def matches(
    event: Message | CallbackQuery,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    if not await _needs_onboarding(event, profile):
        await show_matches(event, profile, calls, clock, settings, i18n.current_locale)


async def list_page(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ListCb,
    state: FSMContext,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    page = max(0, callback_data.page)
    if callback_data.source == "s":
        query = (await state.get_data()).get("search_query")
        if not query:
            alert(callback_answer, _("This search has expired. Send a new one."))
            return
        zone = profile.zone(settings.tz)
        await show_search(callback, query, calls, clock, zone, i18n.current_locale, page)
    elif not await _needs_onboarding(callback, profile):
        await show_matches(callback, profile, calls, clock, settings, i18n.current_locale, page)


async def open_card(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    bot: Bot,
    callback_data: CardCb,
    profile: UserProfile,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    now = clock.now()
    call = await calls.get(callback_data.call_id)
    if call is None or not call.is_open(now):
        alert(callback_answer, _("This call is closed or no longer available."))
        if profile.onboarded:
            await show_matches(callback, profile, calls, clock, settings, i18n.current_locale)
        else:
            await show_menu(callback, profile)
        return
    source = callback_data.source if callback_data.source in {"m", "s", MY_SOURCE} else None
    await show_card(
        callback,
        bot,
        call,
        profile,
        applications,
        settings,
        i18n.current_locale,
        now,
        source,
        callback_data.page,
    )


async def facet_menu(
    callback: CallbackQuery,
    callback_data: FacetMenuCb,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    if Facet.named(callback_data.facet) is not None:
        programmes = await calls.programmes()
        countries = await calls.countries_in_use(clock.now())
        await show(
            callback,
            _("Choose a value:"),
            builders.facet_choices(callback_data.facet, programmes, countries, locale),
        )
    else:
        await show_facet_menu(callback, profile, calls, locale)


async def _valid_facet_value(
    facet: Facet, value: str, calls: CallsRepo, clock: Clock
) -> str | int | None:
    """The stored value for a facet choice, or raise ValueError for forged or stale data."""
    if value == ANY:
        return None
    if facet == "programme" and value in {p.code for p in await calls.programmes()}:
        return value
    if facet == "funding" and value in {f.value for f in Funding}:
        return value
    if facet == "country" and value in await calls.countries_in_use(clock.now()):
        return value
    if facet == "window_days" and value.isdecimal() and int(value) in DEADLINE_WINDOWS:
        return int(value)
    if facet == "eligible" and value == "1":
        return 1
    raise ValueError(value)


async def set_facet(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: FacetCb,
    users: UsersRepo,
    calls: CallsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    facet = Facet.named(callback_data.facet)
    try:
        if facet is None:
            raise ValueError(callback_data.facet)
        value = await _valid_facet_value(facet, callback_data.value, calls, clock)
    except ValueError:
        alert(callback_answer, _("This button has expired."))
        return
    profile = await users.set_facet(callback.from_user.id, facet, value)
    await show_facet_menu(callback, profile, calls, i18n.current_locale)
    callback_answer.text = _("✅ Saved.")


async def relax(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: RelaxCb,
    users: UsersRepo,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    facet = Facet.named(callback_data.facet)
    if callback_data.facet == "fields":
        profile = await users.set_fields(callback.from_user.id, ALL_FIELDS_MASK)
    elif facet is not None:
        profile = await users.set_facet(callback.from_user.id, facet, None)
    else:
        alert(callback_answer, _("This button has expired."))
        return
    await show_matches(callback, profile, calls, clock, settings, i18n.current_locale)


def get_router() -> Router:
    router = Router(name="browse")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.callback_query.register(matches, MenuCb.filter(F.action == "matches"))
    router.message.register(matches, Command("calls"))
    router.callback_query.register(list_page, ListCb.filter())
    router.callback_query.register(open_card, CardCb.filter())
    router.callback_query.register(facet_menu, FacetMenuCb.filter())
    router.callback_query.register(set_facet, FacetCb.filter())
    router.callback_query.register(relax, RelaxCb.filter())
    return router
