"""Dates, numbers and day counts through babel, in the user's locale and Tashkent time;
HTML escaping and splitting to Telegram's limits."""

from __future__ import annotations

import html
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from aiogram.types import Message
from aiogram.utils.text_decorations import HtmlDecoration
from babel.dates import format_date, format_skeleton, format_time, get_timezone_location
from babel.numbers import format_decimal

from bot.i18n import _, _n, babel_locale

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024


def escape(text: str) -> str:
    return html.escape(text, quote=False)


# Babel formatting is pure and, per number or date, far slower than a dictionary lookup;
# the same deadlines and day counts are shown to every student.
FORMAT_CACHE = 8192
# CLDR writes uz_Cyrl dates "15 январ, 2027" but uz "15-yanvar, 2027": Uzbek writes the day
# with a hyphen in both scripts, and so do the catalogue's summaries.
LONG_DATE = {"uz_Cyrl": "d-MMMM, y"}


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=babel_locale(locale))


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_date(value: date | datetime, locale: str, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz).date()
    return format_date(value, format=LONG_DATE.get(locale, "long"), locale=babel_locale(locale))


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_datetime(value: datetime, locale: str, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    when = fmt_date(local.date(), locale, tz)
    return f"{when}, {format_time(local.time(), 'HH:mm', locale=babel_locale(locale))}"


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_short_datetime(value: datetime, locale: str, tz: ZoneInfo) -> str:
    """Day and month (no year) and the time: "16 January, 03:59"."""
    local = value.astimezone(tz)
    when = format_skeleton("MMMMd", local.date(), locale=babel_locale(locale))
    return f"{when}, {format_time(local.time(), 'HH:mm', locale=babel_locale(locale))}"


@lru_cache(maxsize=FORMAT_CACHE)
def fmt_day_month(value: datetime, locale: str, tz: ZoneInfo) -> str:
    """Day and month (no year): "25 June"."""
    return format_skeleton("MMMMd", value.astimezone(tz).date(), locale=babel_locale(locale))


@lru_cache(maxsize=64)
def zone_city(zone: ZoneInfo, locale: str) -> str:
    """The zone's exemplar city in the user's language ("Brussels", "Брюссель", "Bryussel").
    Babel's Uzbek Cyrillic data has no city names (it answers in English): the Russian
    spelling is the one Uzbek Cyrillic uses for foreign cities."""
    if zone.key == "Asia/Tashkent":
        return _("Tashkent")
    source = "ru" if locale == "uz_Cyrl" else locale
    return get_timezone_location(zone, locale=babel_locale(source), return_city=True)


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
            cut = _cut_point(line, limit)
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


def _cut_point(line: str, limit: int) -> int:
    """The last space before `limit`, else `limit` — moved back so that it falls neither inside
    a tag nor inside an escaped character such as "&amp;" (Telegram refuses either half)."""
    cut = line.rfind(" ", 0, limit)
    cut = cut if cut > 0 else limit
    tag = line.rfind("<", 0, cut)
    if tag > line.rfind(">", 0, cut):
        cut = tag
    amp = line.rfind("&", 0, cut)
    if amp >= 0 and ";" not in line[amp:cut]:
        cut = amp
    return cut if cut > 0 else limit


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class _EscapedAttributesHtml(HtmlDecoration):
    """aiogram's HTML decoration puts a link's address into `href` as it is: a `"`, `<` or
    `&` in it makes HTML that Telegram refuses."""

    def _tag(
        self,
        tag: str,
        content: str,
        *,
        attrs: dict[str, str] | None = None,
        flags: list[str] | None = None,
    ) -> str:
        if attrs:
            attrs = {name: html.escape(value, quote=True) for name, value in attrs.items()}
        return super()._tag(tag, content, attrs=attrs, flags=flags)


_HTML = _EscapedAttributesHtml()


def message_html(message: Message) -> str:
    """A received message's text or caption, with its formatting, as Telegram HTML ("" when
    it has neither). Raises UnicodeDecodeError for an entity that splits a surrogate pair."""
    if message.text is not None:
        return _HTML.unparse(message.text, message.entities)
    if message.caption is not None:
        return _HTML.unparse(message.caption, message.caption_entities)
    return ""
