"""Dates, numbers and day counts through babel, in the user's locale and Tashkent time;
HTML escaping and splitting to Telegram's limits."""

from __future__ import annotations

import html
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from bot.i18n import _, _n, babel_locale

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024


def escape(text: str) -> str:
    return html.escape(text, quote=False)


# Babel formatting is pure and, per number or date, far slower than a dictionary lookup;
# the same deadlines and day counts are shown to every student.
FORMAT_CACHE = 8192


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=babel_locale(locale))


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_date(value: date | datetime, locale: str, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return format_date(value, format="long", locale=babel_locale(locale))


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_datetime(value: datetime, locale: str, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    when = format_date(local.date(), format="long", locale=babel_locale(locale))
    return f"{when}, {format_time(local.time(), 'HH:mm', locale=babel_locale(locale))}"


def fmt_days_left(days: int, locale: str) -> str:
    if days <= 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return _n("%(days)s day left", "%(days)s days left", days) % {"days": fmt_number(days, locale)}


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at paragraph, then line, then word boundaries so no part exceeds `limit`.

    Our HTML never spans lines, so splitting between lines keeps tags balanced.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut at the last space
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [part for part in parts if part.strip()]


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
