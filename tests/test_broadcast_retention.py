"""Stories of a broadcast's retention: once a broadcast finished, its figures are kept on the
job and its outbox rows (one per recipient) are purged by the nightly clean-up after
BROADCAST_KEEP_DAYS; the admin's report and /stats show the same figures as before."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import timedelta
from pathlib import Path

from bot.app import App, create_app
from bot.clock import FakeClock, to_epoch
from bot.config import PROJECT_ROOT
from bot.db.connection import open_database
from bot.db.migrate import apply_migrations, migration_files
from bot.db.outbox import OutboxRepo
from bot.domain.pushes import NewPush, PushState
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, NOW, make_settings
from tests.test_admin_broadcast import count_for, population, prepare

KEEP = timedelta(days=30)  # BROADCAST_KEEP_DAYS by default
NIGHT = timedelta(days=1)


async def rows_of(app: App, job_id: int) -> int:
    return await app.db.fetchval("SELECT count(*) FROM outbox WHERE job_id = ?", (job_id,))


async def broadcast_with_one_blocked(app: App, telegram: LocalTelegram, admin, session) -> int:
    """To everyone: users 1, 2, 4, 5 and the admin (3 blocked the bot long ago); 4 blocks it
    meanwhile, so four are sent and one fails."""
    await population(app)
    await speaks_english(app, admin)
    session.fail_next(LocalSession.blocked(), chat_id=4)
    await prepare(telegram, admin)
    await count_for(telegram, admin, "👥 Everyone")
    await telegram.press(admin, "✅ Confirm and send")
    await app.services.delivery.run_due()
    return await app.db.fetchval("SELECT max(id) FROM delivery_jobs")


async def stats_broadcast_lines(telegram: LocalTelegram, admin) -> list[str]:
    await telegram.send(admin, "/stats")
    return [line for line in telegram.last_bot_text(admin.id).splitlines() if "Broadcast #" in line]


async def stats_csv_broadcast_rows(telegram: LocalTelegram, admin) -> list[list[str]]:
    await telegram.press(admin, "CSV")
    document = [m for m in telegram.transcript(admin.id) if m.kind == "document"][-1]
    rows = csv.reader(io.StringIO(document.file_content.decode("utf-8-sig")))
    return [row for row in rows if row[0] == "broadcast"]


async def test_stats_show_the_same_broadcast_figures_after_its_rows_are_purged(
    app, telegram, admin, session, clock
):
    job_id = await broadcast_with_one_blocked(app, telegram, admin, session)
    await app.services.broadcasts.refresh_progress()
    lines_before = await stats_broadcast_lines(telegram, admin)
    csv_before = await stats_csv_broadcast_rows(telegram, admin)
    assert len(lines_before) == 1 and "sent 4, failed 1, left 0" in lines_before[0]
    assert [f"#{job_id} failed", "1"] in [row[1:3] for row in csv_before]

    clock.advance(days=KEEP.days - 1)
    await app.services.notifications.cleanup()
    assert await rows_of(app, job_id) == 5  # not yet: kept BROADCAST_KEEP_DAYS
    clock.advance(days=2)
    await app.services.notifications.cleanup()
    assert await rows_of(app, job_id) == 0

    assert await stats_broadcast_lines(telegram, admin) == lines_before
    assert await stats_csv_broadcast_rows(telegram, admin) == csv_before


async def _report_in_a_fresh_app(tmp_path: Path, *, purged_before_reporting: bool) -> str:
    settings = make_settings(tmp_path)
    clock = FakeClock(NOW)
    session = LocalSession()
    app = await create_app(settings, clock=clock, session=session)
    try:
        telegram = LocalTelegram(app.bot, app.dispatcher, session)
        admin = LocalUser(ADMIN_ID, "Admin", language_code="en")
        job_id = await broadcast_with_one_blocked(app, telegram, admin, session)
        if purged_before_reporting:
            # The bot stopped before its next progress refresh and came back weeks later:
            # the nightly clean-up ran before the report was given.
            clock.advance(days=KEEP.days + 2)
            await app.services.notifications.cleanup()
            assert await rows_of(app, job_id) == 0
        await app.services.broadcasts.refresh_progress()
        return telegram.last_bot_text(admin.id)
    finally:
        await app.close()


async def test_a_report_given_after_the_purge_has_the_figures_of_before(tmp_path: Path):
    at_once = await _report_in_a_fresh_app(tmp_path / "a", purged_before_reporting=False)
    after_purge = await _report_in_a_fresh_app(tmp_path / "b", purged_before_reporting=True)
    assert "Sent: 4 · failed: 1 · skipped: 0 · cancelled: 0" in at_once
    assert "4: Forbidden: bot was blocked by the user" in at_once
    # the same title and figures; who failed went with the purged rows
    assert after_purge.splitlines() == at_once.splitlines()[:2]


async def test_a_running_broadcast_is_neither_purged_nor_reported_by_the_clean_up(
    app, telegram, admin, session, clock
):
    await population(app, ids=range(1000, 1030))
    await speaks_english(app, admin)
    await prepare(telegram, admin)
    await count_for(telegram, admin, "👥 Everyone")
    await telegram.press(admin, "✅ Confirm and send")
    job_id = await app.db.fetchval("SELECT max(id) FROM delivery_jobs")
    await telegram.press(admin, "⏸ Pause")
    clock.advance(days=KEEP.days * 3)
    await app.services.notifications.cleanup()
    assert await rows_of(app, job_id) == 31
    await app.services.broadcasts.refresh_progress()
    assert "paused" in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "▶️ Resume")
    await app.services.delivery.run_due()
    await app.services.broadcasts.refresh_progress()
    assert "Sent: 31" in telegram.last_bot_text(admin.id)


# -- a database that had broadcasts before migration 0016 ----------------------------------


async def _database_before_0016(path: Path, now) -> int:
    """A database at 0013 with one broadcast finished and reported 60 days ago."""
    old = path.parent / "migrations-before-0016"
    old.mkdir()
    for file in migration_files(PROJECT_ROOT / "migrations"):
        if file.name < "0016":
            shutil.copy(file, old)
    db = await open_database(path)
    try:
        await apply_migrations(db, old)
        then = to_epoch(now - timedelta(days=60))
        job_id = await db.execute(
            "INSERT INTO delivery_jobs (kind, created_by, payload, created_at)"
            " VALUES ('broadcast', ?, ?, ?)",
            (ADMIN_ID, json.dumps({"total": 4, "reported": 1, "locale": "en"}), then),
        )
        for user_id, state, reason in (
            (1, "sent", None),
            (2, "sent", None),
            (3, "failed", "Forbidden: bot was blocked by the user"),
            (4, "cancelled", "cancelled by an admin"),
        ):
            await db.execute(
                "INSERT INTO outbox (user_id, kind, slot, job_id, due_at, state, reason,"
                " created_at, updated_at, sent_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (user_id, "broadcast", job_id, job_id, then, state, reason, then, then, then),
            )
        return job_id
    finally:
        await db.close()


async def test_a_broadcast_finished_before_the_upgrade_keeps_its_figures_through_the_first_purge(
    tmp_path: Path,
):
    settings = make_settings(tmp_path)
    clock = FakeClock(NOW)
    job_id = await _database_before_0016(settings.database_path, clock.now())
    session = LocalSession()
    app = await create_app(settings, clock=clock, session=session)  # migrates to 0016
    try:
        telegram = LocalTelegram(app.bot, app.dispatcher, session)
        admin = LocalUser(ADMIN_ID, "Admin", language_code="en")
        await speaks_english(app, admin)
        before = await stats_broadcast_lines(telegram, admin)
        assert len(before) == 1 and "sent 2, failed 1, left 0" in before[0]

        await app.services.notifications.cleanup()  # the first night after the upgrade

        assert await rows_of(app, job_id) == 0
        assert await stats_broadcast_lines(telegram, admin) == before
    finally:
        await app.close()


# -- the purge rule, at the repository -------------------------------------------------------


async def _job(app: App, users: range, *, total: bool = True) -> int:
    outbox = OutboxRepo(app.db)
    now = app.clock.now()
    job_id = await outbox.create_job("broadcast", ADMIN_ID, {"locale": "en"}, now)
    await outbox.add(
        (NewPush(user_id=u, kind="broadcast", due_at=now, slot=job_id) for u in users),
        now,
        job_id=job_id,
    )
    if total:
        await app.services.broadcasts.repo.update_payload(job_id, total=len(users))
    return job_id


async def _finish_every_push(app: App, job_id: int, state: PushState) -> None:
    outbox = OutboxRepo(app.db)
    for push in await outbox.list(job_id=job_id):
        if state is PushState.SENT:
            await outbox.mark_sent(push.id, app.clock.now())
        else:
            await outbox.finish(push.id, state, "Forbidden: bot was blocked", app.clock.now())


async def test_purge_deletes_a_finished_jobs_rows_only_after_the_retention(app, clock, monkeypatch):
    monkeypatch.setattr("bot.db.outbox.PURGE_BATCH", 2)  # 3 rows: two batches
    outbox = OutboxRepo(app.db)
    job_id = await _job(app, range(1, 4))
    await _finish_every_push(app, job_id, PushState.SENT)
    finished_at = clock.now()
    clock.advance(days=10)
    assert await outbox.purge_finished(clock.now() - KEEP * 10, finished_at) == 0
    assert await rows_of(app, job_id) == 3
    assert await outbox.purge_finished(clock.now() - KEEP * 10, finished_at + NIGHT) == 3
    assert await rows_of(app, job_id) == 0
    finished = await outbox.finished_job(job_id)
    assert finished is not None and finished.counts[PushState.SENT] == 3


async def test_purge_never_touches_a_job_with_a_push_left_to_send(app, clock):
    outbox = OutboxRepo(app.db)
    job_id = await _job(app, range(1, 4))
    first = (await outbox.list(job_id=job_id))[0]
    await outbox.mark_sent(first.id, clock.now())
    second = (await outbox.list(job_id=job_id))[1]
    assert await outbox.claim(second.id, clock.now())  # being sent right now
    clock.advance(days=KEEP.days * 20)
    assert await outbox.purge_finished(clock.now(), clock.now()) == 0
    assert await rows_of(app, job_id) == 3
    assert await outbox.finished_job(job_id) is None


async def test_a_job_still_being_enqueued_is_not_finished_in_its_first_day(app, clock):
    """Between creating the job and adding its first pushes, nothing is pending yet."""
    outbox = OutboxRepo(app.db)
    job_id = await _job(app, range(0), total=False)
    assert await outbox.finish_jobs(clock.now(), job_id) == 0
    clock.advance(hours=23)
    assert await outbox.finish_jobs(clock.now(), job_id) == 0
    clock.advance(hours=2)  # whoever was adding its pushes died a day ago
    assert await outbox.finish_jobs(clock.now(), job_id) == 1


async def test_stored_figures_survive_a_restart_between_storing_and_purging(app, clock):
    outbox = OutboxRepo(app.db)
    job_id = await _job(app, range(1, 6))
    await _finish_every_push(app, job_id, PushState.FAILED)
    assert await outbox.finish_jobs(clock.now(), job_id) == 1
    # the process dies here; the next clean-up stores nothing again and purges
    clock.advance(days=KEEP.days + 1)
    purge_at = clock.now() - KEEP
    assert await outbox.purge_finished(purge_at, purge_at) == 5
    # and every later run finds nothing to store: the stored figures are not overwritten
    assert await outbox.finish_jobs(clock.now()) == 0
    assert await outbox.purge_finished(purge_at, purge_at) == 0
    finished = await outbox.finished_job(job_id)
    assert finished is not None
    assert finished.counts[PushState.FAILED] == 5 and finished.counts[PushState.SENT] == 0
