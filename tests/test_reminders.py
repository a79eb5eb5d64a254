"""Deadline reminders with a fake clock: the right local minute, quiet hours, moved
deadlines, closed calls, restarts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.db.calls import CallsRepo
from bot.db.outbox import OutboxRepo
from bot.domain.profile import CallStatus
from bot.domain.pushes import PushState
from bot.domain.reminders import QuietHours, reminder_moments
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from tests.conftest import NOW, TASHKENT, make_settings, onboard
from tests.support.factories import add_call, clear_catalogue

DEADLINE = datetime(2027, 1, 2, 18, 0, tzinfo=TASHKENT)  # 40 days after NOW


def at(day: str, hour: int, minute: int = 0) -> datetime:
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=TASHKENT)


def reminders_in(telegram: LocalTelegram, user: LocalUser) -> list[str]:
    return [m.text for m in telegram.transcript(user.id) if m.text.startswith("⏰")]


async def save_call(app: App, telegram: LocalTelegram, user: LocalUser, **kwargs) -> int:
    await clear_catalogue(app)
    kwargs.setdefault("deadline", DEADLINE)
    call_id = await add_call(app, title="EPOS Master", **kwargs)
    from bot.keyboards.applications import SaveCb

    await telegram.press_data(user, SaveCb(call_id=call_id, on=True).pack())
    return call_id


async def tick_at(app: App, clock: FakeClock, moment: datetime) -> None:
    clock.set(moment)
    await app.services.notifications.tick()


def test_reminders_fall_at_the_users_hour_and_never_in_quiet_hours() -> None:
    quiet = QuietHours(22, 8)
    moments = reminder_moments(DEADLINE, (30, 7, 1, 0), 10, quiet, TASHKENT)
    assert moments == {
        30: at("2026-12-03", 10),
        7: at("2026-12-26", 10),
        1: at("2027-01-01", 10),
        0: at("2027-01-02", 10),
    }
    # A deadline at 03:59 Tashkent (23:59 in Brussels): "on the day" moves to the day
    # before, where it meets "1 day before" — one reminder, not two.
    early = at("2027-01-16", 3, 59)
    assert reminder_moments(early, (1, 0), 10, quiet, TASHKENT) == {0: at("2027-01-15", 10)}
    # An hour inside quiet hours waits for the morning.
    assert reminder_moments(DEADLINE, (7,), 23, quiet, TASHKENT) == {7: at("2026-12-27", 8)}
    assert quiet.next_allowed(at("2026-12-01", 23, 30), TASHKENT) == at("2026-12-02", 8)
    assert quiet.next_allowed(at("2026-12-01", 3), TASHKENT) == at("2026-12-01", 8)
    assert quiet.next_allowed(at("2026-12-01", 8), TASHKENT) == at("2026-12-01", 8)


async def test_each_reminder_arrives_at_exactly_ten_oclock_tashkent_on_its_day(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    await save_call(app, telegram, student)
    expected = [
        (at("2026-12-03", 10), "30 days to the deadline"),
        (at("2026-12-26", 10), "7 days to the deadline"),
        (at("2027-01-01", 10), "Deadline tomorrow"),
        (at("2027-01-02", 10), "Deadline today"),
    ]
    for number, (moment, heading) in enumerate(expected, start=1):
        await tick_at(app, clock, moment - timedelta(minutes=1))
        assert len(reminders_in(telegram, student)) == number - 1
        await tick_at(app, clock, moment)
        sent = reminders_in(telegram, student)
        assert len(sent) == number
        assert heading in sent[-1]
    assert "Still to prepare" in sent[-1]
    await tick_at(app, clock, at("2027-01-03", 10))
    assert len(reminders_in(telegram, student)) == 4


async def test_a_reminder_carries_the_call_buttons_and_stop_works_in_one_tap(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    await save_call(app, telegram, student)
    await tick_at(app, clock, at("2026-12-03", 10))
    push = telegram.last_keyboard_message(student.id)
    labels = [b.text for b in push.buttons()]
    assert labels == ["📄 Open card", "🌐 Official page", "📋 Checklist", "🔕 Stop these reminders"]

    await telegram.press(student, "Stop these reminders")

    await tick_at(app, clock, at("2027-01-02", 10))
    assert len(reminders_in(telegram, student)) == 1


async def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(
    tmp_path: Path, session: LocalSession, student: LocalUser
) -> None:
    settings = make_settings(tmp_path, quiet_hours_start=9, quiet_hours_end=12)
    clock = FakeClock(NOW)
    app = await create_app(settings, clock=clock, session=session)
    telegram = LocalTelegram(app.bot, app.dispatcher, session)
    try:
        await onboard(telegram, student)
        await save_call(app, telegram, student)
        await tick_at(app, clock, at("2026-12-03", 11, 59))
        assert reminders_in(telegram, student) == []
        await tick_at(app, clock, at("2026-12-03", 12))
        assert len(reminders_in(telegram, student)) == 1
    finally:
        await app.close()


async def test_a_missed_reminder_is_deferred_out_of_the_night_and_sent_once(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    await save_call(app, telegram, student)
    # The bot was down from before the 10:00 reminder until 23:30.
    await tick_at(app, clock, at("2026-12-03", 23, 30))
    assert reminders_in(telegram, student) == []
    await tick_at(app, clock, at("2026-12-04", 7, 59))
    assert reminders_in(telegram, student) == []
    await tick_at(app, clock, at("2026-12-04", 8))
    assert len(reminders_in(telegram, student)) == 1
    await tick_at(app, clock, at("2026-12-04", 9))
    assert len(reminders_in(telegram, student)) == 1


async def test_a_moved_deadline_moves_the_pending_reminders(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    call_id = await save_call(app, telegram, student)
    calls = CallsRepo(app.db)
    call = await calls.get(call_id)
    new_deadline = DEADLINE + timedelta(days=10)

    await calls.save(replace(call, deadline_at=new_deadline), clock.now())
    await app.services.notifications.call_changed(call_id)

    pending = await OutboxRepo(app.db).pending_for(student.id, call_id, "reminder")
    assert sorted(p.due_at for p in pending) == [
        at("2026-12-13", 10),
        at("2027-01-05", 10),
        at("2027-01-11", 10),
        at("2027-01-12", 10),
    ]
    await tick_at(app, clock, at("2026-12-03", 10))
    assert reminders_in(telegram, student) == []
    await tick_at(app, clock, at("2026-12-13", 10))
    assert "30 days to the deadline" in reminders_in(telegram, student)[0]


async def test_closing_a_call_cancels_its_reminders(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    call_id = await save_call(app, telegram, student)

    await CallsRepo(app.db).set_status(call_id, CallStatus.CLOSED, clock.now())
    await app.services.notifications.call_changed(call_id)

    states = {p.state for p in await OutboxRepo(app.db).list(user_id=student.id)}
    assert states == {PushState.CANCELLED}
    await tick_at(app, clock, at("2027-01-02", 10))
    assert reminders_in(telegram, student) == []


async def test_a_restart_on_the_same_database_neither_drops_nor_repeats_a_reminder(
    tmp_path: Path, student: LocalUser
) -> None:
    settings = make_settings(tmp_path)
    clock = FakeClock(NOW)
    first_session = LocalSession()
    app = await create_app(settings, clock=clock, session=first_session)
    telegram = LocalTelegram(app.bot, app.dispatcher, first_session)
    await onboard(telegram, student)
    await save_call(app, telegram, student)
    await tick_at(app, clock, at("2026-12-03", 10))
    assert len(reminders_in(telegram, student)) == 1
    await app.close()

    # Down from before the 7-day reminder until the 1-day one is also due: one reminder
    # (the nearer) goes out after the restart, not two, and not the 30-day one again.
    clock.set(at("2027-01-01", 10, 30))
    second_session = LocalSession()
    app = await create_app(settings, clock=clock, session=second_session)
    try:
        await app.services.notifications.tick()
        texts = [r.text for r in second_session.requests if hasattr(r, "text") and r.text]
        assert len(texts) == 1 and "Deadline tomorrow" in texts[0]
        await app.services.notifications.tick()
        assert len([r for r in second_session.requests if getattr(r, "text", None)]) == 1
    finally:
        await app.close()

    third_session = LocalSession()
    app = await create_app(settings, clock=clock, session=third_session)
    try:
        await tick_at(app, clock, at("2027-01-02", 10))
        texts = [r.text for r in third_session.requests if getattr(r, "text", None)]
        assert len(texts) == 1 and "Deadline today" in texts[0]
    finally:
        await app.close()


async def test_no_reminder_after_the_deadline_has_passed(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    await save_call(app, telegram, student)
    await tick_at(app, clock, DEADLINE + timedelta(hours=1))
    assert reminders_in(telegram, student) == []


async def test_the_nightly_clean_up_gives_up_on_pushes_of_a_student_gone_for_weeks(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    from bot.db.users import UsersRepo

    await onboard(telegram, student)
    await save_call(app, telegram, student)
    await UsersRepo(app.db).set_active(student.id, False)
    clock.set(at("2027-02-15", 4, 30))

    await app.services.notifications.cleanup()

    states = {p.state for p in await OutboxRepo(app.db).list(user_id=student.id)}
    assert PushState.PENDING not in states
