"""Eligibility verdicts without Telegram: ages judged on the deadline's day in the organiser's
zone from a birth year alone, test scores, German levels, and the parsers of typed facts."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.eligibility import (
    CEFR,
    Condition,
    EnglishTest,
    FactError,
    Outcome,
    Requirements,
    StudentFacts,
    format_score,
    judging_day,
    meets_all_known,
    missing_facts,
    parse_birth_year,
    parse_cefr,
    parse_score,
    verdicts,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
TASHKENT = ZoneInfo("Asia/Tashkent")


def age_outcome(req: Requirements, born: int, on: date) -> Outcome:
    (verdict,) = verdicts(req, StudentFacts(birth_year=born), on)
    return verdict.outcome


def test_born_1999_is_27_all_of_new_years_eve_2026() -> None:
    assert age_outcome(Requirements(max_age=27), 1999, date(2026, 12, 31)) is Outcome.MEETS


def test_born_1999_may_already_be_28_on_new_years_day_so_check() -> None:
    assert age_outcome(Requirements(max_age=27), 1999, date(2027, 1, 1)) is Outcome.UNDECIDED


def test_a_year_older_fails_whatever_the_birthday() -> None:
    assert age_outcome(Requirements(max_age=27), 1998, date(2027, 6, 1)) is Outcome.FAILS


def test_minimum_age_undecided_in_the_year_the_student_turns_it() -> None:
    req = Requirements(min_age=20)
    assert age_outcome(req, 2006, date(2026, 6, 1)) is Outcome.UNDECIDED
    assert age_outcome(req, 2005, date(2026, 6, 1)) is Outcome.MEETS
    assert age_outcome(req, 2007, date(2026, 6, 1)) is Outcome.FAILS


def test_the_deadline_day_is_the_organisers_not_tashkents() -> None:
    """31 December 23:59 in Brussels is already 1 January in Tashkent: the organiser's day
    decides, and on 31 December a birth year tells the age exactly."""
    deadline = datetime(2026, 12, 31, 23, 59, tzinfo=BRUSSELS)
    now = datetime(2026, 6, 1, tzinfo=TASHKENT)
    day = judging_day(deadline, BRUSSELS, now)
    assert day == date(2026, 12, 31)
    assert age_outcome(Requirements(max_age=27), 1999, day) is Outcome.MEETS
    assert judging_day(deadline, TASHKENT, now) == date(2027, 1, 1)


def test_a_call_without_deadline_is_judged_today() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=TASHKENT)
    assert judging_day(None, BRUSSELS, now) == date(2026, 3, 1)


def test_english_score_below_the_minimum_of_the_same_test_fails() -> None:
    req = Requirements(min_ielts=6.5, min_toefl=80)
    facts = StudentFacts(english_test=EnglishTest.IELTS, english_score=6.0)
    assert [v.outcome for v in verdicts(req, facts, date(2026, 1, 1))] == [Outcome.FAILS]
    ok = StudentFacts(english_test=EnglishTest.TOEFL, english_score=80)
    assert [v.outcome for v in verdicts(req, ok, date(2026, 1, 1))] == [Outcome.MEETS]


def test_a_test_the_call_does_not_name_is_for_the_student_to_check() -> None:
    req = Requirements(min_ielts=6.5)
    facts = StudentFacts(english_test=EnglishTest.DUOLINGO, english_score=150)
    assert [v.outcome for v in verdicts(req, facts, date(2026, 1, 1))] == [Outcome.UNDECIDED]


def test_german_levels_compare_in_cefr_order_and_none_is_below_a1() -> None:
    req = Requirements(min_german="B1")
    day = date(2026, 1, 1)
    assert verdicts(req, StudentFacts(german_level="B2"), day)[0].outcome is Outcome.MEETS
    assert verdicts(req, StudentFacts(german_level="A2"), day)[0].outcome is Outcome.FAILS
    assert verdicts(req, StudentFacts(german_level="none"), day)[0].outcome is Outcome.FAILS


def test_unknown_facts_are_not_told_and_never_count_as_failing() -> None:
    req = Requirements(max_age=35, min_work_years=2, uz_citizens_only=True)
    day = date(2026, 1, 1)
    assert {v.outcome for v in verdicts(req, StudentFacts(), day)} == {Outcome.UNKNOWN}
    assert meets_all_known(req, StudentFacts(), day)
    assert not meets_all_known(req, StudentFacts(uz_citizen=False), day)
    assert missing_facts(req, StudentFacts(work_years=3)) == [Condition.AGE, Condition.CITIZENSHIP]


def test_a_call_without_conditions_has_no_verdicts() -> None:
    assert verdicts(Requirements(), StudentFacts(birth_year=2000), date(2026, 1, 1)) == []


@pytest.mark.parametrize(("typed", "score"), [("6.5", 6.5), ("6,5", 6.5), (" 7 ", 7.0)])
def test_ielts_scores_read_with_a_point_or_a_comma(typed: str, score: float) -> None:
    assert parse_score(typed, EnglishTest.IELTS) == score


@pytest.mark.parametrize("typed", ["6.3", "9.5", "-1", "six", "", "6..5", "1e1", "٦٫٥"])
def test_impossible_ielts_scores_are_refused(typed: str) -> None:
    with pytest.raises(FactError):
        parse_score(typed, EnglishTest.IELTS)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.sampled_from(list(EnglishTest)))
def test_score_parser_returns_a_score_on_the_scale_or_refuses(text: str, test: EnglishTest) -> None:
    try:
        score = parse_score(text, test)
    except FactError:
        return
    low, high, step = {
        EnglishTest.IELTS: (0, 9, 0.5),
        EnglishTest.TOEFL: (0, 120, 1),
        EnglishTest.DUOLINGO: (10, 160, 5),
    }[test]
    assert low <= score <= high and (score - low) % step == 0
    assert parse_score(format_score(score), test) == score  # what the card shows reads back


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(0, 91, 5)), st.sampled_from([".", ","]))
def test_every_ielts_band_typed_either_way_reads_back(tenths: int, point: str) -> None:
    band = tenths / 10
    typed = format_score(band).replace(".", point)
    assert parse_score(typed, EnglishTest.IELTS) == band


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=6))
def test_cefr_parser_returns_a_level_or_refuses(text: str) -> None:
    try:
        level = parse_cefr(text)
    except FactError:
        return
    assert level in CEFR and level == text.strip().upper()


@pytest.mark.parametrize("typed", ["c1", " B2 ", "A1"])
def test_cefr_levels_read_in_any_case(typed: str) -> None:
    assert parse_cefr(typed) == typed.strip().upper()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8))
def test_birth_year_parser_returns_a_plausible_year_or_refuses(text: str) -> None:
    today = date(2026, 12, 3)
    try:
        year = parse_birth_year(text, today)
    except FactError:
        return
    assert 1926 <= year <= 2016


def test_on_new_years_eve_every_birthday_of_the_year_is_behind() -> None:
    """Born 2006, the student is 20 on 31 December 2026 whatever the birthday; a day earlier
    they may still be 19."""
    req = Requirements(min_age=20)
    assert age_outcome(req, 2006, date(2026, 12, 31)) is Outcome.MEETS
    assert age_outcome(req, 2006, date(2026, 12, 30)) is Outcome.UNDECIDED
