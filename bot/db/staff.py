"""Staff administration beyond the role check itself: coordinator programmes, the record of
role changes, and the names of staff members for the /roles screen."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_epoch
from bot.db.connection import Database


class StaffRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def programmes_of(self, user_id: int) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT programme_code FROM coordinator_programmes WHERE user_id = ?", (user_id,)
        )
        return {r["programme_code"] for r in rows}

    async def toggle_programme(self, user_id: int, code: str) -> bool:
        """Assign or unassign a programme; returns True when it is now assigned."""
        async with self.db.transaction():
            deleted = await self.db.fetchval(
                "SELECT 1 FROM coordinator_programmes WHERE user_id = ? AND programme_code = ?",
                (user_id, code),
            )
            if deleted:
                await self.db.execute(
                    "DELETE FROM coordinator_programmes WHERE user_id = ? AND programme_code = ?",
                    (user_id, code),
                )
                return False
            await self.db.execute(
                "INSERT INTO coordinator_programmes (user_id, programme_code) VALUES (?, ?)",
                (user_id, code),
            )
            return True

    async def clear_programmes(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM coordinator_programmes WHERE user_id = ?", (user_id,))

    async def record_change(self, user_id: int, actor_id: int, change: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO role_changes (user_id, actor_id, at, change) VALUES (?, ?, ?, ?)",
            (user_id, actor_id, to_epoch(now), change),
        )

    async def names(self, user_ids: list[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        marks = ",".join("?" * len(user_ids))
        rows = await self.db.fetchall(
            f"SELECT id, first_name, username FROM users WHERE id IN ({marks})", user_ids
        )
        return {
            r["id"]: r["first_name"] + (f" @{r['username']}" if r["username"] else "") for r in rows
        }
