"""Properties of the catalogue file format: whatever bytes an admin sends, reading them fails
only with the importer's own FileProblem and never drops a valid row; whatever text a call
holds, writing it out and reading it back gives the same text, formula signs included."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.domain.calls import Programme
from bot.domain.catalog_rows import COLUMNS, quote_formula, unquote_formula
from bot.services.catalog_files import (
    TEMPLATE_ROW,
    FileProblem,
    check_table,
    read_table,
    write_csv,
    write_xlsx,
)
from tests.conftest import TASHKENT

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TASHKENT)
PROGRAMMES = {
    code: Programme(code, code.upper()) for code in ("erasmus", "fulbright", "daad", "eyuf")
}
FORMULA_SIGNS = "=+-@\t\r'"
HEADER = ",".join(COLUMNS).encode()


def signed_text(characters: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text that starts with formula signs and apostrophes more often than chance would."""
    return st.one_of(
        st.text(characters, max_size=40),
        st.builds(
            lambda head, tail: head + tail,
            st.text(alphabet=FORMULA_SIGNS, min_size=1, max_size=3),
            st.text(characters, max_size=20),
        ),
    )


cell_text = signed_text(st.characters(blacklist_categories=["Cs"]))  # encodable as UTF-8
# What a catalogue can hold: no file we read lets NUL in (CSV refuses it, XLSX keeps _x0000_).
stored_text = signed_text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"))
# What a call keeps after import (stripped, non-empty), starting with a sign just as often.
title_text = stored_text.map(str.strip).filter(lambda t: 0 < len(t) <= 200)


def quiet(max_examples: int):
    return settings(
        max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


@quiet(300)
@given(st.binary(max_size=2000), st.sampled_from(["calls.csv", "calls.xlsx", "calls"]))
def test_any_bytes_are_read_or_refused_with_a_file_problem(content: bytes, name: str) -> None:
    for candidate in (content, HEADER + b"\n" + content, b"PK\x03\x04" + content):
        try:
            read_table(name, candidate)
        except FileProblem:
            pass


@quiet(300)
@given(st.text(max_size=2000), st.sampled_from([",", ";"]))
def test_any_text_under_the_header_is_read_or_refused_with_a_file_problem(
    text: str, delimiter: str
) -> None:
    content = (delimiter.join(COLUMNS) + "\n" + text).encode("utf-8", "surrogatepass")
    try:
        table = read_table("calls.csv", content)
    except FileProblem:
        return
    plan = check_table("calls.csv", table, PROGRAMMES, {}, TASHKENT, NOW)
    assert plan.created + plan.rejected <= len(table.rows)


junk_row = st.fixed_dictionaries({column: cell_text for column in COLUMNS})


@quiet(150)
@given(
    titles=st.lists(title_text, min_size=1, max_size=6),
    junk=st.lists(junk_row, max_size=6),
    order=st.randoms(use_true_random=False),
    delimiter=st.sampled_from([",", ";"]),
)
# "¹" is a Unicode digit that int() refuses: it once crashed the whole import.
@example(
    titles=["A call"],
    junk=[{**dict.fromkeys(COLUMNS, ""), "min_work_years": "¹"}],
    order=random.Random(0),
    delimiter=",",
)
def test_no_valid_row_is_lost_among_junk_rows(titles, junk, order, delimiter) -> None:
    valid = [
        {**TEMPLATE_ROW, "external_id": f"valid-{i}", "title_en": title}
        for i, title in enumerate(titles)
    ]
    junk = [{**r, "external_id": "junk-" + r["external_id"]} for r in junk]
    rows = valid + junk
    order.shuffle(rows)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=delimiter)
    writer.writeheader()
    # As an admin's own file: formula-looking text written with the apostrophe rule.
    writer.writerows({c: quote_formula(v) for c, v in r.items()} for r in rows)

    content = out.getvalue().encode("utf-8")
    try:
        table = read_table("calls.csv", content)
    except FileProblem as problem:
        # the one whole-file refusal a well-formed UTF-8 CSV can meet: NUL is not text
        assert problem.code == "not_table" and b"\0" in content
        return
    plan = check_table("calls.csv", table, PROGRAMMES, {}, TASHKENT, NOW)
    imported = {r["external_id"]: r["title_en"] for r in plan.rows}
    for row in valid:
        assert imported.get(row["external_id"]) == row["title_en"]


table_row = st.fixed_dictionaries(
    {column: stored_text for column in COLUMNS if column != "external_id"}
).map(lambda r: {"external_id": "x", **r})


@pytest.mark.parametrize(("write", "name"), [(write_csv, "calls.csv"), (write_xlsx, "calls.xlsx")])
@quiet(60)
@given(rows=st.lists(table_row, min_size=1, max_size=4))
def test_every_cell_comes_back_exactly_as_written(write, name, rows) -> None:
    for number, row in enumerate(rows):
        row["external_id"] = f"id-{number}"
    table = read_table(name, write(rows))
    assert [row for _, row in table.rows] == rows


@pytest.mark.parametrize(("write", "name"), [(write_csv, "calls.csv"), (write_xlsx, "calls.xlsx")])
@quiet(60)
@given(titles=st.lists(title_text, min_size=1, max_size=4), summary=title_text)
def test_calls_come_back_with_the_same_texts(write, name, titles, summary) -> None:
    rows = [
        {**TEMPLATE_ROW, "external_id": f"rt-{i}", "title_ru": title, "summary_ru": summary}
        for i, title in enumerate(titles)
    ]
    plan = check_table("first", read_table(name, write(rows)), PROGRAMMES, {}, TASHKENT, NOW)
    assert plan.rejected == 0
    again = check_table("again", read_table(name, write(plan.rows)), PROGRAMMES, {}, TASHKENT, NOW)
    assert again.rows == plan.rows
    assert [r["title_ru"] for r in again.rows] == titles


@given(cell_text)
def test_the_apostrophe_rule_is_undone_exactly(text: str) -> None:
    quoted = quote_formula(text)
    assert not quoted.startswith(tuple("=+-@\t\r"))
    assert unquote_formula(quoted) == text
