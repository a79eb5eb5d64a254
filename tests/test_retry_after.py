"""Telegram's 429 while the bot answers someone: a short wait goes unnoticed, a long one tells
the person when to try again and keeps where they were."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from aiogram.methods import AnswerCallbackQuery, CopyMessage, SendMessage

from bot.clock import FakeClock
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, onboard
from tests.test_admin_broadcast import copies, count_for, population, prepare

APOLOGY = "went wrong"
HELP = "How Imkon helps"


def bot_texts(telegram: LocalTelegram, chat_id: int) -> list[str]:
    return [m.text for m in telegram.transcript(chat_id) if m.from_bot]


async def test_a_short_wait_on_a_reply_is_slept_off_and_the_answer_arrives(
    telegram: LocalTelegram,
    student: LocalUser,
    session: LocalSession,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await onboard(telegram, student)
    session.fail_next(LocalSession.retry_after(3), method=SendMessage, chat_id=student.id)
    before = clock.now()
    with caplog.at_level(logging.INFO):
        sent = await telegram.send(student, "/help")
    assert HELP in telegram.last_bot_text(student.id)
    assert not any(APOLOGY in t for t in bot_texts(telegram, student.id))
    assert [type(r) for r in sent] == [SendMessage, SendMessage]  # refused once, then sent
    assert clock.now() - before >= timedelta(seconds=3)  # the fake clock, not a real sleep
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_long_wait_on_a_reply_says_when_to_try_again(
    telegram: LocalTelegram, student: LocalUser, session: LocalSession, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    session.fail_next(LocalSession.retry_after(90), method=SendMessage, chat_id=student.id)
    before = clock.now()
    await telegram.send(student, "/help")
    text = telegram.last_bot_text(student.id)
    assert "try again in 2 minutes, at 10:01" in text  # NOW is 10:00 in Tashkent
    assert not any(APOLOGY in t for t in bot_texts(telegram, student.id))
    assert clock.now() == before  # nobody waited 90 s inside a handler


async def test_the_wait_notice_speaks_the_students_language(
    telegram: LocalTelegram, student: LocalUser, session: LocalSession
) -> None:
    await onboard(telegram, student, language="Русский", level="Магистратура", fields=("ИКТ",))
    session.fail_next(LocalSession.retry_after(30), method=SendMessage, chat_id=student.id)
    await telegram.send(student, "/help")
    assert "10:00" in telegram.last_bot_text(student.id)
    assert "минут" in telegram.last_bot_text(student.id)


async def test_a_short_wait_on_the_broadcast_preview_goes_unnoticed(
    app, telegram: LocalTelegram, admin: LocalUser, session: LocalSession
) -> None:
    await population(app)
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    session.fail_next(LocalSession.retry_after(5), method=CopyMessage)
    assert await count_for(telegram, admin, "👥 Everyone") == 5
    assert [int(c.chat_id) for c in copies(session)] == [ADMIN_ID, ADMIN_ID]
    await telegram.press(admin, "✅ Confirm and send")
    assert "Broadcast" in telegram.last_bot_text(admin.id)


async def test_a_long_wait_on_the_broadcast_preview_keeps_the_buttons_and_the_message(
    app, telegram: LocalTelegram, admin: LocalUser, session: LocalSession, clock: FakeClock
) -> None:
    await population(app)
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    session.fail_next(LocalSession.retry_after(600), method=CopyMessage)
    sent = await telegram.press(admin, "👥 Everyone")
    alerts = [r for r in sent if isinstance(r, AnswerCallbackQuery) and r.text]
    assert alerts and "try again in 10 minutes" in alerts[0].text
    texts = bot_texts(telegram, admin.id)
    assert not any(APOLOGY in t for t in texts)
    assert not any("Preview of the broadcast" in t for t in texts)
    assert "try again in 10 minutes, at 10:10" in texts[-1]
    # Ten minutes later the same button works: the message to broadcast was not forgotten.
    clock.advance(minutes=10)
    assert await count_for(telegram, admin, "👥 Everyone") == 5
    await telegram.press(admin, "✅ Confirm and send")
    await app.services.delivery.run_due()
    assert len(copies(session)) == 1 + 1 + 5  # the refused preview, the preview, five copies
