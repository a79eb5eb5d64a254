"""Results for the student's profile, refining facets, paging and call cards."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.users import UserProfile, UsersRepo
from bot.domain.profile import ALL_FIELDS_MASK, DEADLINE_WINDOWS, Funding
from bot.filters import PRIVATE
from bot.handlers.cards import show_card
from bot.handlers.screens import show_facet_menu, show_matches, show_menu, show_search
from bot.handlers.ui import show
from bot.i18n import _
from bot.keyboards import builders
from bot.keyboards.applications import MY_SOURCE
from bot.keyboards.builders import ANY
from bot.keyboards.callbacks import CardCb, FacetCb, FacetMenuCb, ListCb, MenuCb, RelaxCb

FACET_COLUMNS = {
    "programme": "facet_programme",
    "funding": "facet_funding",
    "country": "facet_country",
    "window_days": "facet_window_days",
}


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
    if isinstance(event, CallbackQuery):
        await event.answer()


async def list_page(
    callback: CallbackQuery,
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
            await callback.answer(_("This search has expired. Send a new one."), show_alert=True)
            return
        await show_search(callback, query, calls, clock, settings, i18n.current_locale, page)
    elif not await _needs_onboarding(callback, profile):
        await show_matches(callback, profile, calls, clock, settings, i18n.current_locale, page)
    await callback.answer()


async def open_card(
    callback: CallbackQuery,
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
        await callback.answer(_("This call is closed or no longer available."), show_alert=True)
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
        profile.id,
        applications,
        settings,
        i18n.current_locale,
        now,
        source,
        callback_data.page,
    )
    await callback.answer()


async def facet_menu(
    callback: CallbackQuery,
    callback_data: FacetMenuCb,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    if callback_data.facet in FACET_COLUMNS:
        programmes = await calls.programmes()
        countries = await calls.countries_in_use(clock.now())
        await show(
            callback,
            _("Choose a value:"),
            builders.facet_choices(callback_data.facet, programmes, countries, locale),
        )
    else:
        await show_facet_menu(callback, profile, calls, locale)
    await callback.answer()


async def _valid_facet_value(facet: str, value: str, calls: CallsRepo, clock: Clock) -> object:
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
    raise ValueError(value)


async def set_facet(
    callback: CallbackQuery,
    callback_data: FacetCb,
    users: UsersRepo,
    calls: CallsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    column = FACET_COLUMNS.get(callback_data.facet)
    try:
        if column is None:
            raise ValueError(callback_data.facet)
        value = await _valid_facet_value(callback_data.facet, callback_data.value, calls, clock)
    except ValueError:
        await callback.answer(_("This button has expired."), show_alert=True)
        return
    profile = await users.update(callback.from_user.id, **{column: value})
    await show_facet_menu(callback, profile, calls, i18n.current_locale)
    await callback.answer(_("✅ Saved."))


async def relax(
    callback: CallbackQuery,
    callback_data: RelaxCb,
    users: UsersRepo,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    if callback_data.facet == "fields":
        changes: dict[str, object] = {"fields_mask": ALL_FIELDS_MASK}
    elif callback_data.facet in FACET_COLUMNS:
        changes = {FACET_COLUMNS[callback_data.facet]: None}
    else:
        await callback.answer(_("This button has expired."), show_alert=True)
        return
    profile = await users.update(callback.from_user.id, **changes)
    await show_matches(callback, profile, calls, clock, settings, i18n.current_locale)
    await callback.answer()


def get_router() -> Router:
    router = Router(name="browse")
    router.message.filter(PRIVATE)
    router.callback_query.register(matches, MenuCb.filter(F.action == "matches"))
    router.message.register(matches, Command("calls"))
    router.callback_query.register(list_page, ListCb.filter())
    router.callback_query.register(open_card, CardCb.filter())
    router.callback_query.register(facet_menu, FacetMenuCb.filter())
    router.callback_query.register(set_facet, FacetCb.filter())
    router.callback_query.register(relax, RelaxCb.filter())
    return router
