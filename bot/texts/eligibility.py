"""Texts of eligibility: the verdict lines on a card, the questions for the student's facts, and
the facts as /settings lists them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.calls import Call
from bot.domain.eligibility import (
    NO_GERMAN,
    Condition,
    EnglishTest,
    Outcome,
    Requirements,
    StudentFacts,
    Verdict,
    judging_day,
    verdicts,
)
from bot.i18n import _, _n
from bot.texts.formatting import fmt_date, fmt_number

TEST_NAMES = {
    EnglishTest.IELTS: "IELTS",
    EnglishTest.TOEFL: "TOEFL iBT",
    EnglishTest.DUOLINGO: "Duolingo English Test",
}


def verdict_section(
    call: Call, facts: StudentFacts, locale: str, now: datetime, tz: ZoneInfo
) -> str:
    """The card's eligibility lines ("" for a call without structured conditions)."""
    requirements = call.requirements()
    day = judging_day(call.deadline_at, call.organiser_zone(tz), now)
    found = verdicts(requirements, facts, day)
    if not found:
        return ""
    lines = [_("<b>Your eligibility</b> (from what you told the bot; the official page decides):")]
    lines.extend(verdict_line(v, requirements, facts, locale) for v in found)
    return "\n".join(lines)


def verdict_line(
    verdict: Verdict, requirements: Requirements, facts: StudentFacts, locale: str
) -> str:
    requirement = requirement_text(verdict, requirements, locale)
    if verdict.outcome is Outcome.MEETS:
        return _("✅ %(requirement)s: you meet it") % {"requirement": requirement}
    if verdict.outcome is Outcome.UNKNOWN:
        return _("❓ %(requirement)s: not told") % {"requirement": requirement}
    if verdict.condition is Condition.AGE:
        return _("⚠️ Check: %(requirement)s; you will be %(ages)s") % {
            "requirement": requirement,
            "ages": _ages(verdict.possible_ages, locale),
        }
    if verdict.condition is Condition.CITIZENSHIP:
        return _("⚠️ Check: %(requirement)s required") % {"requirement": requirement}
    return _("⚠️ Check: %(requirement)s required, you have %(fact)s") % {
        "requirement": requirement,
        "fact": fact_text(verdict.condition, facts, locale),
    }


def requirement_text(verdict: Verdict, requirements: Requirements, locale: str) -> str:
    match verdict.condition:
        case Condition.AGE:
            assert verdict.on is not None
            return _("%(rule)s on %(date)s") % {
                "rule": age_rule(requirements.min_age, requirements.max_age, locale),
                "date": fmt_date(verdict.on, locale, ZoneInfo("UTC")),
            }
        case Condition.ENGLISH:
            return _(" or ").join(
                f"{TEST_NAMES[test]} {fmt_number(score, locale)}"
                for test, score in requirements.english().items()
            )
        case Condition.GERMAN:
            return _("German %(level)s") % {"level": requirements.min_german}
        case Condition.WORK:
            years = requirements.min_work_years or 0
            return _n(
                "at least %(years)s year of work experience",
                "at least %(years)s years of work experience",
                years,
            ) % {"years": fmt_number(years, locale)}
        case Condition.CITIZENSHIP:
            return _("citizenship of Uzbekistan")


def age_rule(min_age: int | None, max_age: int | None, locale: str) -> str:
    if min_age is not None and max_age is not None:
        return _("age %(min)s–%(max)s") % {
            "min": fmt_number(min_age, locale),
            "max": fmt_number(max_age, locale),
        }
    if max_age is not None:
        return _("up to age %(max)s") % {"max": fmt_number(max_age, locale)}
    return _("from age %(min)s") % {"min": fmt_number(min_age or 0, locale)}


def _ages(ages: tuple[int, ...], locale: str) -> str:
    if len(ages) == 1:
        return fmt_number(ages[0], locale)
    return _("%(younger)s or %(older)s") % {
        "younger": fmt_number(ages[0], locale),
        "older": fmt_number(ages[-1], locale),
    }


def fact_text(condition: Condition, facts: StudentFacts, locale: str) -> str:
    """One told fact as a phrase ("IELTS 6.0", "B1", "2 years"), or "not told"."""
    if not facts.knows(condition):
        return _("not told")
    match condition:
        case Condition.AGE:
            return _("born in %(year)s") % {"year": facts.birth_year}
        case Condition.ENGLISH:
            assert facts.english_test is not None and facts.english_score is not None
            return f"{TEST_NAMES[facts.english_test]} {fmt_number(facts.english_score, locale)}"
        case Condition.GERMAN:
            level = facts.german_level or ""
            return _("no German") if level == NO_GERMAN else level
        case Condition.WORK:
            years = facts.work_years or 0
            return _n("%(years)s year", "%(years)s years", years) % {
                "years": fmt_number(years, locale)
            }
        case Condition.CITIZENSHIP:
            return _("yes") if facts.uz_citizen else _("no")


def fact_label(condition: Condition) -> str:
    return {
        Condition.AGE: _("Year of birth"),
        Condition.ENGLISH: _("English test"),
        Condition.GERMAN: _("German"),
        Condition.WORK: _("Work experience"),
        Condition.CITIZENSHIP: _("Citizen of Uzbekistan"),
    }[condition]


def question(condition: Condition) -> str:
    return {
        Condition.AGE: _("In which year were you born? For example: <code>2002</code>."),
        Condition.ENGLISH: _("Which English test have you taken?"),
        Condition.GERMAN: _("What is your level of German?"),
        Condition.WORK: _(
            "How many full years of work experience do you have? For example: <code>2</code>."
        ),
        Condition.CITIZENSHIP: _("Are you a citizen of Uzbekistan?"),
    }[condition]


def score_question(test: EnglishTest) -> str:
    return _("Your overall %(test)s score? For example: <code>%(example)s</code>.") % {
        "test": TEST_NAMES[test],
        "example": {EnglishTest.IELTS: "6.5", EnglishTest.TOEFL: "90", EnglishTest.DUOLINGO: "115"}[
            test
        ],
    }


def fact_error(code: str) -> str:
    return {
        "bad_score": _("That is not a score this test gives. Type it as on your certificate."),
        "bad_level": _("Choose a level with the buttons."),
        "bad_year": _("Type the year with four digits, for example 2002."),
        "bad_years": _("Type a whole number of years, for example 2."),
        "use_buttons": _("Please answer with the buttons, or skip."),
    }[code]


def facts_screen(facts: StudentFacts, locale: str) -> str:
    lines = [
        _(
            "🧾 <b>My facts</b>\nOptional: they are used only to check calls' conditions "
            "for you. Change or skip any."
        ),
        "",
    ]
    for condition in Condition:
        lines.append(f"{fact_label(condition)}: {fact_text(condition, facts, locale)}")
    return "\n".join(lines)
