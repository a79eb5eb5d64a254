"""Texts of the catalogue: result lists and call cards."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from bot.domain.calls import Call, days_left
from bot.domain.eligibility import StudentFacts
from bot.domain.pages import Page
from bot.domain.profile import ALL_FIELDS_MASK, CallFilter, Level, mask_to_fields
from bot.i18n import _
from bot.texts.eligibility import verdict_section
from bot.texts.formatting import (
    escape,
    fmt_date,
    fmt_datetime,
    fmt_day_month,
    fmt_days_left,
    fmt_number,
    fmt_short_datetime,
    zone_city,
)
from bot.texts.labels import country_name, field_label, funding_label, level_label
from bot.texts.programmes import programme_name


def stated_deadline(call: Call, locale: str, tz: ZoneInfo) -> str:
    """The deadline as the organiser states it, then in the student's zone `tz` when that
    reads differently: "15 January 2027, 23:59 (Brussels time) = 16 January, 03:59
    (Tashkent time)"; "usually …" when the date only follows the usual cycle."""
    assert call.deadline_at is not None
    zone = call.organiser_zone(tz)
    text = _("%(moment)s (%(city)s time)") % {
        "moment": fmt_datetime(call.deadline_at, locale, zone),
        "city": zone_city(zone, locale),
    }
    if call.dates_typical:
        text = _("usually %(date)s") % {"date": text}
    if fmt_datetime(call.deadline_at, locale, zone) != fmt_datetime(call.deadline_at, locale, tz):
        text += " = " + _("%(moment)s (%(city)s time)") % {
            "moment": fmt_short_datetime(call.deadline_at, locale, tz),
            "city": zone_city(tz, locale),
        }
    return text


def opens_phrase(call: Call, locale: str, tz: ZoneInfo) -> str:
    """ "opens 25 June" (the organiser's day), "usually opens …" for a typical date."""
    assert call.opens_at is not None
    day = fmt_day_month(call.opens_at, locale, call.organiser_zone(tz))
    if call.dates_typical:
        return _("usually opens %(date)s") % {"date": day}
    return _("opens %(date)s") % {"date": day}


def deadline_line(call: Call, locale: str, now: datetime, tz: ZoneInfo) -> str:
    if call.deadline_at is None:
        return _("no fixed date yet — see the official page")
    left = days_left(call.deadline_at, now, tz)
    return f"{stated_deadline(call, locale, tz)} · {fmt_days_left(left, locale)}"


def list_dates_line(call: Call, locale: str, now: datetime, tz: ZoneInfo) -> str:
    """The dates line under a call in a list: when it opens (if not yet) and the deadline."""
    line = f"⏳ {deadline_line(call, locale, now, tz)}"
    if call.not_yet_open(now):
        line = f"🟢 {opens_phrase(call, locale, tz)} · {line}"
    return line


def filter_summary(flt: CallFilter, programme_names: dict[str, str], locale: str) -> str:
    parts: list[str] = []
    if flt.level is not None:
        parts.append(level_label(flt.level))
    if flt.fields_mask == ALL_FIELDS_MASK:
        parts.append(_("all fields"))
    else:
        parts.append(", ".join(field_label(f) for f in sorted(mask_to_fields(flt.fields_mask))))
    if flt.programme:
        parts.append(programme_names.get(flt.programme, flt.programme))
    if flt.funding:
        parts.append(funding_label(flt.funding))
    if flt.country:
        parts.append(country_name(flt.country, locale))
    if flt.window_days:
        parts.append(_("within %(days)s days") % {"days": fmt_number(flt.window_days, locale)})
    if flt.eligible:
        parts.append(_("only calls I meet"))
    return " · ".join(parts)


def results_text(
    page: Page, heading: str, locale: str, now: datetime, tz: ZoneInfo, subtitle: str = ""
) -> str:
    lines = [f"<b>{heading}</b>"]
    if subtitle:
        lines.append(f"<i>{escape(subtitle)}</i>")
    lines.append(
        _("Found: %(count)s · page %(page)s of %(pages)s")
        % {
            "count": fmt_number(page.total, locale),
            "page": fmt_number(page.page + 1, locale),
            "pages": fmt_number(page.pages, locale),
        }
    )
    for offset, call in enumerate(page.calls):
        number = page.page * page.page_size + offset + 1
        lines.append("")
        lines.append(
            f"{number}. <b>{escape(programme_name(call.programme))}</b> · {escape(call.text(locale).title)}"
        )
        lines.append(f"    {list_dates_line(call, locale, now, tz)}")
    return "\n".join(lines)


def card_text(
    call: Call, locale: str, now: datetime, tz: ZoneInfo, facts: StudentFacts | None = None
) -> str:
    """The card; `facts` (what the student told) turns the call's conditions into verdicts."""
    text = call.text(locale)
    lines = [
        f"🎓 <b>{escape(text.title)}</b>",
        f"{escape(programme_name(call.programme))} · {funding_label(call.funding)}",
        "",
        escape(text.summary),
        "",
        _("📚 Level: %(levels)s")
        % {"levels": ", ".join(level_label(lv) for lv in sorted(call.levels, key=_level_order))},
        _("🧭 Fields: %(fields)s")
        % {
            "fields": _("all fields")
            if call.all_fields
            else ", ".join(field_label(f) for f in sorted(call.fields))
        },
    ]
    if call.countries:
        names = ", ".join(country_name(c, locale) for c in call.countries)
        lines.append(_("🌍 Host countries: %(countries)s") % {"countries": names})
    if call.language_requirement:
        lines.append(
            _("🗣 Language: %(requirement)s") % {"requirement": escape(call.language_requirement)}
        )
    if call.not_yet_open(now):
        opens = fmt_date(call.opens_at, locale, call.organiser_zone(tz))
        if call.dates_typical:
            opens = _("usually %(date)s") % {"date": opens}
        lines.append(_("🟢 Opens: %(date)s") % {"date": opens})
    lines.append(
        _("⏳ Deadline: %(deadline)s") % {"deadline": deadline_line(call, locale, now, tz)}
    )
    if call.dates_typical:
        lines.append(
            _("⚠️ Dates follow the usual cycle and are not yet confirmed: check the official page.")
        )
    verdicts = verdict_section(call, facts or StudentFacts(), locale, now, tz)
    if verdicts:
        lines.extend(("", verdicts))
    lines.append("")
    source = urlparse(call.source_url).netloc or call.source_url
    lines.append(
        _("🔗 Source: %(source)s · verified on %(date)s")
        % {
            "source": f'<a href="{escape(call.source_url)}">{escape(source)}</a>',
            "date": fmt_date(call.verified_on, locale, tz),
        }
    )
    if call.is_stale(now.astimezone(tz).date()):
        lines.append(
            _("⚠️ Checked more than 180 days ago — check the official page before applying.")
        )
    return "\n".join(lines)


def _level_order(level: Level) -> int:
    return list(Level).index(level)
