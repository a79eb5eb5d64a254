"""Reading one row of an import file: whatever an admin's spreadsheet holds, the row becomes a
call or a list of reasons, one per column, in the admin's own language."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.calls import Programme
from bot.domain.catalog_rows import COLUMNS, call_from_row, row_from_call
from bot.i18n import build_i18n
from bot.services.catalog_files import TEMPLATE_ROW
from bot.texts.admin import error_text
from tests.conftest import TASHKENT

TODAY = date(2026, 11, 23)
PROGRAMMES = {code: Programme(code, code.upper()) for code in ("erasmus", "daad")}
I18N = build_i18n(Path(__file__).parent.parent / "locales", "en")
LOCALES = ("uz", "uz_Cyrl", "ru", "en")
# Wrong in the ways admins get them wrong, next to the template's right values.
SLIPS = {
    "status": ["published", "Closed", "nope"],
    "programme": ["DAAD", "fulbright"],
    "levels": ["bachelor phd", "wizard"],
    "fields": ["04 6", "99"],
    "funding": ["partial", "free"],
    "countries": ["-", "XX", "eu"],
    "min_age": ["18", "30", "¹", "+5", "101"],
    "max_age": ["25", "17", "-"],
    "min_work_years": ["2", "61"],
    "min_ielts": ["6,5", "6.3", "10"],
    "min_toefl": ["80", "80.5", "121"],
    "min_duolingo": ["120", "123"],
    "min_german": ["b1", "B3", "fluent"],
    "uz_citizens_only": ["yes", "ha", "maybe"],
    "opens_at": ["2027-02-01", "2027-01-15T18:00+01:00", "01.10.2026"],
    "deadline_at": ["rolling", "-", "2027-01-15", "31.01.2027"],
    "deadline_tz": ["Asia/Tashkent", "Mars/Base"],
    "dates_typical": ["yes", "maybe"],
    "official_url": ["http://example.org", "https://nodot"],
    "source_url": ["https://example.org", "example.org"],
    "verified_on": ["yesterday"],
    "title_en": ["x" * 201],
    "summary_ru": ["y" * 2001],
}


def cell(column: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(TEMPLATE_ROW[column]),
        st.sampled_from(["", " ", *SLIPS.get(column, [])]),
        st.text(max_size=12),
    )


# Any subset of the columns (a short file, a cleared cell), each right, slipped or random.
rows = st.fixed_dictionaries({}, optional={column: cell(column) for column in COLUMNS})


@settings(max_examples=400, deadline=None)
@given(row=rows)
def test_any_row_becomes_a_call_or_translated_reasons_per_column(row: dict[str, str]) -> None:
    call, errors = call_from_row(row, TASHKENT, PROGRAMMES, TODAY)
    assert (call is None) == bool(errors)
    for error in errors:
        assert error.column in COLUMNS
        for locale in LOCALES:
            with I18N.context(), I18N.use_locale(locale):
                reason = error_text(error.code, error.params)
            # a code with no text would show as itself; a missing parameter as "%(name)s"
            assert reason != error.code and "%(" not in reason, (locale, error)


def test_every_problem_of_a_row_is_reported_at_once_in_the_usual_order() -> None:
    # Checks across columns are made even when other columns of the row are wrong.
    row = {
        **TEMPLATE_ROW,
        "status": "nope",
        "min_age": "30",
        "max_age": "25",
        "opens_at": "2027-02-01",
        "deadline_tz": "",
        "title_ru": "",
        "summary_ru": "Описание без заголовка",
    }
    call, errors = call_from_row(row, TASHKENT, PROGRAMMES, TODAY)
    assert call is None
    assert [(e.column, e.code) for e in errors] == [
        ("status", "unknown_status"),
        ("deadline_tz", "zone_required"),
        ("title_ru", "required"),
        ("max_age", "age_order"),
        ("opens_at", "opens_after_deadline"),
    ]


def test_a_row_without_any_text_asks_for_one_language() -> None:
    row = {**TEMPLATE_ROW, **{c: "" for c in COLUMNS if c.startswith(("title_", "summary_"))}}
    call, errors = call_from_row(row, TASHKENT, PROGRAMMES, TODAY)
    assert call is None and [(e.column, e.code) for e in errors] == [("title_en", "no_texts")]


def test_english_german_and_citizenship_conditions_read_and_write_back() -> None:
    row = {
        **TEMPLATE_ROW,
        "min_ielts": "6,5",
        "min_toefl": "80",
        "min_duolingo": "",
        "min_german": "b1",
        "uz_citizens_only": "yes",
    }
    call, errors = call_from_row(row, TASHKENT, PROGRAMMES, TODAY)
    assert errors == [] and call is not None
    req = call.requirements()
    assert (req.min_ielts, req.min_toefl, req.min_duolingo) == (6.5, 80, None)
    assert (req.min_german, req.uz_citizens_only) == ("B1", True)
    written = row_from_call(call, TASHKENT)
    assert (written["min_ielts"], written["min_german"], written["uz_citizens_only"]) == (
        "6.5",
        "B1",
        "yes",
    )


def test_impossible_scores_and_levels_are_refused_in_the_admins_language() -> None:
    row = {**TEMPLATE_ROW, "min_ielts": "6.3", "min_german": "B3", "min_duolingo": "123"}
    call, errors = call_from_row(row, TASHKENT, PROGRAMMES, TODAY)
    assert call is None
    assert [(e.column, e.code) for e in errors] == [
        ("min_ielts", "bad_score"),
        ("min_duolingo", "bad_score"),
        ("min_german", "bad_cefr"),
    ]
    with I18N.context(), I18N.use_locale("ru"):
        assert "6.3" in error_text(errors[0].code, errors[0].params)
