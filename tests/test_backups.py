"""Backups while the bot runs, the daily rotation, and restoring one."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest

from bot.__main__ import _backup, _restore, main
from bot.app import App, create_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.users import UsersRepo
from bot.services import backups as backups_module
from bot.services.backups import Backups, backup_to
from bot.services.scheduler import BACKUP_JOB
from tests.conftest import NOW, make_settings

PARTS = 3  # rows per transaction of the writer below


def read(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def names(folder: Path, part: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if part in p.name)


async def write_transactions(
    app: App, committed: list[int], under_way: asyncio.Event, stop: asyncio.Event
) -> None:
    """Commit transaction after transaction of PARTS rows each, numbered 1, 2, 3…"""
    number = 0
    while not stop.is_set():
        number += 1
        async with app.db.transaction():
            for part in range(PARTS):
                await app.db.execute(
                    "INSERT INTO ledger (txn, part, pad) VALUES (?, ?, ?)",
                    (number, part, b"r" * 300),
                )
        committed.append(number)
        if number == 20:
            under_way.set()


async def test_a_backup_taken_while_rows_are_written_holds_every_committed_transaction_whole(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    await app.db.execute("CREATE TABLE ledger (txn INTEGER, part INTEGER, pad BLOB)")
    # Some 20 MB, so that the copy takes a while with the writer going.
    await app.db.executemany(
        "INSERT INTO ledger (txn, part, pad) VALUES (0, ?, ?)",
        ((i, b"p" * 4000) for i in range(5000)),
    )
    committed: list[int] = []
    under_way, stop = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(write_transactions(app, committed, under_way, stop))
    await under_way.wait()
    before = committed[-1]

    copy = await backup_to(settings.database_path, tmp_path / "copy.sqlite3")

    after = committed[-1]
    stop.set()
    await writer
    assert after > before  # the writer kept committing while the copy was made
    assert read(copy, "PRAGMA integrity_check") == [("ok",)]
    (last,) = read(copy, "SELECT max(txn) FROM ledger")[0]
    assert before <= last <= after  # every transaction committed before the backup began
    per_txn = read(copy, "SELECT txn, count(*) FROM ledger WHERE txn > 0 GROUP BY txn")
    assert per_txn == [(n, PARTS) for n in range(1, last + 1)]  # none half, none missing
    assert read(copy, "PRAGMA journal_mode") == [("delete",)]  # one file, no -wal beside it
    assert read(copy, "SELECT count(*) FROM leases") == [(0,)]  # no running bot's lease


async def test_the_daily_backup_keeps_the_newest_and_deletes_old_ones_only_after_a_good_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    clock = FakeClock(NOW)
    settings = make_settings(tmp_path, backup_dir=str(folder), backup_keep=2)
    app = await create_app(settings, clock=clock)
    try:
        assert app.scheduler.get_job(BACKUP_JOB) is not None
        backups = app.services.backups
        assert isinstance(backups, Backups)
        written = []
        for _ in range(3):
            written.append(await backups.daily())
            clock.advance(days=1)
        assert [p.name for p in backups.existing()] == [
            "imkon-20261124-100000.sqlite3",
            "imkon-20261125-100000.sqlite3",
        ]
        assert backups.existing() == written[1:]
        assert all(read(p, "PRAGMA integrity_check") == [("ok",)] for p in written[1:])

        # A copy that fails its check is dropped, and the older backups stay.
        monkeypatch.setattr(
            backups_module, "integrity_problems", lambda path: ["*** in database main ***"]
        )
        assert await backups.daily() is None
        assert backups.existing() == written[1:]
        assert sorted(p.name for p in folder.iterdir()) == [p.name for p in written[1:]]
    finally:
        await app.close()


def test_without_a_backup_folder_there_is_no_backup_job(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await create_app(make_settings(tmp_path), clock=FakeClock(NOW))
        try:
            assert app.services.backups is None
            assert app.scheduler.get_job(BACKUP_JOB) is None
        finally:
            await app.close()

    asyncio.run(scenario())


async def touch(app: App, user_id: int) -> None:
    await UsersRepo(app.db).touch(user_id, f"U{user_id}", None, "en", app.clock.now())


async def test_restore_is_refused_while_a_bot_runs_and_then_puts_the_backup_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    database = settings.database_path
    app = await create_app(settings)  # the system clock, as the restore command reads it
    await touch(app, 5001)
    backup = tmp_path / "saved.sqlite3"
    assert await _backup(settings, backup) == 0
    await touch(app, 5002)  # after the backup

    # The bot still runs (it holds the sender lease): nothing is touched.
    assert await _restore(settings, backup) == 1
    err = capsys.readouterr().err
    assert "Restore refused: a bot is running on this database" in err
    assert await UsersRepo(app.db).get(5002) is not None
    assert names(tmp_path, "before-restore") == []
    await app.close()

    assert await _restore(settings, backup) == 0
    out = capsys.readouterr().out
    (aside_name,) = names(tmp_path, ".before-restore-")
    assert aside_name.startswith("imkon.sqlite3.before-restore-")
    aside = tmp_path / aside_name
    assert f"kept as {aside}" in out
    assert not database.with_name(database.name + "-wal").exists()

    app = await create_app(settings)
    try:
        assert await UsersRepo(app.db).get(5001) is not None
        assert await UsersRepo(app.db).get(5002) is None  # back as it was at the backup
    finally:
        await app.close()
    # The database as it was before the restore is whole and kept.
    assert read(aside, "PRAGMA integrity_check") == [("ok",)]
    assert read(aside, "SELECT count(*) FROM users WHERE id = 5002") == [(1,)]


async def test_restore_is_refused_while_a_second_bot_serves_updates_without_the_lease(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    first = await create_app(settings)  # takes the sender lease
    second = await create_app(settings)  # serves updates only
    assert first.services.lease.held and not second.services.lease.held
    backup = tmp_path / "saved.sqlite3"
    assert await _backup(settings, backup) == 0
    await first.close()  # the sender lease is free now, but `second` still writes

    assert await _restore(settings, backup) == 1
    err = capsys.readouterr().err
    assert "Restore refused: a bot is running on this database (serving updates:" in err
    assert second.services.lease.holder in err
    assert names(tmp_path, "before-restore") == []
    await touch(second, 5003)  # its database is still the live one
    await second.close()

    assert await _restore(settings, backup) == 0


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
async def test_a_damaged_backup_is_refused_and_the_database_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    settings = make_settings(tmp_path)
    app = await create_app(settings, clock=FakeClock(NOW))
    await touch(app, 5001)
    backup = tmp_path / "saved.sqlite3"
    assert await _backup(settings, backup) == 0
    await app.close()
    content = backup.read_bytes()
    if damage == "garbage":
        backup.write_bytes(b"these are not the pages you are looking for" * 100)
    else:
        backup.write_bytes(content[: len(content) // 2])

    assert await _restore(settings, backup) == 1
    assert "failed its integrity check" in capsys.readouterr().err
    assert read(settings.database_path, "SELECT count(*) FROM users WHERE id = 5001") == [(1,)]
    assert names(tmp_path, "restor") == []


async def test_a_backup_never_overwrites_a_file(
    tmp_path: Path, settings: Settings, app: App
) -> None:
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    assert await _backup(settings, target) == 1
    assert target.read_bytes() == b"keep me"
    assert await _backup(settings, settings.database_path) == 1


def test_the_backup_command_names_the_copy_by_date_inside_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "imkon.sqlite3"

    async def create_database() -> None:
        app = await create_app(make_settings(tmp_path))
        await app.close()

    asyncio.run(create_database())
    folder = tmp_path / "saved"
    folder.mkdir()
    monkeypatch.setenv("DATABASE_PATH", str(database))
    monkeypatch.setenv("BOT_TOKEN", "")

    assert main(["backup", str(folder)]) == 0

    (copy,) = folder.iterdir()
    assert re.fullmatch(r"imkon-\d{8}-\d{6}\.sqlite3", copy.name)
    assert f"integrity_check ok): {copy}" in capsys.readouterr().out
    assert read(copy, "PRAGMA integrity_check") == [("ok",)]
