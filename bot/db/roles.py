"""Staff roles (admin, coordinator) and the record of refused attempts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.clock import to_epoch
from bot.db.connection import Database
from bot.domain.roles import Role


class RolesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def bootstrap_admins(self, admin_ids: Iterable[int], now: datetime) -> None:
        await self.db.executemany(
            "INSERT OR IGNORE INTO roles (user_id, role, granted_by, granted_at)"
            " VALUES (?, 'admin', NULL, ?)",
            [(uid, to_epoch(now)) for uid in admin_ids],
        )

    async def has(self, user_id: int, role: Role) -> bool:
        if role == Role.COORDINATOR:  # admins may do everything a coordinator does
            sql = "SELECT 1 FROM roles WHERE user_id = ? LIMIT 1"
            return await self.db.quick_fetchval(sql, (user_id,)) is not None
        sql = "SELECT 1 FROM roles WHERE user_id = ? AND role = ?"
        return await self.db.quick_fetchval(sql, (user_id, role.value)) is not None

    async def roles_of(self, user_id: int) -> set[Role]:
        rows = await self.db.fetchall("SELECT role FROM roles WHERE user_id = ?", (user_id,))
        return {Role(r["role"]) for r in rows}

    async def grant(self, user_id: int, role: Role, by: int, now: datetime) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO roles (user_id, role, granted_by, granted_at) VALUES (?,?,?,?)",
            (user_id, role.value, by, to_epoch(now)),
        )

    async def revoke(self, user_id: int, role: Role) -> None:
        await self.db.execute(
            "DELETE FROM roles WHERE user_id = ? AND role = ?", (user_id, role.value)
        )

    async def members(self, role: Role) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM roles WHERE role = ? ORDER BY user_id", (role.value,)
        )
        return [r["user_id"] for r in rows]

    async def record_denial(self, user_id: int, action: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO access_denials (user_id, action, at) VALUES (?, ?, ?)",
            (user_id, action[:200], to_epoch(now)),
        )

    async def coordinators_for(self, programme_code: str | None) -> list[int]:
        """Coordinators assigned to a programme (ticket routing); none for general questions."""
        if programme_code is None:
            return []
        rows = await self.db.fetchall(
            "SELECT cp.user_id FROM coordinator_programmes cp JOIN roles r"
            " ON r.user_id = cp.user_id WHERE cp.programme_code = ?"
            " GROUP BY cp.user_id ORDER BY cp.user_id",
            (programme_code,),
        )
        return [r["user_id"] for r in rows]
