"""Backups of the live database and restoring one.

`backup_to` copies the database while the bot runs (SQLite's online backup API, in a worker
thread) and keeps the copy only if `PRAGMA integrity_check` passes. `Backups.daily` (a
scheduler job when BACKUP_DIR is set) writes `<name>-YYYYMMDD-HHMMSS<suffix>` there and only
then deletes the oldest beyond BACKUP_KEEP. `restore` puts a checked backup in place of the
database, keeping the current file aside, and refuses while a bot runs on it (the sender
lease, bot/services/lease.py, says so).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.db.backup import checkpoint, copy_online, integrity_problems
from bot.db.connection import open_database
from bot.db.leases import LeaseRepo
from bot.services.lease import SenderLease

log = logging.getLogger(__name__)

STAMP = "%Y%m%d-%H%M%S"


class BackupError(Exception):
    """The backup or restore did not happen; the message says why, for an operator."""


@dataclass(frozen=True, slots=True)
class Restored:
    database: Path
    kept_aside: Path | None  # the database as it was, None if there was none


def dated_name(database: Path, moment: datetime, tz: ZoneInfo) -> str:
    """`imkon-20261203-031500.sqlite3` for `imkon.sqlite3`: names sort by date."""
    return f"{database.stem}-{moment.astimezone(tz):{STAMP}}{database.suffix}"


def sidecars(path: Path) -> list[Path]:
    """The WAL files SQLite keeps beside a database."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


async def backup_to(database: Path, target: Path) -> Path:
    """Copy the live `database` into the new file `target`, checked (in a worker thread, so
    the bot goes on serving). Raises BackupError."""
    await asyncio.to_thread(_backup_file, database, target)
    return target


def _backup_file(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    _checked_copy(database, partial)
    os.replace(partial, target)


def _checked_copy(source: Path, target: Path) -> None:
    """`copy_online` into `target`, deleted again unless it passes the integrity check."""
    target.unlink(missing_ok=True)
    try:
        copy_online(source, target)
        problems = integrity_problems(target)
        if problems:
            raise BackupError(f"the copy failed its integrity check: {'; '.join(problems[:5])}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise


class Backups:
    """The daily backup into `directory`, keeping the newest `keep`."""

    def __init__(self, database: Path, directory: Path, keep: int, clock: Clock, tz: ZoneInfo):
        self.database = database
        self.directory = directory
        self.keep = keep
        self.clock = clock
        self.tz = tz
        self._name = re.compile(
            re.escape(database.stem) + r"-\d{8}-\d{6}" + re.escape(database.suffix) + "$"
        )

    def existing(self) -> list[Path]:
        """The backups in the folder, oldest first (their names sort by date)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if self._name.match(p.name))

    async def daily(self) -> Path | None:
        """Back up now; only when the new copy passed its check are the oldest beyond
        `keep` deleted. Returns the new file, or None (logged) if the backup failed."""
        target = self.directory / dated_name(self.database, self.clock.now(), self.tz)
        try:
            await backup_to(self.database, target)
        except (BackupError, OSError) as error:
            log.error("backup failed, older backups kept: %s", error)
            return None
        backups = self.existing()
        for old in backups[: max(0, len(backups) - self.keep)]:
            old.unlink(missing_ok=True)
            log.info("backup: deleted %s (keeping the newest %d)", old.name, self.keep)
        log.info("backup: wrote %s", target)
        return target


async def restore(database: Path, backup: Path, clock: Clock) -> Restored:
    """Replace `database` with a copy of `backup` once the backup passed its integrity check;
    the current file is renamed `<name>.before-restore-<time>`. Raises BackupError, before
    touching anything, when the backup is damaged or a bot runs on `database`."""
    incoming = await asyncio.to_thread(_incoming_copy, database, backup)
    try:
        aside = await _set_aside(database, clock)
        await asyncio.to_thread(os.replace, incoming, database)
    finally:
        await asyncio.to_thread(incoming.unlink, missing_ok=True)
    return Restored(database, aside)


def _incoming_copy(database: Path, backup: Path) -> Path:
    """The checked backup, copied beside the database (same file system: renamed in place)."""
    problems = integrity_problems(backup)
    if problems:
        raise BackupError(f"{backup} failed its integrity check: {'; '.join(problems[:5])}")
    if database.exists() and backup.resolve() == database.resolve():
        raise BackupError("the backup is the database itself")
    database.parent.mkdir(parents=True, exist_ok=True)
    incoming = database.with_name(database.name + ".restoring")
    _checked_copy(backup, incoming)
    return incoming


async def _set_aside(database: Path, clock: Clock) -> Path | None:
    """Take the sender lease of `database` (refused while a bot holds it, or while any bot
    process keeps its presence row: a running bot would go on writing into the file set
    aside), fold its WAL into the file, and rename it."""
    if not await asyncio.to_thread(database.exists):
        return None
    db = await open_database(database)
    try:
        lease = SenderLease(LeaseRepo(db), clock, holder=f"restore:{os.getpid()}")
        try:
            await lease.current()
        except sqlite3.OperationalError:  # a database from before leases: no bot holds one
            pass
        else:
            if not await lease.refresh():
                holder = await lease.current()
                until = f" until {holder.expires_at:%H:%M:%S} UTC" if holder else ""
                raise BackupError(
                    f"a bot is running on this database (it holds the sender lease{until}): "
                    "stop it first; a bot that crashed frees it within 30 seconds"
                )
            others = await lease.others_running()
            if others:
                await lease.release()
                names = ", ".join(p.holder for p in others)
                raise BackupError(
                    f"a bot is running on this database (serving updates: {names}): stop "
                    "every bot process first; one that crashed is forgotten within 30 seconds"
                )
    finally:
        await db.close()
    aside = database.with_name(f"{database.name}.before-restore-{clock.now():{STAMP}}")
    await asyncio.to_thread(_move_aside, database, aside)
    return aside


def _move_aside(database: Path, aside: Path) -> None:
    if not checkpoint(database):
        raise BackupError("the database is busy (another process has it open): stop it first")
    os.replace(database, aside)
    # Emptied by the checkpoint; beside the restored file they would be taken for its own.
    for sidecar in sidecars(database):
        with contextlib.suppress(FileNotFoundError):
            sidecar.unlink()
