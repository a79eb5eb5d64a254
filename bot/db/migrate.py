"""Applies `migrations/NNNN_name.sql` in order, each in its own transaction."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.db.connection import Database

MIGRATION_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    def __init__(self, filename: str, error: Exception) -> None:
        super().__init__(f"migration {filename} failed: {error}")
        self.filename = filename
        self.error = error


def migration_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if MIGRATION_NAME.match(p.name))


async def applied_migrations(db: Database) -> set[str]:
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
    )
    return {row["name"] for row in await db.fetchall("SELECT name FROM schema_migrations")}


async def apply_migrations(db: Database, directory: Path) -> list[str]:
    """Apply pending migrations; returns the names applied. Raises MigrationError."""
    done = await applied_migrations(db)
    applied: list[str] = []
    for path in migration_files(directory):
        if path.name in done:
            continue
        sql = path.read_text(encoding="utf-8")
        conn = db.conn
        try:
            # executescript would COMMIT an open transaction first, so the script opens its own.
            await conn.executescript("BEGIN IMMEDIATE;\n" + sql)
            await conn.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (path.name, int(time.time())),
            )
            await conn.execute("COMMIT")
        except Exception as error:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(path.name, error) from error
        applied.append(path.name)
    return applied
