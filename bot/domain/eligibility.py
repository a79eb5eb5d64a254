"""Eligibility at a glance: a call's conditions as data, the facts a student chose to tell, and
one verdict per condition. Nothing here hides a call: an unknown fact is "not told", and a
condition the facts cannot decide (a birth year alone, a different English test) is "check".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")
NO_GERMAN = "none"  # a student who told us they have no German at all


class EnglishTest(StrEnum):
    IELTS = "ielts"
    TOEFL = "toefl"  # TOEFL iBT, 0–120
    DUOLINGO = "duolingo"  # Duolingo English Test, 10–160


# (lowest, highest, step) of each test's overall score
SCORE_SCALES: dict[EnglishTest, tuple[float, float, float]] = {
    EnglishTest.IELTS: (0.0, 9.0, 0.5),
    EnglishTest.TOEFL: (0.0, 120.0, 1.0),
    EnglishTest.DUOLINGO: (10.0, 160.0, 5.0),
}


class Condition(StrEnum):
    AGE = "age"
    ENGLISH = "english"
    GERMAN = "german"
    WORK = "work"
    CITIZENSHIP = "citizenship"


class Outcome(StrEnum):
    MEETS = "meets"  # ✅
    FAILS = "fails"  # ⚠️ the facts say the condition is not met
    UNDECIDED = "undecided"  # ⚠️ the facts cannot decide it (check yourself)
    UNKNOWN = "unknown"  # ❓ the student has not told us


@dataclass(frozen=True, slots=True)
class Requirements:
    """A call's structured conditions; None (False for citizenship) means no such condition."""

    min_age: int | None = None
    max_age: int | None = None
    min_ielts: float | None = None
    min_toefl: int | None = None
    min_duolingo: int | None = None
    min_german: str | None = None
    min_work_years: int | None = None
    uz_citizens_only: bool = False

    def english(self) -> dict[EnglishTest, float]:
        """The English tests the call accepts, each with its minimum (any one suffices)."""
        minimums = {
            EnglishTest.IELTS: self.min_ielts,
            EnglishTest.TOEFL: self.min_toefl,
            EnglishTest.DUOLINGO: self.min_duolingo,
        }
        return {test: float(score) for test, score in minimums.items() if score is not None}

    def conditions(self) -> list[Condition]:
        found: list[Condition] = []
        if self.min_age is not None or self.max_age is not None:
            found.append(Condition.AGE)
        if self.english():
            found.append(Condition.ENGLISH)
        if self.min_german is not None:
            found.append(Condition.GERMAN)
        if self.min_work_years:
            found.append(Condition.WORK)
        if self.uz_citizens_only:
            found.append(Condition.CITIZENSHIP)
        return found


@dataclass(frozen=True, slots=True)
class StudentFacts:
    """What the student chose to tell; None is "not told"."""

    birth_year: int | None = None
    english_test: EnglishTest | None = None
    english_score: float | None = None
    german_level: str | None = None  # a CEFR level or NO_GERMAN
    work_years: int | None = None
    uz_citizen: bool | None = None

    def knows(self, condition: Condition) -> bool:
        match condition:
            case Condition.AGE:
                return self.birth_year is not None
            case Condition.ENGLISH:
                return self.english_test is not None and self.english_score is not None
            case Condition.GERMAN:
                return self.german_level is not None
            case Condition.WORK:
                return self.work_years is not None
            case Condition.CITIZENSHIP:
                return self.uz_citizen is not None


@dataclass(frozen=True, slots=True)
class Verdict:
    condition: Condition
    outcome: Outcome
    # for the "age" condition: the ages the student can be on `on`; for English: the test the
    # student has (when the call does not accept it) — what the text needs to explain itself
    possible_ages: tuple[int, ...] = ()
    on: date | None = None


def missing_facts(requirements: Requirements, facts: StudentFacts) -> list[Condition]:
    """The call's conditions the student has not told us enough to judge, in asking order."""
    return [c for c in requirements.conditions() if not facts.knows(c)]


def ages_on(birth_year: int, day: date) -> tuple[int, ...]:
    """Every age someone born in `birth_year` can be on `day`: one age on 31 December (every
    birthday of the year is behind), otherwise two (birthday behind or still ahead)."""
    turned = day.year - birth_year
    if day.month == 12 and day.day == 31:
        return (turned,)
    return (turned - 1, turned)


