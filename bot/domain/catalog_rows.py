"""A call as one flat row of text columns: the import/export file format, and the draft the
admin wizard fills field by field. Parsing is strict and reports every problem with a code
(translated by bot/texts/admin.py), so the same rules hold in the bot and on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from babel import Locale

from bot.domain.calls import Call, CallText, Programme
from bot.domain.profile import CallStatus, Field, Funding, Level

LANGS = ("uz", "uz_Cyrl", "ru", "en")
TEXT_COLUMNS = tuple(f"{kind}_{lang}" for lang in LANGS for kind in ("title", "summary"))
COLUMNS = (
    "external_id",
    "status",
    "programme",
    "levels",
    "fields",
    "funding",
    "countries",
    "language_requirement",
    "min_age",
    "max_age",
    "min_work_years",
    "opens_at",
    "deadline_at",
    "deadline_tz",
    "dates_typical",
    "yearly",
    "official_url",
    "source_url",
    "verified_on",
    *TEXT_COLUMNS,
)
REQUIRED = ("external_id", "programme", "levels", "fields", "funding", "official_url")

TITLE_MAX = 200
SUMMARY_MAX = 2000
SHORT_TEXT_MAX = 200
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TRUE_WORDS = {"1", "yes", "true", "y", "ha", "да", "ҳа"}
FALSE_WORDS = {"", "0", "no", "false", "n", "yo‘q", "yo'q", "нет", "йўқ"}
# Rolling deadline: no date, set by the home university.
ROLLING_WORDS = {"", "-", "rolling"}
# Spreadsheets run a cell that starts with one of these as a formula (= + - @), or strip and
# then run it (TAB, CR): `=cmd|' /C calc'!A0` in an exported file would run on the admin's PC.
_FORMULA_LIKE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


@dataclass(frozen=True, slots=True)
class RowError:
    column: str
    code: str  # see bot/texts/admin.py ERROR_TEXTS
    params: dict[str, str] = field(default_factory=dict)


class FieldError(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}


@cache
def known_countries() -> frozenset[str]:
    codes = {
        c
        for c in Locale.parse("en").territories
        if isinstance(c, str) and len(c) == 2 and c.isalpha()
    }
    return frozenset(codes | {"EU"})


# -- single values -------------------------------------------------------------------------


def parse_moment(text: str, tz: ZoneInfo, *, end_of_day: bool) -> datetime:
    """`YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (local time) or ISO 8601 with an offset."""
    value = text.strip().replace("T", " ")
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            clock = time(23, 59) if end_of_day else time(0, 0)
            return datetime.combine(day, clock, tzinfo=tz)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError("bad_date", value=text) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def format_moment(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def parse_url(text: str) -> str:
    value = text.strip()
    parsed = urlparse(value)
    if parsed.scheme != "https":
        raise FieldError("not_https", value=value)
    if not parsed.netloc or "." not in parsed.netloc or " " in value:
        raise FieldError("bad_url", value=value)
    return value


def parse_optional_int(text: str, low: int, high: int) -> int | None:
    value = text.strip()
    if not value or value == "-":
        return None
    # isdecimal, not isdigit: "¹" is a digit that int() refuses
    if not value.isdecimal() or not low <= int(value) <= high:
        raise FieldError("bad_number", value=value, low=low, high=high)
    return int(value)


def parse_levels(text: str) -> frozenset[Level]:
    words = text.replace(",", " ").lower().split()
    if not words:
        raise FieldError("required")
    try:
        return frozenset(Level(word) for word in words)
    except ValueError:
        raise FieldError("unknown_level", value=text, allowed=" ".join(Level)) from None


def parse_fields(text: str) -> frozenset[Field]:
    words = text.replace(",", " ").lower().split()
    if not words:
        raise FieldError("required")
    if words == ["all"]:
        return frozenset(Field)
    try:
        return frozenset(Field(word.zfill(2)) for word in words)
    except ValueError:
        raise FieldError("unknown_field", value=text) from None


def format_fields(fields: frozenset[Field]) -> str:
    if fields == frozenset(Field):
        return "all"
    return " ".join(sorted(f.value for f in fields))


def format_levels(levels: frozenset[Level]) -> str:
    return " ".join(level.value for level in Level if level in levels)


def parse_countries(text: str) -> tuple[str, ...]:
    words = text.replace(",", " ").replace(";", " ").upper().split()
    if words == ["-"]:
        return ()
    unknown = [w for w in words if w not in known_countries()]
    if unknown:
        raise FieldError("unknown_country", value=" ".join(unknown))
    return tuple(sorted(set(words)))


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise FieldError("bad_bool", value=text)


Choice = TypeVar("Choice", bound=StrEnum)


def parse_choice(text: str, enum: type[Choice], code: str) -> Choice:
    try:
        return enum(text.strip().lower())
    except ValueError:
        raise FieldError(code, value=text, allowed=" ".join(enum)) from None


def parse_short_text(text: str, limit: int = SHORT_TEXT_MAX) -> str | None:
    value = " ".join(text.split())
    if not value or value == "-":
        return None
    if len(value) > limit:
        raise FieldError("too_long", limit=limit, length=len(value))
    return value


def parse_zone(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    try:
        ZoneInfo(value)
    except (ValueError, KeyError):
        raise FieldError("bad_zone", value=value) from None
    return value


def check_text(text: str, limit: int) -> str:
    value = text.strip()
    if not value:
        raise FieldError("required")
    if len(value) > limit:
        raise FieldError("too_long", limit=limit, length=len(value))
    return value


def check_deadline_in_future(deadline: datetime | None, now: datetime) -> None:
    if deadline is not None and deadline <= now:
        raise FieldError("past_deadline")


# -- formula-safe cells ---------------------------------------------------------------------
# The rule, the same for CSV and XLSX: reading a cell drops ONE leading apostrophe when
# apostrophes are followed by = + - @ TAB or CR. Writing a CSV cell puts an apostrophe before
# any text that would otherwise start that way, so `=x` is written `'=x` and `'=x` is written
# `''=x`: what is read back is always exactly what was written. (XLSX cells are written as
# text, never as formulas, so only the apostrophe-led text needs the extra apostrophe there.)


def quote_formula(text: str) -> str:
    """Text as a CSV cell that no spreadsheet runs as a formula."""
    return "'" + text if _FORMULA_LIKE.match(text) else text


def quote_apostrophes(text: str) -> str:
    """Text as an XLSX text cell: only text that reading would unquote needs the apostrophe."""
    return "'" + text if _QUOTED_FORMULA.match(text) else text


def unquote_formula(text: str) -> str:
    """A cell as read from a file: the inverse of `quote_formula` and `quote_apostrophes`."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


def looks_like_formula(text: str) -> bool:
    return _FORMULA_LIKE.match(text) is not None


# -- whole rows ----------------------------------------------------------------------------


def row_from_call(call: Call, tz: ZoneInfo) -> dict[str, str]:
    row = {
        "external_id": call.external_id or "",
        "status": call.status.value,
        "programme": call.programme.code,
        "levels": format_levels(call.levels),
        "fields": format_fields(call.fields),
        "funding": call.funding.value,
        "countries": " ".join(call.countries),
        "language_requirement": call.language_requirement or "",
        "min_age": "" if call.min_age is None else str(call.min_age),
        "max_age": "" if call.max_age is None else str(call.max_age),
        "min_work_years": "" if call.min_work_years is None else str(call.min_work_years),
        "opens_at": format_moment(call.opens_at, call.organiser_zone(tz)),
        "deadline_at": format_moment(call.deadline_at, call.organiser_zone(tz)),
        "deadline_tz": call.deadline_tz or "",
        "dates_typical": "yes" if call.dates_typical else "no",
        "yearly": "yes" if call.yearly else "no",
        "official_url": call.official_url,
        "source_url": call.source_url,
        "verified_on": call.verified_on.isoformat(),
    }
    for lang in LANGS:
        text = call.texts.get(lang)
        row[f"title_{lang}"] = text.title if text else ""
        row[f"summary_{lang}"] = text.summary if text else ""
    return row


def missing_languages(row: dict[str, str]) -> list[str]:
    return [lang for lang in LANGS if not row.get(f"title_{lang}", "").strip()]


def call_from_row(
    row: dict[str, str],
    tz: ZoneInfo,
    programmes: dict[str, Programme],
    today: date,
) -> tuple[Call | None, list[RowError]]:
    """Parse a row; returns the call (id 0) or every error found in the row."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}  # each column as its parser returned it

    def take(column: str, parse: Callable[[str], object]) -> None:
        raw = (row.get(column) or "").strip()
        if column in REQUIRED and not raw:
            errors.append(RowError(column, "required"))
            return
        try:
            values[column] = parse(raw)
        except FieldError as error:
            errors.append(RowError(column, error.code, error.params))

    def external_id(raw: str) -> str:
        if not EXTERNAL_ID.match(raw):
            raise FieldError("bad_external_id", value=raw)
        return raw

    def programme(raw: str) -> Programme:
        found = programmes.get(raw.lower())
        if found is None:
            raise FieldError("unknown_programme", value=raw, allowed=" ".join(programmes))
        return found

    take("external_id", external_id)
    take("status", lambda v: parse_choice(v or "draft", CallStatus, "unknown_status"))
    take("programme", programme)
    take("levels", parse_levels)
    take("fields", parse_fields)
    take("funding", lambda v: parse_choice(v, Funding, "unknown_funding"))
    take("countries", parse_countries)
    take("language_requirement", parse_short_text)
    take("min_age", lambda v: parse_optional_int(v, 10, 100))
    take("max_age", lambda v: parse_optional_int(v, 10, 100))
    take("min_work_years", lambda v: parse_optional_int(v, 0, 60))
    # Dates are read as the organiser states them: in deadline_tz when the row names one.
    take("deadline_tz", parse_zone)
    zone = ZoneInfo(str(values["deadline_tz"])) if values.get("deadline_tz") else tz
    take("opens_at", lambda v: parse_moment(v, zone, end_of_day=False) if v else None)
    take(
        "deadline_at",
        lambda v: None if v.lower() in ROLLING_WORDS else parse_moment(v, zone, end_of_day=True),
    )
    if values.get("deadline_at") is not None and "deadline_tz" in values:
        if not values["deadline_tz"]:
            errors.append(RowError("deadline_tz", "zone_required"))
    take("dates_typical", parse_bool)
    take("yearly", parse_bool)
    take("official_url", parse_url)
    take("source_url", lambda v: parse_url(v) if v else None)
    take("verified_on", lambda v: _parse_day(v) if v else today)

    texts: dict[str, CallText] = {}
    for lang in LANGS:
        title = (row.get(f"title_{lang}") or "").strip()
        summary = (row.get(f"summary_{lang}") or "").strip()
        if not title and not summary:
            continue
        if not title:
            errors.append(RowError(f"title_{lang}", "required"))
            continue
        if not summary:
            errors.append(RowError(f"summary_{lang}", "required"))
            continue
        if len(title) > TITLE_MAX:
            errors.append(RowError(f"title_{lang}", "too_long", {"limit": str(TITLE_MAX)}))
        elif len(summary) > SUMMARY_MAX:
            errors.append(RowError(f"summary_{lang}", "too_long", {"limit": str(SUMMARY_MAX)}))
        else:
            texts[lang] = CallText(title, summary)
    if not texts and not any(e.column in TEXT_COLUMNS for e in errors):
        errors.append(RowError("title_en", "no_texts"))

    min_age, max_age = values.get("min_age"), values.get("max_age")
    if isinstance(min_age, int) and isinstance(max_age, int) and min_age > max_age:
        errors.append(RowError("max_age", "age_order"))
    opens, deadline = values.get("opens_at"), values.get("deadline_at")
    if isinstance(opens, datetime) and isinstance(deadline, datetime) and opens >= deadline:
        errors.append(RowError("opens_at", "opens_after_deadline"))
    if errors:
        return None, errors

    official = values["official_url"]
    return (
        Call(
            id=0,
            external_id=values["external_id"],
            programme=values["programme"],
            status=values["status"],
            levels=values["levels"],
            fields=values["fields"],
            funding=values["funding"],
            official_url=official,
            source_url=values["source_url"] or official,
            verified_on=values["verified_on"],
            texts=texts,
            countries=values["countries"],
            language_requirement=values["language_requirement"],
            min_age=min_age,
            max_age=max_age,
            min_work_years=values["min_work_years"],
            opens_at=opens,
            deadline_at=deadline,
            deadline_tz=values["deadline_tz"],
            dates_typical=values["dates_typical"],
            yearly=values["yearly"],
        ),
        [],
    )


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError("bad_date", value=text) from None


def row_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """{column: [before, after]} for every column that differs."""
    return {
        column: [before.get(column, ""), after.get(column, "")]
        for column in COLUMNS
        if before.get(column, "") != after.get(column, "")
    }
