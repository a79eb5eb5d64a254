"""Eligibility at a glance, through the dispatcher: a card turns a call's conditions into
verdicts from what the student told, asks only the facts the call needs, and never hides a
call; /settings lists and edits the facts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.db.users import UsersRepo
from bot.domain.eligibility import EnglishTest, StudentFacts
from bot.fake_telegram import LocalTelegram, LocalUser
from tests.conftest import onboard
from tests.support.factories import add_call, clear_catalogue

BRUSSELS = ZoneInfo("Europe/Brussels")
# 31 December in Brussels is already 1 January in Tashkent: ages are judged on the organiser's day.
NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 59, tzinfo=BRUSSELS)
NOW_PLUS_YEAR = datetime(2027, 6, 30, 23, 59, tzinfo=BRUSSELS)


async def conditioned_call(app: App) -> None:
    await clear_catalogue(app)
    await add_call(
        app,
        title="Conditions apply",
        programme="erasmus",
        deadline=NEW_YEARS_EVE,
        deadline_tz="Europe/Brussels",
        max_age=27,
        min_ielts=6.5,
        min_toefl=80,
        uz_citizens_only=True,
    )


def card_buttons(telegram: LocalTelegram, user: LocalUser) -> list[str]:
    return [b.text for b in telegram.last_keyboard_message(user.id).buttons()]


async def test_check_my_eligibility_asks_only_what_the_call_needs_then_shows_verdicts(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await conditioned_call(app)
    await onboard(telegram, student)
    await telegram.press(student, "1.")
    card = telegram.last_bot_text(student.id)
    assert "❓ up to age 27 on December 31, 2026: not told" in card
    assert "❓ IELTS 6.5 or TOEFL iBT 80: not told" in card
    assert "❓ citizenship of Uzbekistan: not told" in card
    assert "German " not in card and "work experience" not in card  # not this call's conditions

    await telegram.press(student, "Check my eligibility")
    assert "In which year were you born?" in telegram.last_bot_text(student.id)
    await telegram.send(student, "99")
    reply = telegram.last_bot_text(student.id)
    assert "four digits" in reply and "In which year were you born?" in reply
    await telegram.send(student, "1999")
    assert "Which English test" in telegram.last_bot_text(student.id)
    await telegram.press(student, "IELTS")
    await telegram.send(student, "6,3")
    assert "not a score this test gives" in telegram.last_bot_text(student.id)
    await telegram.send(student, "6,0")
    assert "citizen of Uzbekistan" in telegram.last_bot_text(student.id)
    await telegram.press(student, "Yes")

    card = telegram.last_bot_text(student.id)
    assert "Conditions apply" in card
    # 1999 + 27 = 2026: every birthday of 2026 is behind on Brussels' 31 December
    assert "✅ up to age 27 on December 31, 2026: you meet it" in card
    assert "⚠️ Check: IELTS 6.5 or TOEFL iBT 80 required, you have IELTS 6" in card
    assert "✅ citizenship of Uzbekistan: you meet it" in card
    assert not any("Check my eligibility" in b for b in card_buttons(telegram, student))
    facts = (await UsersRepo(app.db).get(student.id)).facts  # type: ignore[union-attr]
    assert (facts.birth_year, facts.english_score, facts.uz_citizen) == (1999, 6.0, True)


async def test_every_question_can_be_skipped_and_the_card_still_shows(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await conditioned_call(app)
    await onboard(telegram, student)
    await telegram.press(student, "1.")
    await telegram.press(student, "Check my eligibility")
    for _ in range(3):
        await telegram.press(student, "Skip")
    card = telegram.last_bot_text(student.id)
    assert "Conditions apply" in card and card.count("not told") == 3
    assert any("Check my eligibility" in b for b in card_buttons(telegram, student))


async def test_a_call_without_conditions_shows_no_verdicts_and_no_check(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Open to all", deadline=NEW_YEARS_EVE)
    await onboard(telegram, student)
    await telegram.press(student, "1.")
    card = telegram.last_bot_text(student.id)
    assert "Your eligibility" not in card
    assert not any("Check my eligibility" in b for b in card_buttons(telegram, student))


async def test_facts_are_listed_and_edited_in_settings(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/settings")
    await telegram.press(student, "My facts")
    assert "German: not told" in telegram.last_bot_text(student.id)
    await telegram.press(student, "✏️ German")
    await telegram.press(student, "B2")
    assert "German: B2" in telegram.last_bot_text(student.id)
    await telegram.press(student, "✏️ Work experience")
    await telegram.send(student, "lots")
    assert "whole number of years" in telegram.last_bot_text(student.id)
    await telegram.send(student, "3")
    screen = telegram.last_bot_text(student.id)
    assert "Work experience: 3 years" in screen and "German: B2" in screen


VERDICTS = {
    "English": (
        "✅ up to age 27 on December 31, 2026: you meet it",
        "⚠️ Check: IELTS 6.5 or TOEFL iBT 80 required, you have IELTS 6",
        "❓ citizenship of Uzbekistan: not told",
    ),
    "Русский": (
        "✅ возраст до 27 на 31 декабря 2026\u202fг.: вы подходите",
        "⚠️ Проверьте: требуется IELTS 6,5 или TOEFL iBT 80, у вас IELTS 6",
        "❓ гражданство Узбекистана: не указано",
    ),
    "O‘zbekcha": (
        "✅ 27 yoshgacha, 31-dekabr, 2026 holatiga: mos kelasiz",
        "⚠️ Tekshiring: IELTS 6,5 yoki TOEFL iBT 80 talab qilinadi, sizda IELTS 6",
        "❓ O‘zbekiston fuqaroligi: ko‘rsatilmagan",
    ),
    "Ўзбекча": (
        "✅ 27 ёшгача, 31-декабр, 2026 ҳолатига: мос келасиз",
        "⚠️ Текширинг: IELTS 6,5 ёки TOEFL iBT 80 талаб қилинади, сизда IELTS 6",
        "❓ Ўзбекистон фуқаролиги: кўрсатилмаган",
    ),
}


LOCALES = {"English": "en", "Русский": "ru", "O‘zbekcha": "uz", "Ўзбекча": "uz_Cyrl"}


@pytest.mark.parametrize("language", list(VERDICTS))
async def test_verdict_lines_speak_the_students_language(
    app: App, telegram: LocalTelegram, student: LocalUser, language: str
) -> None:
    await conditioned_call(app)
    await onboard(telegram, student)
    users = UsersRepo(app.db)
    await users.update(student.id, language=LOCALES[language])
    told = StudentFacts(birth_year=1999, english_test=EnglishTest.IELTS, english_score=6.0)
    await users.save_facts(student.id, told)
    await telegram.press(student, "1.")
    card = telegram.last_bot_text(student.id)
    for line in VERDICTS[language]:
        assert line in card, (line, card)


async def test_only_calls_i_meet_hides_failed_calls_and_keeps_unknown_ones(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Needs IELTS 7", deadline=NEW_YEARS_EVE, min_ielts=7.0)
    await add_call(app, title="Needs German B1", deadline=NEW_YEARS_EVE, min_german="B1")
    await add_call(app, title="Born 1999 may be too old", deadline=NOW_PLUS_YEAR, max_age=27)
    await add_call(app, title="Open to all", deadline=NEW_YEARS_EVE)
    await onboard(telegram, student)
    told = StudentFacts(birth_year=1999, english_test=EnglishTest.IELTS, english_score=6.5)
    await UsersRepo(app.db).save_facts(student.id, told)

    await telegram.press(student, "Refine")
    await telegram.press(student, "Only calls I meet")
    await telegram.press(student, "Only calls I meet")  # the choice: on
    await telegram.press(student, "Show results")
    text = telegram.last_bot_text(student.id)
    assert "Needs IELTS 7" not in text  # a told score fails it
    assert "Needs German B1" in text  # German not told: kept, never hidden silently
    assert "Born 1999 may be too old" in text  # 27 or 28 on its day: undecided, kept
    assert "Open to all" in text and "only calls I meet" in text

    await telegram.press(student, "Refine")
    await telegram.press(student, "Only calls I meet")
    await telegram.press(student, "All calls")
    await telegram.press(student, "Show results")
    assert "Needs IELTS 7" in telegram.last_bot_text(student.id)


async def test_an_empty_result_offers_to_show_calls_i_may_not_meet(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Citizens only", deadline=NEW_YEARS_EVE, uz_citizens_only=True)
    await onboard(telegram, student)
    await UsersRepo(app.db).save_facts(student.id, StudentFacts(uz_citizen=False))
    await telegram.press(student, "Refine")
    await telegram.press(student, "Only calls I meet")
    await telegram.press(student, "Only calls I meet")
    await telegram.press(student, "Show results")
    assert "No open calls match your filters" in telegram.last_bot_text(student.id)
    await telegram.press(student, "Also calls I may not meet")
    assert "Citizens only" in telegram.last_bot_text(student.id)
