"""Texts of the time-zone screen: the student's zone, its local time, quiet hours."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_timezone_gmt

from bot.domain.reminders import QuietHours
from bot.domain.zones import ZoneChoice, choice_of
from bot.i18n import _, babel_locale
from bot.texts.applications import quiet_label
from bot.texts.formatting import zone_city


def choice_label(choice: ZoneChoice, locale: str) -> str:
    """ "Berlin · Paris" in the student's language."""
    return " · ".join(zone_city(ZoneInfo(city), locale) for city in choice.cities)


def zone_label(zone: ZoneInfo, locale: str) -> str:
    choice = choice_of(zone.key)
    return choice_label(choice, locale) if choice else zone_city(zone, locale)


def local_clock(zone: ZoneInfo, now: datetime, locale: str) -> str:
    """ "14:05, GMT+01:00" """
    local = now.astimezone(zone)
    time = format_time(local.time(), "HH:mm", locale=babel_locale(locale))
    return f"{time}, {get_timezone_gmt(local, 'long', locale=babel_locale(locale))}"


def zone_screen_text(zone: ZoneInfo, quiet: QuietHours, now: datetime, locale: str) -> str:
    return "\n".join(
        [
            _("🌍 <b>Your time zone and quiet hours</b>"),
            "",
            _("Time zone: %(zone)s — now %(clock)s.")
            % {"zone": zone_label(zone, locale), "clock": local_clock(zone, now, locale)},
            _("Quiet hours: %(span)s.") % {"span": quiet_label(quiet)},
            "",
            _(
                "Deadlines are shown and reminders sent in this time; nothing is sent in "
                "quiet hours. Studying abroad? Pick your zone, or send your location and "
                "the bot finds it (only the zone is kept, not the location)."
            ),
        ]
    )


def location_prompt() -> str:
    return _(
        "📍 Press the button below to share your location. The bot only uses it to find "
        "your time zone, and does not keep it."
    )


def zone_found(zone: ZoneInfo, now: datetime, locale: str) -> str:
    return _("✅ Time zone set: %(zone)s — now %(clock)s. Not right? Pick yours from the list.") % {
        "zone": zone_label(zone, locale),
        "clock": local_clock(zone, now, locale),
    }


def location_not_shared() -> str:
    return _("No location shared. You can pick your time zone from the list.")
