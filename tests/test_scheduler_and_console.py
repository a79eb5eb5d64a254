"""The scheduler's jobs, and the console user who moves the clock to get reminders."""

from __future__ import annotations

import io
from pathlib import Path

from bot.app import create_app
from bot.clock import FakeClock
from bot.console import Console, OffsetClock
from bot.fake_telegram import LocalSession
from bot.runners.polling import sender_duties
from bot.services.scheduler import (
    BROADCAST_PROGRESS_JOB,
    CLEANUP_JOB,
    DIGEST_JOB,
    DISPATCH_JOB,
    EXPIRY_JOB,
    SOURCE_WATCH_JOB,
    console_tick,
    register_jobs,
)
from tests.conftest import NOW, make_settings


async def test_the_running_bot_schedules_every_job_once_under_a_fixed_id(
    tmp_path: Path,
) -> None:
    from bot.services.tickets import REANNOUNCE_JOB_ID

    app = await create_app(make_settings(tmp_path), clock=FakeClock(NOW), session=LocalSession())
    scheduler = app.scheduler
    expected = sorted(
        [
            DISPATCH_JOB,
            DIGEST_JOB,
            CLEANUP_JOB,
            BROADCAST_PROGRESS_JOB,
            REANNOUNCE_JOB_ID,
            EXPIRY_JOB,
            SOURCE_WATCH_JOB,
        ]
    )
    duties = sender_duties(app)
    try:
        await duties.start()
        assert scheduler.running
        assert sorted(job.id for job in scheduler.get_jobs()) == expected
        # Registered again on the running scheduler (a restart in one process): the jobs are
        # replaced, still one per id.
        register_jobs(scheduler, app.settings, app.bot, app.services)
        assert sorted(job.id for job in scheduler.get_jobs()) == expected
    finally:
        await duties.stop(0)
        await app.close()
    assert not scheduler.running


async def test_a_console_user_saves_ticks_downloads_the_ics_and_gets_reminders_by_moving_time(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    session = LocalSession()
    clock = OffsetClock(FakeClock(NOW))
    app = await create_app(settings, clock=clock, session=session)
    out = io.StringIO()
    console = Console(app, session, clock, out=out, on_tick=console_tick(app))
    lines = [
        "/start",
        "4",  # English
        "2",  # Master's
        "8",  # ICT
        "13",  # Done
        "/calls",
        "1",  # El-Yurt Umidi master's, deadline 25 July 2027 23:59 Tashkent
        "3",  # ⭐ Save (after 🌐 Official page and 📤 Share)
        "5",  # 📋 Checklist 0/7
        "1",  # ✅ Application form
        "8",  # back to the call
        "6",  # 📅 Add to calendar
        ":time +214d",  # 25 June 2027, 10:00 Tashkent: 30 days before
        ":time +23d",  # 18 July: 7 days before
    ]
    try:
        await console.run(iter(lines))
    finally:
        await app.close()
    text = out.getvalue()
    assert "Saved to My applications" in text
    assert "Ready: 1/7" in text
    assert "bot sent a document imkon-deadline-" in text
    assert "30 days to the deadline" in text
    assert "7 days to the deadline" in text
    assert text.count("Still to prepare: Passport") == 2
