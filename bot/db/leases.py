"""Leases: a named row that one process at a time may hold until it expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


class LeaseRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease, or renew it if `holder` has it, unless another holder's lease is
        still running at `now`. True if `holder` holds it until `until` afterwards."""
        async with self.db.transaction():
            await self.db.execute(
                "INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET"
                "  acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at"
                "                     ELSE excluded.acquired_at END,"
                "  holder = excluded.holder, expires_at = excluded.expires_at"
                " WHERE holder = excluded.holder OR expires_at <= ?",
                (name, holder, to_epoch(now), to_epoch(until), to_epoch(now)),
            )
            current = await self.db.fetchval("SELECT holder FROM leases WHERE name = ?", (name,))
        return bool(current == holder)

    async def release(self, name: str, holder: str) -> bool:
        """Give the lease up at once (only its holder can); True if it was held."""
        async with self.db.transaction():
            row = await self.db.fetchone(
                "DELETE FROM leases WHERE name = ? AND holder = ? RETURNING name", (name, holder)
            )
        return row is not None

    async def current(self, name: str) -> Lease | None:
        row = await self.db.fetchone(
            "SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?", (name,)
        )
        if row is None:
            return None
        return Lease(row[0], row[1], from_epoch(row[2]), from_epoch(row[3]))

    async def running(self, prefix: str, now: datetime) -> list[Lease]:
        """The unexpired leases whose name starts with `prefix`, oldest first."""
        rows = await self.db.fetchall(
            "SELECT name, holder, acquired_at, expires_at FROM leases"
            " WHERE name >= ? AND name < ? AND expires_at > ? ORDER BY acquired_at",
            (prefix, _past(prefix), to_epoch(now)),
        )
        return [Lease(r[0], r[1], from_epoch(r[2]), from_epoch(r[3])) for r in rows]

    async def forget_expired(self, prefix: str, now: datetime) -> int:
        """Drop the expired leases whose name starts with `prefix` (processes that died)."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "DELETE FROM leases WHERE name >= ? AND name < ? AND expires_at <= ?"
                " RETURNING name",
                (prefix, _past(prefix), to_epoch(now)),
            )
        return len(rows)


def _past(prefix: str) -> str:
    """The first text after every text starting with `prefix` (a range on the key's index)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
