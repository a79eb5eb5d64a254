"""Whole-file operations on a SQLite database: an online copy (SQLite's backup API), its
integrity check, and a WAL checkpoint. Blocking: callers run them off the event loop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db.connection import BUSY_TIMEOUT_MS


def copy_online(source: Path, target: Path) -> None:
    """Copy `source`, while other connections keep writing to it, into a new file `target`.

    One backup step copies every page inside one read transaction, so the copy is the
    database as it stood at one moment: every transaction committed before it, none after
    it, never half of one (WAL lets the writers go on meanwhile). Copying the file instead
    would miss what is still in the -wal file and could catch a checkpoint half-way. The copy
    is a single file (journal_mode DELETE) without any process's sender lease."""
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        src.execute("PRAGMA query_only=ON")
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst)  # pages=-1: all in one step, one snapshot
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'leases'").fetchone():
                dst.execute("DELETE FROM leases")
        finally:
            dst.close()
    finally:
        src.close()


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong with the database file at `path` (opened
    read-only); empty when it answers "ok". A file that is not a database is one problem."""
    if not path.is_file():
        return [f"{path} is not a file"]
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return [str(error)]
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'"
        ).fetchone():
            return ["not a bot database (no schema_migrations table)"]
    except sqlite3.Error as error:
        return [str(error)]
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows]
    return [] if problems == ["ok"] else problems


def checkpoint(path: Path) -> bool:
    """Move everything in `path`'s -wal file into the database file and empty the log;
    False if a reader or writer kept it from finishing."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    return bool(busy == 0)
