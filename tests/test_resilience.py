"""Whatever the student sends, the bot answers kindly and keeps working."""

from __future__ import annotations

import logging

import pytest
from aiogram.methods import SendMessage, SetMyCommands

from bot.app import App
from bot.commands import register_commands
from bot.db.calls import CallsRepo
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from tests.conftest import NOW, onboard
from tests.support.factories import add_call, clear_catalogue, days


async def test_an_unknown_command_gets_help(telegram: LocalTelegram, student: LocalUser) -> None:
    await onboard(telegram, student)
    requests = await telegram.send(student, "/launch_rockets")
    assert "don't know this command" in requests[-1].text


async def test_a_sticker_or_photo_gets_a_short_answer(
    telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    requests = await telegram.send_sticker_like(student)
    assert "I read text and buttons" in requests[-1].text
    requests = await telegram.send_photo(student, caption="")
    assert "I read text and buttons" in requests[-1].text


async def test_an_unexpected_error_is_logged_and_the_student_is_told(
    telegram: LocalTelegram,
    student: LocalUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await onboard(telegram, student)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(CallsRepo, "find", broken)
    with caplog.at_level(logging.ERROR):
        requests = await telegram.send(student, "/calls")
    assert "something went wrong" in requests[-1].text
    assert "database on fire" in caplog.text


async def test_a_long_card_is_split_under_telegrams_limit(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    from bot.domain.calls import CallText

    await clear_catalogue(app)
    long_summary = "\n".join("Paragraph with details. " * 12 for _ in range(25))
    texts = {
        lang: CallText("Very long call", long_summary) for lang in ("uz", "uz_Cyrl", "ru", "en")
    }
    await add_call(app, title="Very long call", deadline=NOW + days(20), texts=texts)
    await onboard(telegram, student)
    requests = await telegram.press(student, "Very long call")
    sent = [r for r in requests if isinstance(r, SendMessage)]
    assert len(sent) >= 2
    assert all(len(r.text) <= 4096 for r in sent)
    assert sent[-1].reply_markup is not None  # the buttons come with the last part


async def test_start_up_survives_a_failing_set_my_commands(
    app: App, session: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    session.fail_next(LocalSession.bad_request("too many commands"), method=SetMyCommands)
    with caplog.at_level(logging.WARNING):
        await register_commands(app.bot, app.i18n, "uz")
    assert "could not register bot commands" in caplog.text


async def test_commands_are_registered_in_every_language(app: App, session: LocalSession) -> None:
    await register_commands(app.bot, app.i18n, "uz")
    calls = [r for r in session.requests if isinstance(r, SetMyCommands)]
    by_language = {c.language_code: c for c in calls}
    assert set(by_language) == {None, "uz", "ru", "en"}
    assert by_language["ru"].commands[0].description != by_language["en"].commands[0].description


async def test_a_restart_keeps_the_profile_and_the_conversation(
    settings, clock, student: LocalUser
) -> None:
    from bot.app import create_app

    first = await create_app(settings, clock=clock, session=LocalSession())
    telegram = LocalTelegram(first.bot, first.dispatcher, first.bot.session)
    await telegram.send(student, "/start")
    await telegram.press(student, "English")
    await first.close()

    second = await create_app(settings, clock=clock, session=LocalSession())
    telegram = LocalTelegram(second.bot, second.dispatcher, second.bot.session)
    # The level keyboard was sent by the old process; pressing it still works.
    await telegram.press_data(student, "lvl:master")
    assert "Which fields interest you" in telegram.last_bot_text(student.id)
    await second.close()
