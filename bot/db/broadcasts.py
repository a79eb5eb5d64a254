"""Broadcast audiences and broadcast jobs (rows of delivery_jobs with kind 'broadcast').

A segment is (kind, value); recipients are always active users only."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bot.clock import to_epoch
from bot.db.connection import Database
from bot.domain.audience import BROADCAST

# A paused broadcast's pending pushes wait here until Resume brings them back to now.
PAUSED_DUE = 253_402_300_000  # year 9999


class BroadcastsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _has_table(self, name: str) -> bool:
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            )
        )

    async def _where(self, kind: str, value: str, now: datetime) -> tuple[str, tuple[Any, ...]]:
        if kind == "all":
            return "", ()
        if kind == "lang":
            return " AND u.language = ?", (value,)
        if kind == "level":
            return " AND u.level = ?", (value,)
        if kind == "field":
            return " AND (u.fields_mask & ?) != 0", (int(value),)
        if kind == "active":
            since = now - timedelta(days=int(value))
            return " AND u.last_seen_at >= ?", (to_epoch(since),)
        if kind == "subs":
            if not await self._has_table("notify_prefs"):
                return " AND 0", ()
            return (
                " AND u.id IN (SELECT user_id FROM notify_prefs WHERE subscribed = 1)",
                (),
            )
        if kind == "prog":
            clause = " AND (u.facet_programme = ?"
            params: tuple[Any, ...] = (value,)
            if await self._has_table("saved_calls"):
                clause += (
                    " OR u.id IN (SELECT s.user_id FROM saved_calls s"
                    " JOIN calls c ON c.id = s.call_id"
                    " JOIN programmes p ON p.id = c.programme_id WHERE p.code = ?)"
                )
                params += (value,)
            return clause + ")", params
        raise ValueError(f"unknown segment {kind!r}")

    async def count(self, kind: str, value: str, now: datetime) -> int:
        where, params = await self._where(kind, value, now)
        return int(
            await self.db.fetchval(
                f"SELECT COUNT(*) FROM users u WHERE u.is_active = 1{where}", params
            )
            or 0
        )

    async def recipient_pages(
        self, kind: str, value: str, now: datetime, size: int = 5000
    ) -> AsyncIterator[list[int]]:
        """The segment's user ids in ascending pages of at most `size` (keyset paging), so
        a 100,000-user audience is never held in memory at once."""
        where, params = await self._where(kind, value, now)
        after = 0
        while True:
            rows = await self.db.fetchall(
                f"SELECT u.id FROM users u WHERE u.is_active = 1{where} AND u.id > ?"
                " ORDER BY u.id LIMIT ?",
                (*params, after, size),
            )
            if not rows:
                return
            page = [row[0] for row in rows]
            yield page
            after = page[-1]

    # -- jobs -----------------------------------------------------------------------------
    async def update_payload(self, job_id: int, **changes: Any) -> dict[str, Any]:
        async with self.db.transaction():
            raw = await self.db.fetchval(
                "SELECT payload FROM delivery_jobs WHERE id = ?", (job_id,)
            )
            payload = json.loads(raw or "{}")
            payload.update(changes)
            await self.db.execute(
                "UPDATE delivery_jobs SET payload = ? WHERE id = ?",
                (json.dumps(payload, ensure_ascii=False), job_id),
            )
        return payload

    async def hold_pending(self, job_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET due_at = ?, updated_at = ? WHERE job_id = ? AND state = 'pending'",
            (PAUSED_DUE, to_epoch(now), job_id),
        )

    async def release_pending(self, job_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET due_at = ?, updated_at = ? WHERE job_id = ? AND state = 'pending'",
            (to_epoch(now), to_epoch(now), job_id),
        )

    async def unfinished_jobs(self) -> list[tuple[int, dict[str, Any]]]:
        """Broadcast jobs whose final report has not been given yet (survives restarts)."""
        rows = await self.db.fetchall(
            "SELECT id, payload FROM delivery_jobs WHERE kind = ?"
            " AND COALESCE(json_extract(payload, '$.reported'), 0) = 0 ORDER BY id",
            (BROADCAST,),
        )
        return [(row[0], json.loads(row[1])) for row in rows]
