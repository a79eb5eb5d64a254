"""The record of changes to calls: who, when, what."""

from __future__ import annotations

import json
from datetime import datetime

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.history import HistoryEntry


class CallHistoryRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        call_id: int,
        actor_id: int | None,
        action: str,
        now: datetime,
        changes: dict[str, list[str]] | None = None,
        author: str | None = None,
    ) -> None:
        await self.db.execute(
            "INSERT INTO call_history (call_id, actor_id, at, action, changes, author)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                call_id,
                actor_id,
                to_epoch(now),
                action,
                json.dumps(changes or {}, ensure_ascii=False),
                author,
            ),
        )

    async def of_call(self, call_id: int, limit: int = 30) -> list[HistoryEntry]:
        rows = await self.db.fetchall(
            "SELECT h.call_id, h.actor_id, u.first_name, h.at, h.action, h.changes, h.author"
            " FROM call_history h LEFT JOIN users u ON u.id = h.actor_id"
            " WHERE h.call_id = ? ORDER BY h.at DESC, h.id DESC LIMIT ?",
            (call_id, limit),
        )
        return [
            HistoryEntry(
                r["call_id"],
                r["actor_id"],
                r["first_name"],
                from_epoch(r["at"]),
                r["action"],
                json.loads(r["changes"]),
                r["author"],
            )
            for r in rows
        ]
