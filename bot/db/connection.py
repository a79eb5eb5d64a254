"""One aiosqlite connection per process, tuned for a bot: WAL, foreign keys, busy timeout.

Writes share one asyncio lock so that a statement of one handler never lands inside
another handler's open transaction on the same connection.

Beside it, a read-only connection answers *quick* reads on the event loop's own thread: the
small, index-bound lookups every update makes (the sender's profile, a role, one call, a
page of matches). A trip to aiosqlite's worker thread costs about ten times such a read
(bench/throughput.py); WAL lets this reader see every committed write at once and never wait
for the writer. Anything that may scan (search, statistics, segments, job queues) stays on
the worker thread, so that it never holds up other updates.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_TIMEOUT_MS = 5000
# WAL readers wait only while a crashed writer's log is recovered; never hold the loop long.
READER_BUSY_TIMEOUT_MS = 200


class Database:
    def __init__(
        self, conn: aiosqlite.Connection, reader: sqlite3.Connection | None = None
    ) -> None:
        self.conn = conn
        self.reader = reader
        self._write_lock = asyncio.Lock()
        self._in_transaction: asyncio.Task[Any] | None = None

    # One trip to aiosqlite's thread per read: a cursor (execute, fetch, close) costs three,
    # and those trips, not SQLite, were most of a lookup's time (see bench/throughput.py).
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a query meant to return at most one (a key lookup, a count)."""
        return next(iter(await self.conn.execute_fetchall(sql, params)), None)

    async def aggregate(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row:
        """The one row an aggregate query (counts, sums, no GROUP BY) always returns."""
        (row,) = await self.conn.execute_fetchall(sql, params)
        return row

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # Quick reads: only for statements bounded by an index (a key lookup, a LIMITed page),
    # never a scan. Inside the caller's own transaction they go through the writer, which is
    # the only connection that sees that transaction's uncommitted rows.
    async def quick_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        if self.reader is None or self._owns_transaction():
            return await self.fetchall(sql, params)
        return self.reader.execute(sql, params).fetchall()

    async def quick_fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self.quick_fetchall(sql, params)
        return rows[0] if rows else None

    async def quick_fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.quick_fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement (atomically on its own); returns lastrowid."""
        if self._owns_transaction():
            cursor = await self.conn.execute(sql, params)
            return cursor.lastrowid or 0
        async with self._write_lock:
            cursor = await self.conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if self._owns_transaction():
            await self.conn.executemany(sql, rows)
            return
        async with self.transaction():
            await self.conn.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. Not re-entrant across tasks."""
        if self._owns_transaction():
            yield self
            return
        async with self._write_lock:
            self._in_transaction = asyncio.current_task()
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
            finally:
                self._in_transaction = None

    def _owns_transaction(self) -> bool:
        return self._in_transaction is not None and self._in_transaction is asyncio.current_task()

    def in_own_transaction(self) -> bool:
        """Whether the calling task has a transaction open: what it reads may yet roll back."""
        return self._owns_transaction()

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        await self.conn.close()


async def open_database(path: str | Path) -> Database:
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA synchronous=NORMAL")
    return Database(conn, None if str(path) == ":memory:" else _open_reader(path))


def _open_reader(path: str | Path) -> sqlite3.Connection:
    """The loop thread's read-only connection (see the module's docstring)."""
    reader = sqlite3.connect(path, isolation_level=None)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA query_only=ON")
    reader.execute(f"PRAGMA busy_timeout={READER_BUSY_TIMEOUT_MS}")
    return reader
