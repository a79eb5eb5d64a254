"""Inline mode: `@bot text` in any chat lists open calls matching the text, in the asker's
language, 20 at a time, each sending a short card with an "Open in the bot" button."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerInlineQuery, SendMessage
from aiogram.types import InlineQueryResultArticle, InputTextMessageContent

from bot.app import App
from bot.domain.calls import CallText
from bot.domain.profile import CallStatus
from bot.fake_telegram import LocalTelegram, LocalUser
from bot.texts.inline import DESCRIPTION_WIDTH, result_description
from tests.conftest import NOW, onboard
from tests.support.factories import add_call, clear_catalogue, days, make_call

TEXTS = {
    "uz": CallText("Qishloq xo‘jaligi magistraturasi", "Germaniyada o‘qish"),
    "uz_Cyrl": CallText("Қишлоқ хўжалиги магистратураси", "Германияда ўқиш"),
    "ru": CallText("Магистратура по сельскому хозяйству", "Учёба в Германии"),
    "en": CallText("Agriculture master's", "Study in Germany"),
}
LATIN_ONLY = {"en": CallText("Qishloq xo‘jaligi (Latin only)", "Only written in Latin")}


def articles(answer: AnswerInlineQuery) -> list[InlineQueryResultArticle]:
    assert all(isinstance(r, InlineQueryResultArticle) for r in answer.results)
    return answer.results  # type: ignore[return-value]


def card_of(result: InlineQueryResultArticle) -> str:
    content = result.input_message_content
    assert isinstance(content, InputTextMessageContent)
    return content.message_text


async def user_rows(app: App) -> int:
    return await app.db.fetchval("SELECT count(*) FROM users")


@pytest.fixture
async def catalogue(app: App) -> dict[str, int]:
    await clear_catalogue(app)
    return {
        "agri": await add_call(
            app, deadline=NOW + days(40), texts=TEXTS, deadline_tz="Europe/Berlin"
        ),
        "soon": await add_call(app, title="Soon", deadline=NOW + days(3)),
        "later": await add_call(app, title="Later", deadline=NOW + days(90)),
        "rolling": await add_call(app, title="Rolling", deadline=None),
        "closed": await add_call(app, title="Closed", status=CallStatus.CLOSED),
        "draft": await add_call(app, title="Draft", status=CallStatus.DRAFT),
        "past": await add_call(app, title="Past", deadline=NOW - days(1)),
    }


async def test_an_empty_query_lists_open_calls_by_nearest_deadline(
    catalogue: dict[str, int], telegram: LocalTelegram, student: LocalUser
) -> None:
    answer = await telegram.inline_query(student, "")
    ids = [int(r.id) for r in articles(answer)]
    assert ids == [catalogue[k] for k in ("soon", "agri", "later", "rolling")]
    assert answer.next_offset == ""
    assert answer.cache_time is not None and answer.cache_time <= 60


async def test_the_stored_language_wins_and_the_answer_is_personal(
    catalogue: dict[str, int], telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student, "Русский", "Магистратура", ("ИКТ",))  # app says uz
    answer = await telegram.inline_query(student, "сельск")
    [result] = articles(answer)
    assert result.title == "Магистратура по сельскому хозяйству"
    # The deadline as the organiser states it (Berlin time), babel-formatted in Russian.
    assert result.description == (
        "DAAD · ⏳ 2 января 2027 г., 06:00 (время: Берлин) = 2 января, 10:00 (время: Ташкент)"
    )
    assert "<b>Магистратура по сельскому хозяйству</b>" in card_of(result)
    assert answer.is_personal is True


async def test_without_a_profile_the_telegram_language_is_used_and_no_user_is_created(
    app: App, catalogue: dict[str, int], telegram: LocalTelegram
) -> None:
    before = await user_rows(app)
    stranger = LocalUser(id=300001, first_name="Ivan", language_code="ru-RU")
    answer = await telegram.inline_query(stranger, "agri")
    [result] = articles(answer)
    assert result.title == "Магистратура по сельскому хозяйству"
    assert answer.is_personal is True
    assert await user_rows(app) == before


async def test_an_unknown_telegram_language_gets_the_default_and_a_shared_answer(
    app: App, catalogue: dict[str, int], telegram: LocalTelegram
) -> None:
    before = await user_rows(app)
    visitor = LocalUser(id=300002, first_name="Hans", language_code="de")
    answer = await telegram.inline_query(visitor, "agri")
    [result] = articles(answer)
    assert result.title == "Qishloq xo‘jaligi magistraturasi"  # the default locale, uz
    assert answer.is_personal is False
    assert await user_rows(app) == before


@pytest.mark.parametrize("query", ["қишлоқ хўжалиги", "ҚИШЛОҚ", "xo'jaligi", "xoʻjaligi"])
async def test_cyrillic_and_any_apostrophe_find_latin_text(
    app: App, telegram: LocalTelegram, student: LocalUser, query: str
) -> None:
    await clear_catalogue(app)
    call_id = await add_call(app, deadline=NOW + days(10), texts=LATIN_ONLY)
    await add_call(app, title="Physics", deadline=NOW + days(5))
    answer = await telegram.inline_query(student, query)
    assert [int(r.id) for r in articles(answer)] == [call_id]


async def test_a_result_sends_a_short_escaped_card_with_the_deep_link(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    call_id = await add_call(
        app, title="AI <b>&</b> robots", deadline=NOW + days(40), deadline_tz="Europe/Berlin"
    )
    [result] = articles(await telegram.inline_query(student, "robots"))
    card = card_of(result)
    assert "AI &lt;b&gt;&amp;&lt;/b&gt; robots" in card
    assert result.input_message_content.parse_mode == "HTML"  # type: ignore[union-attr]
    # The deadline as the organiser (DAAD, Berlin) states it, in the student's language (uz).
    assert result.description is not None
    assert "2-yanvar, 2027, 06:00 (Berlin vaqti)" in result.description
    assert result.reply_markup is not None
    [[button]] = result.reply_markup.inline_keyboard
    assert button.url == f"https://t.me/imkon_local_bot?start=c{call_id}"


async def test_results_come_twenty_at_a_time_with_the_next_offset(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    ids = [await add_call(app, title=f"Call {n}", deadline=NOW + days(n + 1)) for n in range(45)]
    first = await telegram.inline_query(student, "")
    assert [int(r.id) for r in articles(first)] == ids[:20] and first.next_offset == "20"
    second = await telegram.inline_query(student, "", offset="20")
    assert [int(r.id) for r in articles(second)] == ids[20:40] and second.next_offset == "40"
    third = await telegram.inline_query(student, "", offset="40")
    assert [int(r.id) for r in articles(third)] == ids[40:] and third.next_offset == ""
    searched = await telegram.inline_query(student, "call", offset="40")
    assert [int(r.id) for r in articles(searched)] == ids[40:] and searched.next_offset == ""
    beyond = await telegram.inline_query(student, "", offset="60")  # the catalogue shrank
    assert articles(beyond) == [] and beyond.next_offset == ""


@pytest.mark.parametrize("offset", ["abc", "-20", "7", "2000000", "２０", "20.0", " 20", "1e3"])
async def test_a_forged_offset_is_read_as_the_first_page(
    app: App, telegram: LocalTelegram, student: LocalUser, offset: str
) -> None:
    await clear_catalogue(app)
    ids = [await add_call(app, title=f"Call {n}", deadline=NOW + days(n + 1)) for n in range(25)]
    answer = await telegram.inline_query(student, "", offset=offset)
    assert [int(r.id) for r in articles(answer)] == ids[:20]
    assert answer.next_offset == "20"


async def test_answers_stay_within_telegram_limits(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    huge = {
        lang: CallText("Long <title> " * 80, "Summary & more " * 400)
        for lang in ("uz", "uz_Cyrl", "ru", "en")
    }
    for n in range(30):
        await add_call(app, deadline=NOW + days(n + 1), texts=huge)
    answer = await telegram.inline_query(student, "long")
    results = articles(answer)
    assert len(results) == 20
    for result in results:
        assert len(result.id.encode()) <= 64
        assert 0 < len(result.title) <= 100
        assert result.description is not None and len(result.description) <= 160
        assert len(card_of(result)) <= 4096
        assert "<title>" not in card_of(result)


async def test_a_card_sent_into_the_bots_own_chat_is_not_taken_for_a_search(
    catalogue: dict[str, int], telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    [result, *_rest] = articles(await telegram.inline_query(student, "agri"))
    requests = await telegram.send_inline_result(student, result)
    assert not [r for r in requests if isinstance(r, SendMessage)]


async def test_a_long_programme_name_still_fits_the_description(app: App) -> None:
    call = make_call(programme="Programme " * 40, deadline=NOW + days(3))
    with app.i18n.context(), app.i18n.use_locale("en"):
        description = result_description(call, "en", app.settings.tz)
    assert len(description) == DESCRIPTION_WIDTH and description.endswith("…")