def judging_day(deadline_at: datetime | None, zone: ZoneInfo, now: datetime) -> date:
    """The day age limits are judged on: the deadline's day as the organiser states it; today
    (the organiser's) for a call without a deadline."""
    return (deadline_at or now).astimezone(zone).date()


def verdicts(requirements: Requirements, facts: StudentFacts, on: date) -> list[Verdict]:
    """One verdict per condition of the call, in the card's order."""
    found: list[Verdict] = []
    for condition in requirements.conditions():
        if not facts.knows(condition):
            found.append(Verdict(condition, Outcome.UNKNOWN, on=on))
        elif condition is Condition.AGE:
            assert facts.birth_year is not None
            ages = ages_on(facts.birth_year, on)
            found.append(Verdict(condition, _age_outcome(requirements, ages), ages, on))
        else:
            found.append(Verdict(condition, _outcome(condition, requirements, facts), on=on))
    return found


def meets_all_known(requirements: Requirements, facts: StudentFacts, on: date) -> bool:
    """False only when a told fact fails a condition: unknown or undecided ones are kept."""
    return all(v.outcome is not Outcome.FAILS for v in verdicts(requirements, facts, on))


def _age_outcome(requirements: Requirements, ages: tuple[int, ...]) -> Outcome:
    def within(age: int) -> bool:
        low_ok = requirements.min_age is None or age >= requirements.min_age
        high_ok = requirements.max_age is None or age <= requirements.max_age
        return low_ok and high_ok

    results = {within(age) for age in ages}
    if results == {True}:
        return Outcome.MEETS
    if results == {False}:
        return Outcome.FAILS
    return Outcome.UNDECIDED


def _outcome(condition: Condition, requirements: Requirements, facts: StudentFacts) -> Outcome:
    met: bool
    if condition is Condition.ENGLISH:
        accepted = requirements.english()
        assert facts.english_test is not None and facts.english_score is not None
        if facts.english_test not in accepted:
            return Outcome.UNDECIDED  # another test: only the organiser can say what it counts
        met = facts.english_score >= accepted[facts.english_test]
    elif condition is Condition.GERMAN:
        assert requirements.min_german is not None and facts.german_level is not None
        met = german_rank(facts.german_level) >= german_rank(requirements.min_german)
    elif condition is Condition.WORK:
        assert requirements.min_work_years is not None and facts.work_years is not None
        met = facts.work_years >= requirements.min_work_years
    else:
        met = bool(facts.uz_citizen)
    return Outcome.MEETS if met else Outcome.FAILS


def german_rank(level: str) -> int:
    return -1 if level == NO_GERMAN else CEFR.index(level)


# -- typed facts -------------------------------------------------------------------------------


class FactError(ValueError):
    """A typed fact that cannot be read; `code` says why (bot/texts/eligibility.py words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_SCORE = re.compile(r"^\d{1,3}(?:[.,]\d)?$")


def parse_score(text: str, test: EnglishTest) -> float:
    """An overall score as students type it: "6.5", "6,5", " 95 ". Must lie on the test's scale
    and step (IELTS in halves, Duolingo in fives)."""
    value = text.strip()
    if not _SCORE.match(value):
        raise FactError("bad_score")
    score = float(value.replace(",", "."))
    low, high, step = SCORE_SCALES[test]
    if not low <= score <= high or (score - low) % step:
        raise FactError("bad_score")
    return score


def parse_cefr(text: str) -> str:
    """A CEFR level: "B1", "b1", " C2 "."""
    value = text.strip().upper()
    if value not in CEFR:
        raise FactError("bad_level")
    return value


def parse_birth_year(text: str, today: date) -> int:
    """A four-digit year of birth between 100 and 10 years ago."""
    value = text.strip()
    if not (value.isdecimal() and len(value) == 4):
        raise FactError("bad_year")
    year = int(value)
    if not today.year - 100 <= year <= today.year - 10:
        raise FactError("bad_year")
    return year


def parse_work_years(text: str) -> int:
    value = text.strip()
    if not value.isdecimal() or int(value) > 60:
        raise FactError("bad_years")
    return int(value)


def format_score(score: float) -> str:
    """6.5 → "6.5", 90.0 → "90"."""
    return f"{score:g}"
