"""A student opens the bot, picks a language, answers three questions and reads calls."""

from __future__ import annotations

import re

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from bot.app import App
from bot.domain.profile import CallStatus, Field, Level
from bot.fake_telegram import LocalTelegram, LocalUser
from tests.conftest import NOW, onboard
from tests.support.factories import add_call, clear_catalogue, days

LANGUAGES = {
    # button, heading of the results, "Master's", field button, a month name in that locale
    "en": ("English", "Calls for you", "Master's", "ICT", "Done"),
    "ru": ("Русский", "Подходящие вам конкурсы", "Магистратура", "ИКТ", "Готово"),
    "uz": ("O‘zbekcha", "Siz uchun tanlovlar", "Magistratura", "AKT", "Tayyor"),
    "uz_Cyrl": ("Ўзбекча", "Сиз учун танловлар", "Магистратура", "АКТ", "Тайёр"),
}
DECEMBER = {"en": "December", "ru": "декабря", "uz": "dekabr", "uz_Cyrl": "декабр"}
# The programme's name as each locale's students read it: Cyrillic in uz_Cyrl.
DAAD = {"en": "DAAD", "ru": "DAAD", "uz": "DAAD", "uz_Cyrl": "ДААД"}


@pytest.mark.parametrize("locale", list(LANGUAGES))
async def test_a_new_student_reaches_matching_calls_in_four_taps_in_every_language(
    app: App, telegram: LocalTelegram, locale: str
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Later call", deadline=NOW + days(60))
    await add_call(app, title="Soon call", deadline=NOW + days(10))
    await add_call(app, title="Rolling call", deadline=None)
    await add_call(app, title="Past call", deadline=NOW - days(1))
    await add_call(app, title="Draft call", deadline=NOW + days(5), status=CallStatus.DRAFT)
    await add_call(app, title="Closed call", deadline=NOW + days(5), status=CallStatus.CLOSED)
    await add_call(app, title="Bachelor only", deadline=NOW + days(5), levels={Level.BACHELOR})
    await add_call(app, title="Health only", deadline=NOW + days(5), fields={Field.HEALTH})
    button, heading, masters, ict, done = LANGUAGES[locale]
    user = LocalUser(id=5001, first_name="Jasur", language_code="ru")

    await telegram.send(user, "/start")
    *questions, last = [button, masters, ict, done]
    for label in questions:
        requests = await telegram.press(user, label)
        # every tap stops its button's spinner, once (Telegram refuses a second answer)
        assert sum(isinstance(r, AnswerCallbackQuery) for r in requests) == 1
        assert heading not in telegram.last_bot_text(user.id)  # no results before the 4th tap
    requests = await telegram.press(user, last)
    assert sum(isinstance(r, AnswerCallbackQuery) for r in requests) == 1

    results = telegram.last_bot_text(user.id)
    assert heading in results
    titles = re.findall(rf"\d+\. <b>{DAAD[locale]}</b> · (.+)", results)
    assert titles == ["Soon call", "Later call", "Rolling call"]  # nearest deadline first
    assert DECEMBER[locale] in results  # 3 December 2026, babel-formatted in the locale


async def test_the_language_offered_first_matches_the_telegram_app_language(
    telegram: LocalTelegram,
) -> None:
    russian = LocalUser(id=5002, language_code="ru")
    await telegram.send(russian, "/start")
    keyboard = telegram.last_keyboard_message(russian.id)
    assert keyboard is not None
    assert keyboard.buttons()[0].text == "🇷🇺 Русский"
    # The greeting itself is in Russian already, and names every language.
    assert "Выберите язык" in keyboard.text


async def test_the_seed_catalogue_is_shown_sorted_by_deadline_without_past_calls(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student, fields=("All fields",))
    text = telegram.last_bot_text(student.id)
    found = int(re.search(r"Found: (\d+)", text).group(1))
    assert found >= 5
    # every page lists at most five calls, nearest deadline first across pages
    seen_days: list[int] = []
    pages = -(-found // 5)
    for page in range(pages):
        text = telegram.last_bot_text(student.id)
        seen_days += [int(d) for d in re.findall(r"(\d+) days left", text)]
        if page + 1 < pages:
            await telegram.press(student, "▶️")
    assert seen_days == sorted(seen_days)


async def test_a_call_card_shows_every_detail_and_links_to_the_official_page(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(
        app,
        title="EPOS <Engineering> & Co",
        deadline=NOW + days(30),
        language_requirement="IELTS 6.5",
        min_age=20,
        max_age=45,
        min_work_years=2,
        dates_typical=True,
    )
    await onboard(telegram, student)
    await telegram.press(student, "1.")
    card = telegram.last_bot_text(student.id)
    assert "EPOS &lt;Engineering&gt; &amp; Co" in card  # titles are escaped for HTML
    for expected in (
        "Master's",
        "ICT",
        "Germany",
        "Full scholarship",
        "IELTS 6.5",
        "age 20–45",
        "at least 2 years of work experience",
        "December 23, 2026",
        "30 days left",
        "Tashkent time",
        "usual cycle",
        "verified on November 20, 2026",
        'href="https://example.org/source"',
    ):
        assert expected in card, expected
    assert "180 days" not in card  # recently verified: no warning
    keyboard = telegram.last_keyboard_message(student.id)
    official = [b for b in keyboard.buttons() if b.url]
    assert official and official[0].url == "https://example.org/official"

    await telegram.press(student, "Back to list")
    assert "Calls for you" in telegram.last_bot_text(student.id)


async def test_a_call_not_verified_for_over_180_days_warns_the_student(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    from datetime import date

    await clear_catalogue(app)
    await add_call(app, title="Old facts", deadline=NOW + days(30), verified_on=date(2026, 4, 1))
    await onboard(telegram, student)
    await telegram.press(student, "1.")
    assert "Checked more than 180 days ago" in telegram.last_bot_text(student.id)


async def test_an_empty_result_offers_to_relax_a_facet(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="DAAD call", programme="daad", deadline=NOW + days(20))
    await onboard(telegram, student)
    await telegram.press(student, "Refine")
    await telegram.press(student, "Programme")
    await telegram.press(student, "Fulbright")
    await telegram.press(student, "Show results")
    assert "No open calls match your filters" in telegram.last_bot_text(student.id)
    await telegram.press(student, "Any programme")
    assert "DAAD call" in telegram.last_bot_text(student.id)


async def test_facets_narrow_the_results(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="In Germany", deadline=NOW + days(20), countries=("DE",))
    await add_call(
        app, title="In USA", programme="fulbright", deadline=NOW + days(200), countries=("US",)
    )
    await onboard(telegram, student)
    assert "In USA" in telegram.last_bot_text(student.id)
    await telegram.press(student, "Refine")
    await telegram.press(student, "Deadline")
    await telegram.press(student, "within 30 days")
    await telegram.press(student, "Show results")
    text = telegram.last_bot_text(student.id)
    assert "In Germany" in text and "In USA" not in text
    await telegram.press(student, "Refine")
    await telegram.press(student, "Host country")
    await telegram.press(student, "United States")
    await telegram.press(student, "Deadline")
    await telegram.press(student, "Any")
    await telegram.press(student, "Show results")
    text = telegram.last_bot_text(student.id)
    assert "In USA" in text and "In Germany" not in text


async def test_a_returning_student_lands_on_the_saved_profile(
    telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/start")
    texts = [m.text for m in telegram.transcript(student.id)[-2:]]
    assert "Welcome back, Aziza" in texts[0]
    assert "Main menu" in texts[1]
    await telegram.press(student, "Calls for me")
    assert "Calls for you" in telegram.last_bot_text(student.id)


async def test_a_card_of_a_call_closed_meanwhile_is_refused_politely(
    app: App, telegram: LocalTelegram, student: LocalUser, session
) -> None:
    from bot.db.calls import CallsRepo

    await clear_catalogue(app)
    call_id = await add_call(app, title="Closing soon", deadline=NOW + days(20))
    await add_call(app, title="Still open", deadline=NOW + days(25))
    await onboard(telegram, student)
    await CallsRepo(app.db).set_status(call_id, CallStatus.CLOSED, NOW)
    requests = await telegram.press(student, "Closing soon")
    alerts = [r for r in requests if isinstance(r, AnswerCallbackQuery)]
    assert alerts and "no longer available" in alerts[0].text and alerts[0].show_alert
    text = telegram.last_bot_text(student.id)
    assert "Still open" in text and "Closing soon" not in text


@pytest.mark.parametrize(
    "data",
    [
        "card:not-a-number:m:0",
        "lang:xx",
        "fld:99",
        "facet:country:ZZ",
        "relax:nothing",
        "????",
        "set:root",
    ],
)
async def test_forged_or_malformed_buttons_get_a_friendly_answer(
    telegram: LocalTelegram, student: LocalUser, data: str
) -> None:
    await onboard(telegram, student)
    requests = await telegram.press_data(student, data)
    answers = [r for r in requests if isinstance(r, AnswerCallbackQuery)]
    assert answers and "expired" in answers[0].text
    assert not any("went wrong" in (getattr(r, "text", "") or "") for r in requests)


async def test_settings_change_the_language_of_every_next_screen(
    telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/settings")
    await telegram.press(student, "Language")
    requests = await telegram.press(student, "Русский")
    edited = [r for r in requests if isinstance(r, EditMessageText)]
    assert edited and "Настройки" in edited[0].text
    await telegram.send(student, "/menu")
    assert "Главное меню" in telegram.last_bot_text(student.id)
    # Menus are built once per language and shared: each student still gets their own.
    classmate = LocalUser(id=student.id + 1, first_name="Aziza")
    await onboard(telegram, classmate)
    await telegram.send(classmate, "/menu")
    for who, search in ((student, "🔍 Поиск"), (classmate, "🔍 Search")):
        menu = telegram.last_keyboard_message(who.id)
        assert menu is not None and search in [b.text for b in menu.buttons()]


async def test_settings_change_level_and_fields(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(
        app,
        title="PhD in health",
        deadline=NOW + days(40),
        levels={Level.DOCTORAL},
        fields={Field.HEALTH},
    )
    await onboard(telegram, student)
    assert "No open calls" in telegram.last_bot_text(student.id)
    await telegram.send(student, "/settings")
    await telegram.press(student, "Study level")
    await telegram.press(student, "Doctoral")
    await telegram.press(student, "Fields")
    await telegram.press(student, "Health")
    await telegram.press(student, "Done")
    assert "Saved" in telegram.last_bot_text(student.id)
    await telegram.send(student, "/calls")
    assert "PhD in health" in telegram.last_bot_text(student.id)


async def test_done_without_any_field_asks_for_one(
    telegram: LocalTelegram, student: LocalUser
) -> None:
    await telegram.send(student, "/start")
    await telegram.press(student, "English")
    await telegram.press(student, "Bachelor")
    requests = await telegram.press(student, "Done")
    alert = next(r for r in requests if isinstance(r, AnswerCallbackQuery))
    assert alert.show_alert and "at least one field" in alert.text


async def test_typing_during_the_questions_points_back_to_the_buttons(
    telegram: LocalTelegram, student: LocalUser
) -> None:
    await telegram.send(student, "/start")
    await telegram.press(student, "English")
    requests = await telegram.send(student, "master please")
    sent = [r for r in requests if isinstance(r, SendMessage)]
    assert sent and "buttons above" in sent[0].text
