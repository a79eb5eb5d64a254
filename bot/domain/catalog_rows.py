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
from typing import Annotated, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from babel import Locale
from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.domain.calls import Call, CallText, Programme
from bot.domain.eligibility import CEFR, EnglishTest, FactError, format_score, parse_score
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
    "min_ielts",
    "min_toefl",
    "min_duolingo",
    "min_german",
    "uz_citizens_only",
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


def parse_min_score(text: str, test: EnglishTest) -> float | None:
    """A call's minimum overall score of one English test; empty or "-" for none."""
    value = text.strip()
    if not value or value == "-":
        return None
    try:
        return parse_score(value, test)
    except FactError:
        raise FieldError("bad_score", value=value, test=TEST_NAMES[test]) from None


TEST_NAMES = {
    EnglishTest.IELTS: "IELTS",
    EnglishTest.TOEFL: "TOEFL iBT",
    EnglishTest.DUOLINGO: "Duolingo",
}


_ENGLISH_MINIMUM = re.compile(r"(ielts|toefl(?:\s*ibt)?|duolingo|det)\s*:?\s*(\S+)", re.IGNORECASE)


def parse_english_minimums(text: str) -> dict[EnglishTest, float]:
    """ "IELTS 6.5, TOEFL 80, Duolingo 120" → each test's minimum; "-" or nothing for none."""
    value = text.strip()
    if not value or value == "-":
        return {}
    found: dict[EnglishTest, float] = {}
    rest = value
    for match in _ENGLISH_MINIMUM.finditer(value):
        word = match.group(1).lower()
        test = (
            EnglishTest.DUOLINGO
            if word in {"duolingo", "det"}
            else EnglishTest.TOEFL
            if word.startswith("toefl")
            else EnglishTest.IELTS
        )
        score = parse_min_score(match.group(2).rstrip(",;"), test)
        assert score is not None
        found[test] = score
        rest = rest.replace(match.group(0), " ", 1)
    if not found or rest.replace(",", " ").replace(";", " ").strip():
        raise FieldError("bad_english", value=value)
    return found


def format_english_minimums(row: dict[str, str]) -> str:
    return ", ".join(
        f"{TEST_NAMES[test]} {row[f'min_{test.value}']}"
        for test in EnglishTest
        if row.get(f"min_{test.value}")
    )


def parse_min_german(text: str) -> str | None:
    """A call's minimum German level (CEFR A1–C2); empty or "-" for none."""
    value = text.strip().upper()
    if not value or value == "-":
        return None
    if value not in CEFR:
        raise FieldError("bad_cefr", value=text.strip(), allowed=" ".join(CEFR))
    return value


def _whole_score(raw: str, test: EnglishTest) -> int | None:
    score = parse_min_score(raw, test)
    return None if score is None else int(score)


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise FieldError("bad_bool", value=text)


Choice = TypeVar("Choice", bound=StrEnum)
Parsed = TypeVar("Parsed")


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
        "min_ielts": "" if call.min_ielts is None else format_score(call.min_ielts),
        "min_toefl": "" if call.min_toefl is None else str(call.min_toefl),
        "min_duolingo": "" if call.min_duolingo is None else str(call.min_duolingo),
        "min_german": call.min_german or "",
        "uz_citizens_only": "yes" if call.uz_citizens_only else "no",
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


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a row is read against. Dates are read as the organiser states them: `zone` is the
    row's deadline_tz when it names a valid one, else the bot's zone."""

    programmes: dict[str, Programme]
    today: date
    zone: ZoneInfo


def _context(info: ValidationInfo) -> RowContext:
    if not isinstance(info.context, RowContext):
        raise TypeError("a CallRow is read with a RowContext: see call_from_row")
    return info.context


def _read(parse: Callable[[str], Parsed], raw: str, *, required: bool = False) -> Parsed:
    """A cell read by its column's parser; a FieldError becomes a pydantic error of its code."""
    if required and not raw:
        raise PydanticCustomError("required", "required")
    try:
        return parse(raw)
    except FieldError as error:
        raise PydanticCustomError(error.code, error.code, error.params) from None


def _cell(parse: Callable[[str], object], *, required: bool = False) -> PlainValidator:
    return PlainValidator(lambda raw: _read(parse, raw, required=required))


def _external_id(raw: str) -> str:
    if not EXTERNAL_ID.match(raw):
        raise FieldError("bad_external_id", value=raw)
    return raw


def _age(raw: str) -> int | None:
    return parse_optional_int(raw, 10, 100)


