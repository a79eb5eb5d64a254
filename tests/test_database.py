"""Quick reads (the loop thread's read-only connection) see exactly what the writer committed,
and a transaction's own rows while it is open."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.connection import Database, open_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "quick.sqlite3")
    await database.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    yield database
    await database.close()


async def test_a_quick_read_sees_a_write_as_soon_as_it_returns(db: Database) -> None:
    await db.execute("INSERT INTO notes (id, body) VALUES (1, 'draft')")
    assert await db.quick_fetchval("SELECT body FROM notes WHERE id = 1") == "draft"
    await db.execute("UPDATE notes SET body = 'final' WHERE id = 1")
    assert await db.quick_fetchval("SELECT body FROM notes WHERE id = 1") == "final"


async def test_a_transaction_sees_its_own_rows_and_others_see_them_only_after_commit(
    db: Database,
) -> None:
    inside_saw: list[str | None] = []
    outside_saw: list[str | None] = []
    written = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO notes (id, body) VALUES (2, 'pending')")
            inside_saw.append(await db.quick_fetchval("SELECT body FROM notes WHERE id = 2"))
            written.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await written.wait()
    outside_saw.append(await db.quick_fetchval("SELECT body FROM notes WHERE id = 2"))
    release.set()
    await task
    outside_saw.append(await db.quick_fetchval("SELECT body FROM notes WHERE id = 2"))
    assert inside_saw == ["pending"]
    assert outside_saw == [None, "pending"]


async def test_the_quick_reader_cannot_write(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.quick_fetchall("DELETE FROM notes")


async def test_an_in_memory_database_answers_quick_reads_through_the_writer() -> None:
    database = await open_database(":memory:")
    try:
        await database.execute("CREATE TABLE t (v INTEGER)")
        await database.execute("INSERT INTO t VALUES (7)")
        assert await database.quick_fetchval("SELECT v FROM t") == 7
    finally:
        await database.close()
