"""Stories of /broadcast: audience, preview, confirm, pause/resume/cancel, restarts, report."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from aiogram.methods import CopyMessage, EditMessageText

from bot.app import create_app
from bot.clock import FakeClock
from bot.db.users import UsersRepo
from bot.domain.profile import Field, Level
from bot.domain.pushes import PushState
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, NOW, make_settings


async def population(app, ids=range(1, 6)) -> None:
    users = UsersRepo(app.db)
    now = app.clock.now()
    people = {
        # id: language, level, fields, blocked, days since last seen
        1: ("uz", Level.MASTER, Field.ICT.bit, False, 1),
        2: ("uz", Level.MASTER, Field.ICT.bit | Field.HEALTH.bit, False, 40),
        3: ("ru", Level.BACHELOR, Field.HEALTH.bit, True, 2),
        4: ("uz_Cyrl", Level.DOCTORAL, Field.ENGINEERING.bit, False, 0),
        5: ("en", None, 0, False, 100),
    }
    for uid in ids:
        language, level, fields, blocked, days = people.get(uid, ("en", None, 0, False, 0))
        await users.touch(uid, f"U{uid}", None, "uz", now - timedelta(days=days))
        await users.update(uid, language=language, level=level, fields_mask=fields)
        if blocked:
            await users.set_active(uid, False)


def copies(session: LocalSession) -> list[CopyMessage]:
    return [r for r in session.requests if isinstance(r, CopyMessage)]


async def prepare(telegram, admin, text="Deadline news <b>today</b>") -> None:
    await telegram.send(admin, "/broadcast")
    await telegram.send(admin, text)


async def count_for(telegram, admin, *labels: str) -> int:
    for label in labels:
        await telegram.press(admin, label)
    text = telegram.last_bot_text(admin.id)
    assert "Recipients:" in text, text
    return int(text.split("Recipients:")[1].split()[0])


async def test_a_student_cannot_broadcast_by_command_or_by_a_forged_button(
    app, telegram, student, session
):
    await population(app)
    await telegram.send(student, "/broadcast")
    refusal = telegram.last_bot_text(student.id)
    await telegram.press_data(student, "admb:confirm::0")
    await telegram.press_data(student, "admb:pause::1")
    assert copies(session) == []
    rows = await app.db.fetchval("SELECT COUNT(*) FROM access_denials")
    assert rows >= 3
    assert "Send me the message" not in refusal


async def test_segment_counts_only_active_users(app, telegram, admin, clock):
    await population(app)
    await speaks_english(app, admin)  # the admin: active, English, seen now
    await app.db.execute(
        "INSERT INTO notify_prefs (user_id, reminder_days, send_hour, subscribed)"
        " VALUES (1, '7,1', 9, 1), (3, '7,1', 9, 1), (4, '7,1', 9, 0)"
    )
    counts = {}
    for labels in (
        ("👥 Everyone",),
        ("🌐 By language", "🇺🇿 O‘zbekcha"),
        ("🌐 By language", "🇷🇺 Русский"),
        ("🎓 By level", "Master's"),
        ("📚 By field", "Health and welfare"),
        ("⏱ Active recently", "7 days"),
        ("⏱ Active recently", "90 days"),
        ("🔔 Subscribers",),
    ):
        await prepare(telegram, admin)
        counts[labels[-1]] = await count_for(telegram, admin, *labels)
    assert counts == {
        "👥 Everyone": 5,  # 1, 2, 4, 5 and the admin; 3 blocked
        "🇺🇿 O‘zbekcha": 2,
        "🇷🇺 Русский": 0,
        "Master's": 2,
        "Health and welfare": 1,
        "7 days": 3,  # 1, 4, admin
        "90 days": 4,
        "🔔 Subscribers": 1,  # 3 subscribed but blocked
    }


async def test_nothing_goes_out_before_confirm_and_each_recipient_gets_one_copy(
    app, telegram, admin, session, clock
):
    await population(app)
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    assert await count_for(telegram, admin, "👥 Everyone") == 5
    # only the preview, to the admin
    assert [int(c.chat_id) for c in copies(session)] == [ADMIN_ID]
    await app.services.delivery.run_due()
    assert len(copies(session)) == 1
    await telegram.press(admin, "✅ Confirm and send")
    await app.services.delivery.run_due()
    received = Counter(int(c.chat_id) for c in copies(session)[1:])
    assert received == Counter({1: 1, 2: 1, 4: 1, 5: 1, ADMIN_ID: 1})
    assert all(c.allow_paid_broadcast is None for c in copies(session))
    await app.services.broadcasts.refresh_progress()
    assert "finished" in telegram.last_bot_text(admin.id)
    assert "Sent: 5" in telegram.last_bot_text(admin.id)


async def test_an_audience_larger_than_one_page_is_enqueued_page_by_page_each_user_once(
    app, telegram, admin, session, monkeypatch
):
    monkeypatch.setattr("bot.services.broadcasts.ENQUEUE_BATCH", 3)
    await population(app, ids=range(1, 12))  # 3 is blocked, the others speak en or uz
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    assert await count_for(telegram, admin, "👥 Everyone") == 11
    await telegram.press(admin, "✅ Confirm and send")
    await app.services.delivery.run_due()
    received = Counter(int(c.chat_id) for c in copies(session)[1:])
    assert received == Counter({u: 1 for u in (1, 2, 4, 5, 6, 7, 8, 9, 10, 11, ADMIN_ID)})
    # a filtered segment pages with its own parameters too: en speakers 5..11 and the admin
    await prepare(telegram, admin, "Second")
    assert await count_for(telegram, admin, "🌐 By language", "🇬🇧 English") == 8
    await telegram.press(admin, "✅ Confirm and send")
    await app.services.delivery.run_due()
    second = Counter(int(c.chat_id) for c in copies(session)[13:])  # [12] is the preview
    assert second == Counter({u: 1 for u in (5, 6, 7, 8, 9, 10, 11, ADMIN_ID)})


async def start_big_broadcast(app, telegram, admin, n=60):
    await population(app, ids=range(1000, 1000 + n))
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    await count_for(telegram, admin, "👥 Everyone")
    await telegram.press(admin, "✅ Confirm and send")
    job_id = await app.db.fetchval("SELECT MAX(id) FROM delivery_jobs")
    return job_id


async def test_pause_stops_sending_and_resume_continues(app, telegram, admin, session, clock):
    job_id = await start_big_broadcast(app, telegram, admin)
    delivery = app.services.delivery
    await telegram.press(admin, "⏸ Pause")
    stats = await delivery.run_due()
    assert stats.sent == 0
    assert len(copies(session)) == 1  # the preview only
    await app.services.broadcasts.refresh_progress()
    assert "paused" in telegram.last_bot_text(admin.id)
    clock.advance(hours=1)
    assert (await delivery.run_due()).sent == 0
    await telegram.press(admin, "▶️ Resume")
    await delivery.run_due()
    counts = await delivery.job_counts(job_id)
    assert counts[PushState.SENT] == 61
    assert len(copies(session)) == 62


async def test_cancel_stops_the_broadcast(app, telegram, admin, session):
    job_id = await start_big_broadcast(app, telegram, admin)
    delivery = app.services.delivery
    await telegram.press(admin, "⏹ Cancel the broadcast")
    await delivery.run_due()
    counts = await delivery.job_counts(job_id)
    assert counts.get(PushState.SENT, 0) == 0
    assert counts[PushState.CANCELLED] == 61
    assert len(copies(session)) == 1
    assert "finished" in telegram.last_bot_text(admin.id)


async def test_the_final_report_gives_counts_and_failure_reasons(app, telegram, admin, session):
    await population(app)
    await speaks_english(app, admin)
    session.fail_next(LocalSession.blocked(), chat_id=4)
    await prepare(telegram, admin)
    await count_for(telegram, admin, "👥 Everyone")
    await telegram.press(admin, "✅ Confirm and send")
    await app.services.delivery.run_due()
    await app.services.broadcasts.refresh_progress()
    report = telegram.last_bot_text(admin.id)
    assert "Sent: 4" in report and "failed: 1" in report
    assert "4: Forbidden: bot was blocked by the user" in report
    edits = [r for r in session.requests if isinstance(r, EditMessageText)]
    assert edits  # the progress message itself shows the report too


async def test_paid_broadcast_setting_marks_the_copies(tmp_path: Path):
    settings = make_settings(tmp_path, allow_paid_broadcast=True)
    clock = FakeClock(NOW)
    session = LocalSession()
    app = await create_app(settings, clock=clock, session=session)
    try:
        telegram = LocalTelegram(app.bot, app.dispatcher, session)
        admin = LocalUser(ADMIN_ID, "Admin", language_code="en")
        await population(app)
        await speaks_english(app, admin)
        await prepare(telegram, admin)
        await count_for(telegram, admin, "👥 Everyone")
        await telegram.press(admin, "✅ Confirm and send")
        await app.services.delivery.run_due()
        assert app.services.delivery.limiter.interval == 1 / 1000
        assert all(c.allow_paid_broadcast for c in copies(session)[1:])
    finally:
        await app.close()


async def test_a_killed_broadcast_resumes_in_a_new_app_and_reaches_everyone_once(
    tmp_path: Path,
):
    settings = make_settings(tmp_path)
    clock = FakeClock(NOW)
    first = LocalSession()
    app = await create_app(settings, clock=clock, session=first)
    telegram = LocalTelegram(app.bot, app.dispatcher, first)
    admin = LocalUser(ADMIN_ID, "Admin", language_code="en")
    job_id = await start_big_broadcast(app, telegram, admin, n=200)
    delivery = app.services.delivery
    run = asyncio.create_task(delivery.run_due())

    def kill_after_80(method, result) -> None:
        if isinstance(method, CopyMessage) and len(copies(first)) == 81:
            run.cancel()

    first.listeners.append(kill_after_80)
    try:
        await run
    except asyncio.CancelledError:
        pass
    await app.close()

    second = LocalSession(first.telegram)  # a new process, the same Telegram
    app = await create_app(settings, clock=clock, session=second)
    try:
        await app.services.delivery.run_due()
        await app.services.broadcasts.refresh_progress()
        counts = await app.services.delivery.job_counts(job_id)
    finally:
        await app.close()
    received = Counter(int(c.chat_id) for c in copies(first)[1:] + copies(second))
    expected = [*range(1000, 1200), ADMIN_ID]
    assert [u for u in expected if received[u] == 0] == []
    assert sum(n - 1 for n in received.values() if n > 1) <= 1
    assert counts[PushState.SENT] == 201
    assert any(isinstance(r, EditMessageText) and "finished" in r.text for r in second.requests)


async def test_programme_segment_counts_facet_and_saved_calls(app, telegram, admin):
    await population(app)
    await speaks_english(app, admin)
    programmes = await app.repos.calls.programmes()
    daad = next(p for p in programmes if p.code == "daad")
    await UsersRepo(app.db).update(1, facet_programme="daad")
    call = next(c for c in await app.repos.calls.list_all() if c.programme.code == daad.code)
    now = int(app.clock.now().timestamp())
    for uid in (2, 3):  # 3 is blocked: not counted
        await app.db.execute(
            "INSERT INTO saved_calls (user_id, call_id, saved_at) VALUES (?, ?, ?)",
            (uid, call.id, now),
        )
    await prepare(telegram, admin)
    assert await count_for(telegram, admin, "🏛 By programme", daad.name) == 2


async def test_a_sticker_is_not_accepted_as_the_broadcast(app, telegram, admin):
    await speaks_english(app, admin)
    await telegram.send(admin, "/broadcast")
    await telegram.send(
        admin,
        "",
        sticker={
            "file_id": "x",
            "file_unique_id": "x",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert "Please send text, a photo or a document" in telegram.last_bot_text(admin.id)


async def test_a_broadcast_message_deleted_before_the_preview_is_asked_for_again(
    app, telegram, admin, session
):
    await population(app)
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    original = next(m for m in reversed(telegram.transcript(admin.id)) if not m.from_bot)
    original.deleted = True  # the admin deleted it in Telegram

    answers = await telegram.press(admin, "Everyone")

    texts = [getattr(m, "text", "") or "" for m in answers]
    assert any("The message to broadcast is gone" in t for t in texts)
    assert not any("Sorry, something went wrong" in t for t in texts)
    await telegram.send(admin, "Deadline news, again")  # taken as the new message
    assert await count_for(telegram, admin, "Everyone") > 0