class CallRow(BaseModel):
    """One row of the file, read column by column; every error names its column. A check across
    columns sits on the column it reports on, after the columns it reads, so it is made whenever
    those columns are readable, whatever else is wrong in the row."""

    model_config = ConfigDict(frozen=True)

    external_id: Annotated[str, _cell(_external_id, required=True)]
    status: Annotated[
        CallStatus, _cell(lambda v: parse_choice(v or "draft", CallStatus, "unknown_status"))
    ]
    programme: Programme
    levels: Annotated[frozenset[Level], _cell(parse_levels, required=True)]
    fields: Annotated[frozenset[Field], _cell(parse_fields, required=True)]
    funding: Annotated[
        Funding, _cell(lambda v: parse_choice(v, Funding, "unknown_funding"), required=True)
    ]
    countries: Annotated[tuple[str, ...], _cell(parse_countries)]
    language_requirement: Annotated[str | None, _cell(parse_short_text)]
    min_age: Annotated[int | None, _cell(_age)]
    max_age: int | None
    min_work_years: Annotated[int | None, _cell(lambda v: parse_optional_int(v, 0, 60))]
    min_ielts: Annotated[float | None, _cell(lambda v: parse_min_score(v, EnglishTest.IELTS))]
    min_toefl: Annotated[int | None, _cell(lambda v: _whole_score(v, EnglishTest.TOEFL))]
    min_duolingo: Annotated[int | None, _cell(lambda v: _whole_score(v, EnglishTest.DUOLINGO))]
    min_german: Annotated[str | None, _cell(parse_min_german)]
    uz_citizens_only: Annotated[bool, _cell(parse_bool)]
    deadline_at: datetime | None
    opens_at: datetime | None
    deadline_tz: str | None
    dates_typical: Annotated[bool, _cell(parse_bool)]
    yearly: Annotated[bool, _cell(parse_bool)]
    official_url: Annotated[str, _cell(parse_url, required=True)]
    source_url: Annotated[str | None, _cell(lambda v: parse_url(v) if v else None)]
    verified_on: date
    # title and summary of one language, read together: one needs the other
    text_uz: CallText | None
    text_uz_Cyrl: CallText | None
    text_ru: CallText | None
    text_en: CallText | None

    @model_validator(mode="before")
    @classmethod
    def _cells(cls, row: dict[str, str]) -> dict[str, object]:
        cells: dict[str, object] = {c: (row.get(c) or "").strip() for c in COLUMNS}
        for lang in LANGS:
            cells[f"text_{lang}"] = (cells[f"title_{lang}"], cells[f"summary_{lang}"])
        return cells

    @field_validator("programme", mode="plain")
    @classmethod
    def _programme(cls, raw: str, info: ValidationInfo) -> Programme:
        programmes = _context(info).programmes

        def programme(raw: str) -> Programme:
            found = programmes.get(raw.lower())
            if found is None:
                raise FieldError("unknown_programme", value=raw, allowed=" ".join(programmes))
            return found

        return _read(programme, raw, required=True)

    @field_validator("max_age", mode="plain")
    @classmethod
    def _max_age(cls, raw: str, info: ValidationInfo) -> int | None:
        max_age = _read(_age, raw)
        min_age = info.data.get("min_age")
        if min_age is not None and max_age is not None and min_age > max_age:
            raise PydanticCustomError("age_order", "age_order")
        return max_age

    @field_validator("deadline_at", mode="plain")
    @classmethod
    def _deadline_at(cls, raw: str, info: ValidationInfo) -> datetime | None:
        if raw.lower() in ROLLING_WORDS:
            return None
        context = _context(info)
        return _read(lambda v: parse_moment(v, context.zone, end_of_day=True), raw)

    @field_validator("opens_at", mode="plain")
    @classmethod
    def _opens_at(cls, raw: str, info: ValidationInfo) -> datetime | None:
        if not raw:
            return None
        context = _context(info)
        opens = _read(lambda v: parse_moment(v, context.zone, end_of_day=False), raw)
        deadline = info.data.get("deadline_at")
        if deadline is not None and opens >= deadline:
            raise PydanticCustomError("opens_after_deadline", "opens_after_deadline")
        return opens

    @field_validator("deadline_tz", mode="plain")
    @classmethod
    def _deadline_tz(cls, raw: str, info: ValidationInfo) -> str | None:
        zone = _read(parse_zone, raw)
        if zone is None and info.data.get("deadline_at") is not None:
            raise PydanticCustomError("zone_required", "zone_required")
        return zone

    @field_validator("verified_on", mode="plain")
    @classmethod
    def _verified_on(cls, raw: str, info: ValidationInfo) -> date:
        context = _context(info)
        return _read(_parse_day, raw) if raw else context.today

    @field_validator("text_uz", "text_uz_Cyrl", "text_ru", "text_en", mode="plain")
    @classmethod
    def _text(cls, pair: tuple[str, str], info: ValidationInfo) -> CallText | None:
        lang = str(info.field_name).removeprefix("text_")
        title, summary = pair
        if title and summary:
            if len(title) > TITLE_MAX:
                raise _text_error(f"title_{lang}", "too_long", limit=str(TITLE_MAX))
            if len(summary) > SUMMARY_MAX:
                raise _text_error(f"summary_{lang}", "too_long", limit=str(SUMMARY_MAX))
            return CallText(title, summary)
        if title:
            raise _text_error(f"summary_{lang}", "required")
        if summary:
            raise _text_error(f"title_{lang}", "required")
        # The last language checks that the row has one: only when no other text is wrong.
        others = [f"text_{other}" for other in LANGS if other != lang]
        if lang == LANGS[-1] and all(info.data.get(name, "") is None for name in others):
            raise _text_error(f"title_{lang}", "no_texts")
        return None

    def to_call(self) -> Call:
        languages = zip(
            LANGS, (self.text_uz, self.text_uz_Cyrl, self.text_ru, self.text_en), strict=True
        )
        return Call(
            id=0,
            external_id=self.external_id,
            programme=self.programme,
            status=self.status,
            levels=self.levels,
            fields=self.fields,
            funding=self.funding,
            official_url=self.official_url,
            source_url=self.source_url or self.official_url,
            verified_on=self.verified_on,
            texts={lang: text for lang, text in languages if text is not None},
            countries=self.countries,
            language_requirement=self.language_requirement,
            min_age=self.min_age,
            max_age=self.max_age,
            min_work_years=self.min_work_years,
            min_ielts=self.min_ielts,
            min_toefl=self.min_toefl,
            min_duolingo=self.min_duolingo,
            min_german=self.min_german,
            uz_citizens_only=self.uz_citizens_only,
            opens_at=self.opens_at,
            deadline_at=self.deadline_at,
            deadline_tz=self.deadline_tz,
            dates_typical=self.dates_typical,
            yearly=self.yearly,
        )


