"""Counts for /stats. Tables of features that may not be merged yet are looked up first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_epoch
from bot.db.connection import Database
from bot.domain.profile import Field

ACTIVE_DAYS = 30


@dataclass(frozen=True, slots=True)
class UserCounts:
    total: int
    active: int  # not blocked and seen in the last ACTIVE_DAYS days
    blocked: int  # the bot was blocked (is_active = 0)


class StatsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _counts_sql(self, where: str = "1") -> str:
        return (
            "SELECT count(*) AS total,"
            " coalesce(sum(is_active = 1 AND last_seen_at >= ?), 0) AS active,"
            " coalesce(sum(is_active = 0), 0) AS blocked"
            f" FROM users WHERE {where}"
        )

    async def users(self, now: datetime) -> UserCounts:
        row = await self.db.fetchone(self._counts_sql(), (self._since(now),))
        return UserCounts(row["total"], row["active"], row["blocked"])  # type: ignore[index]

    async def users_by(self, column: str, now: datetime) -> list[tuple[str | None, UserCounts]]:
        if column not in ("language", "level"):
            raise ValueError(column)
        rows = await self.db.fetchall(
            "SELECT " + column + " AS key, count(*) AS total,"
            " coalesce(sum(is_active = 1 AND last_seen_at >= ?), 0) AS active,"
            " coalesce(sum(is_active = 0), 0) AS blocked"
            f" FROM users GROUP BY {column} ORDER BY total DESC, key",
            (self._since(now),),
        )
        return [(r["key"], UserCounts(r["total"], r["active"], r["blocked"])) for r in rows]

    async def users_by_field(self, now: datetime) -> list[tuple[Field, UserCounts]]:
        """A student interested in several fields counts in each of them."""
        result = []
        for field in Field:
            row = await self.db.fetchone(
                self._counts_sql("(fields_mask & ?) != 0"), (self._since(now), field.bit)
            )
            result.append((field, UserCounts(row["total"], row["active"], row["blocked"])))  # type: ignore[index]
        return result

    async def table_exists(self, name: str) -> bool:
        found = await self.db.fetchval(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        return found is not None

    async def row_count(self, table: str) -> int | None:
        """Rows of a table that another feature owns, or None while it does not exist."""
        if not table.isidentifier() or not await self.table_exists(table):
            return None
        return await self.db.fetchval(f"SELECT count(*) FROM {table}")

    def _since(self, now: datetime) -> int:
        return to_epoch(now) - ACTIVE_DAYS * 86400
