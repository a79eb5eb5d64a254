"""Screens shared by several routers: menu, matching calls, search results, settings."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.domain.calls import failed_by
from bot.domain.profile import UserProfile
from bot.handlers.ui import Event, show
from bot.i18n import _
from bot.keyboards import builders
from bot.keyboards.callbacks import MenuCb
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.texts.catalog import filter_summary, results_text
from bot.texts.formatting import escape, shorten
from bot.texts.programmes import programme_names

SEARCH_ECHO_WIDTH = 60


def menu_text(profile: UserProfile) -> str:
    return _("<b>Main menu</b>\nWhat would you like to do, %(name)s?") % {
        "name": escape(profile.first_name or "")
    }


async def show_menu(event: Event, profile: UserProfile) -> None:
    await show(event, menu_text(profile), builders.main_menu())


async def show_matches(
    event: Event,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    locale: str,
    page: int = 0,
) -> None:
    flt = profile.call_filter()
    now = clock.now()
    if flt.eligible:
        conditioned = await calls.open_with_conditions(now)
        flt = replace(flt, failed=failed_by(conditioned, profile.facts, now, settings.tz))
    result = await calls.find(flt, now, page=page)
    names = programme_names(await calls.programmes())
    summary = filter_summary(flt, names, locale)
    if result.total == 0:
        text = "\n".join(
            [
                _("<b>No open calls match your filters.</b>"),
                f"<i>{escape(summary)}</i>",
                "",
                _("Widen the search with one of the buttons below."),
            ]
        )
        await show(event, text, builders.relax_options(flt))
        return
    zone = profile.zone(settings.tz)
    text = results_text(result, _("🎯 Calls for you"), locale, now, zone, summary)
    await show(event, text, builders.results(result, "m", locale))


async def show_search(
    event: Event,
    query: str,
    calls: CallsRepo,
    clock: Clock,
    zone: ZoneInfo,
    locale: str,
    page: int = 0,
) -> None:
    now = clock.now()
    result = await calls.search(query, now, page=page)
    echo = escape(shorten(query, SEARCH_ECHO_WIDTH))
    if result.total == 0:
        text = _(
            "Nothing found for «%(query)s».\nTry another word — Latin or Cyrillic both work."
        ) % {"query": echo}
        await show(event, text, _no_results_keyboard())
        return
    heading = _("🔍 Results for «%(query)s»") % {"query": echo}
    text = results_text(result, heading, locale, now, zone)
    await show(event, text, builders.results(result, "s", locale))


def _no_results_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🎯 Calls for me"), callback_data=MenuCb(action="matches"))
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(action="home"))
    kb.adjust(2)
    return kb.as_markup()


def settings_text(profile: UserProfile, names: dict[str, str], locale: str) -> str:
    from bot.i18n import LANGUAGE_NAMES

    return "\n".join(
        [
            _("<b>⚙️ Settings</b>"),
            _("Language: %(language)s") % {"language": LANGUAGE_NAMES.get(locale, locale)},
            _("Your filter: %(filter)s")
            % {"filter": escape(filter_summary(profile.call_filter(), names, locale))},
        ]
    )


async def show_settings(
    event: Event, profile: UserProfile, calls: CallsRepo, locale: str, notice: str = ""
) -> None:
    names = programme_names(await calls.programmes())
    text = settings_text(profile, names, locale)
    if notice:
        text = f"{notice}\n\n{text}"
    await show(event, text, builders.settings_menu())


async def show_facet_menu(
    event: Event, profile: UserProfile, calls: CallsRepo, locale: str
) -> None:
    """The optional filters (programme, funding, country, deadline) with their values."""
    await show(
        event,
        _("🎛 <b>Refine your results</b>\nEach filter is optional."),
        builders.facet_menu(profile.call_filter(), await calls.programmes(), locale),
    )
