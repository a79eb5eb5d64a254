"""Imports validated and waiting for the admin's confirm (they survive a restart)."""

from __future__ import annotations

import json
from datetime import datetime

from bot.clock import to_epoch
from bot.db.connection import Database
from bot.domain.imports import PendingImport

KEEP_UNCONFIRMED_DAYS = 7


class PendingImportsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, admin_id: int, filename: str, rows: list[dict[str, str]], now: datetime
    ) -> int:
        async with self.db.transaction():
            # Checked files nobody confirmed within a week are only clutter.
            await self.db.execute(
                "DELETE FROM pending_imports WHERE applied_at IS NULL AND created_at < ?",
                (to_epoch(now) - KEEP_UNCONFIRMED_DAYS * 86400,),
            )
            return await self.db.execute(
                "INSERT INTO pending_imports (admin_id, created_at, filename, rows)"
                " VALUES (?,?,?,?)",
                (admin_id, to_epoch(now), filename, json.dumps(rows, ensure_ascii=False)),
            )

    async def get(self, import_id: int) -> PendingImport | None:
        row = await self.db.fetchone(
            "SELECT id, admin_id, filename, rows, applied_at FROM pending_imports WHERE id = ?",
            (import_id,),
        )
        if row is None:
            return None
        return PendingImport(
            row["id"],
            row["admin_id"],
            row["filename"],
            json.loads(row["rows"]),
            row["applied_at"] is not None,
        )

    async def mark_applied(self, import_id: int, now: datetime) -> bool:
        """Claim the import for applying; False when it was applied (or dropped) already.
        Call it inside the transaction that writes the import."""
        row = await self.db.fetchval(
            "UPDATE pending_imports SET applied_at = ? WHERE id = ? AND applied_at IS NULL"
            " RETURNING id",
            (to_epoch(now), import_id),
        )
        return row is not None

    async def drop(self, import_id: int) -> None:
        await self.db.execute("DELETE FROM pending_imports WHERE id = ?", (import_id,))
