"""Counts for /stats: users, saved calls, pushes and broadcasts."""

from __future__ import annotations

from datetime import datetime

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.profile import Field
from bot.domain.stats import ACTIVE_DAYS, CallArrivals, JobOutcome, UserCounts, Window


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
        row = await self.db.aggregate(self._counts_sql(), (self._since(now),))
        return UserCounts(row["total"], row["active"], row["blocked"])

    async def users_by_language(self, now: datetime) -> list[tuple[str | None, UserCounts]]:
        """By the bot language chosen (None: not chosen yet), largest group first."""
        return await self._users_by("language", now)

    async def users_by_level(self, now: datetime) -> list[tuple[str | None, UserCounts]]:
        """By study level (None: not chosen yet), largest group first."""
        return await self._users_by("level", now)

    async def _users_by(self, column: str, now: datetime) -> list[tuple[str | None, UserCounts]]:
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
            row = await self.db.aggregate(
                self._counts_sql("(fields_mask & ?) != 0"), (self._since(now), field.bit)
            )
            result.append((field, UserCounts(row["total"], row["active"], row["blocked"])))
        return result

    # Saved calls and the outbox of reminders, new-call pushes and broadcasts (migration 0003).

    async def saved_calls(self, now: datetime) -> Window:
        return await self._window("SELECT {} FROM saved_calls", "saved_at", (), now)

    async def subscribers(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM notify_prefs WHERE subscribed = 1")

    async def pushes_sent(self, kind: str, now: datetime) -> Window:
        return await self._window(
            "SELECT {} FROM outbox WHERE kind = ? AND state = 'sent'", "sent_at", (kind,), now
        )

    async def broadcasts(self, limit: int = 5) -> list[JobOutcome]:
        """The latest broadcasts: a finished one by the figures stored on its row (its
        outbox rows may be purged), a running one counted live."""
        jobs = await self.db.fetchall(
            "SELECT id, created_at, finished_at, sent_count, failed_count, skipped_count,"
            " cancelled_count FROM delivery_jobs WHERE kind = 'broadcast'"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        outcomes = []
        for job in jobs:
            if job["finished_at"] is not None:
                stored = {
                    state: job[f"{state}_count"]
                    for state in ("sent", "failed", "skipped", "cancelled")
                }
                states = {state: n for state, n in stored.items() if n}
            else:
                rows = await self.db.fetchall(
                    "SELECT state, count(*) AS n FROM outbox WHERE job_id = ? GROUP BY state",
                    (job["id"],),
                )
                states = {r["state"]: r["n"] for r in rows}
            outcomes.append(JobOutcome(job["id"], from_epoch(job["created_at"]), states))
        return outcomes

    async def arrivals_by_call(self, limit: int = 10) -> list[CallArrivals]:
        """The calls whose links brought the most new students, most first."""
        rows = await self.db.fetchall(
            "SELECT came_via_call_id AS call_id, count(*) AS n FROM users"
            " WHERE came_via_call_id IS NOT NULL GROUP BY came_via_call_id"
            " ORDER BY n DESC, call_id LIMIT ?",
            (limit,),
        )
        if not rows:
            return []
        ids = [row["call_id"] for row in rows]
        titles: dict[int, dict[str, str]] = {call_id: {} for call_id in ids}
        marks = ",".join("?" * len(ids))
        for text in await self.db.fetchall(
            f"SELECT call_id, lang, title FROM call_texts WHERE call_id IN ({marks})", ids
        ):
            titles[text["call_id"]][text["lang"]] = text["title"]
        return [CallArrivals(row["call_id"], row["n"], titles[row["call_id"]]) for row in rows]

    async def _window(
        self, sql: str, column: str, params: tuple[object, ...], now: datetime
    ) -> Window:
        moment = to_epoch(now)
        counts = f"count(*), coalesce(sum({column} >= ?), 0), coalesce(sum({column} >= ?), 0)"
        row = await self.db.aggregate(
            sql.format(counts), (moment - 7 * 86400, moment - 30 * 86400, *params)
        )
        return Window(row[0], row[1], row[2])

    def _since(self, now: datetime) -> int:
        return to_epoch(now) - ACTIVE_DAYS * 86400
