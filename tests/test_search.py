"""/search and free text find calls in any language and either Uzbek script."""

from __future__ import annotations

import pytest
from aiogram.methods import SendMessage

from bot.app import App
from bot.domain.calls import CallText
from bot.fake_telegram import LocalTelegram, LocalUser
from tests.conftest import NOW, onboard
from tests.support.factories import add_call, clear_catalogue, days

UZBEK_TEXTS = {
    "uz": CallText("Qishloq xo‘jaligi magistraturasi", "Germaniyada o‘qish uchun grant"),
    "uz_Cyrl": CallText("Қишлоқ хўжалиги магистратураси", "Германияда ўқиш учун грант"),
    "ru": CallText("Магистратура по сельскому хозяйству", "Грант на учёбу в Германии"),
    "en": CallText("Agriculture master's", "A grant to study in Germany"),
}


@pytest.fixture
async def catalogue(app: App) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Agri", deadline=NOW + days(30), texts=UZBEK_TEXTS)
    await add_call(app, title="Unrelated physics", deadline=NOW + days(10))


@pytest.mark.parametrize(
    "query",
    [
        "qishloq",  # Latin
        "ҚИШЛОҚ",  # Cyrillic, upper case
        "xo‘jaligi",  # Latin with ‘
        "xo'jaligi",  # ASCII apostrophe
        "xoʻjaligi",  # modifier letter turned comma
        "хўжалиги",  # Cyrillic ў
        "сельскому",  # Russian text
        "agricult",  # English prefix
    ],
)
async def test_search_finds_a_call_in_either_script_and_any_apostrophe(
    catalogue: None, telegram: LocalTelegram, student: LocalUser, query: str
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, f"/search {query}")
    text = telegram.last_bot_text(student.id)
    assert "Found: 1" in text and "Agriculture master" in text


async def test_plain_text_outside_a_flow_is_a_search(
    catalogue: None, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "Германия")
    assert "Agriculture master" in telegram.last_bot_text(student.id)


async def test_the_search_button_asks_for_a_query_then_searches(
    catalogue: None, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/menu")
    await telegram.press(student, "Search")
    assert "Send a word or phrase" in telegram.last_bot_text(student.id)
    await telegram.send(student, "physics")
    assert "Unrelated physics" in telegram.last_bot_text(student.id)


async def test_nothing_found_echoes_the_query_escaped(
    catalogue: None, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    requests = await telegram.send(student, "<b>zzz</b> & co")
    reply = next(r for r in requests if isinstance(r, SendMessage))
    assert "Nothing found" in reply.text
    assert "&lt;b&gt;zzz&lt;/b&gt; &amp; co" in reply.text
    assert "<b>zzz" not in reply.text


async def test_search_results_hide_closed_and_past_calls(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Expired grant", deadline=NOW - days(2))
    await onboard(telegram, student)
    await telegram.send(student, "/search expired")
    assert "Nothing found" in telegram.last_bot_text(student.id)


async def test_search_pages_survive_and_keep_the_query(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    for n in range(7):
        await add_call(app, title=f"Robotics {n}", deadline=NOW + days(10 + n))
    await onboard(telegram, student)
    await telegram.send(student, "/search robotics")
    assert "Found: 7" in telegram.last_bot_text(student.id)
    await telegram.press(student, "▶️")
    text = telegram.last_bot_text(student.id)
    assert "Robotics 5" in text and "Robotics 6" in text and "Robotics 0" not in text
