"""The pure parts of the source watch: visible text, fingerprints, the short diff, dates in
en / ru / uz forms, and what counts as the same site."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.page_changes import (
    diff_lines,
    find_dates,
    fingerprint_text,
    highlight_dates,
    same_site,
    visible_lines,
)
from bot.services.source_watch import html_to_lines
from bot.texts.formatting import escape


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("Deadline: 15 January 2027 at noon", ["15 January 2027"]),
        ("Apply by January 15, 2027.", ["January 15, 2027"]),
        ("Opens 1 Oct, closes 2027-01-15", ["1 Oct", "2027-01-15"]),
        ("Hujjatlar 15.01.2027 gacha", ["15.01.2027"]),
        ("Приём до 15 января 2027 г. включительно", ["15 января 2027 г."]),
        ("Сроки: 1 марта — 15 апреля", ["1 марта", "15 апреля"]),
        ("Hujjatlar 15-yanvar kuni qabul qilinadi", ["15-yanvar"]),
        ("Muddat: 2027-yil 10-mart", ["2027-yil 10-mart"]),
        ("Ҳужжатлар 15-январ 2027 йил гача", ["15-январ 2027 йил"]),
        ("Results in March 2027", ["March 2027"]),
        ("The 12 members of 3 teams, version 3.2.1", []),
    ],
)
def test_dates_are_found_in_english_russian_and_uzbek(text, dates):
    assert [text[a:b] for a, b in find_dates(text)] == dates


def test_dates_are_bold_and_everything_else_escaped():
    line = "<Deadline> moved to 15 февраля 2027 & more"
    assert highlight_dates(line, escape) == (
        "&lt;Deadline&gt; moved to <b>15 февраля 2027</b> &amp; more"
    )


@given(st.text(max_size=300))
def test_highlighting_keeps_the_text_and_only_adds_bold(text):
    shown = highlight_dates(text, escape)
    assert html.unescape(shown.replace("<b>", "").replace("</b>", "")) == text
    assert shown.count("<b>") == shown.count("</b>") == len(find_dates(text))


@given(st.text(max_size=2000))
def test_any_markup_becomes_clean_lines(markup):
    lines = html_to_lines(markup)
    assert all(line and line == " ".join(line.split()) for line in lines)


def test_whitespace_alone_does_not_change_the_fingerprint():
    before = visible_lines("Deadline:   15 January\n\n  2027 ")
    after = visible_lines("Deadline: 15 January\n2027")
    assert before == after and fingerprint_text(before) == fingerprint_text(after)


def test_the_diff_shows_only_changed_lines_and_counts_the_rest():
    before = [f"line {n}" for n in range(50)]
    after = [*before[:10], "line 10 changed", *before[11:]]
    changed, more = diff_lines(before, after)
    assert [(c.sign, c.text) for c in changed] == [("-", "line 10"), ("+", "line 10 changed")]
    assert more == 0
    changed, more = diff_lines(before, [f"new {n}" for n in range(50)], limit=24)
    assert len(changed) == 24 and more == 76


@given(st.lists(st.text(max_size=20), max_size=30), st.lists(st.text(max_size=20), max_size=30))
def test_the_diff_is_bounded(before, after):
    changed, more = diff_lines(before, after, limit=5)
    assert len(changed) <= 5 and more >= 0
    assert (before == after) == (not changed)


def test_same_site_ignores_www_and_case_but_not_another_host():
    assert same_site("www.daad.de", "DAAD.de")
    assert not same_site("daad.de", "daad.de.example.org")
    assert not same_site("eyuf.uz", "admission.eyuf.uz")