def _text_error(column: str, code: str, **params: str) -> PydanticCustomError:
    return PydanticCustomError(code, code, {"column": column, **params})


# The order the report has always listed a row's errors in: columns as read (the zone before
# the dates it reads them in), then the checks across columns.
_REPORT_ORDER = (
    *COLUMNS[: COLUMNS.index("opens_at")],
    *("deadline_tz", "opens_at", "deadline_at", "zone_required"),
    *COLUMNS[COLUMNS.index("deadline_tz") + 1 : COLUMNS.index(TEXT_COLUMNS[0])],
    *TEXT_COLUMNS,
    "no_texts",
    "age_order",
    "opens_after_deadline",
)
_ACROSS_COLUMNS = {"zone_required", "no_texts", "age_order", "opens_after_deadline"}


def _row_error(error: ErrorDetails) -> RowError:
    """Every field is read by our own parser, so the error type is our code (bot/texts/admin.py
    translates it); pydantic's English message is never used."""
    params = {key: str(value) for key, value in error.get("ctx", {}).items()}
    column = params.pop("column", None) or str(error["loc"][0])
    return RowError(column, error["type"], params)


def _report_rank(error: RowError) -> int:
    return _REPORT_ORDER.index(error.code if error.code in _ACROSS_COLUMNS else error.column)


def organiser_zone(deadline_tz: str, tz: ZoneInfo) -> ZoneInfo:
    """The zone a row's dates are stated in: its deadline_tz when valid, else `tz`."""
    try:
        name = parse_zone(deadline_tz)
    except FieldError:
        return tz
    return ZoneInfo(name) if name else tz


def call_from_row(
    row: dict[str, str],
    tz: ZoneInfo,
    programmes: dict[str, Programme],
    today: date,
) -> tuple[Call | None, list[RowError]]:
    """Parse a row; returns the call (id 0) or every error found in the row."""
    zone = organiser_zone(row.get("deadline_tz") or "", tz)
    try:
        parsed = CallRow.model_validate(row, context=RowContext(programmes, today, zone))
    except ValidationError as invalid:
        return None, sorted(map(_row_error, invalid.errors()), key=_report_rank)
    return parsed.to_call(), []


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
