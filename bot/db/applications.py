"""Saved calls, their checklists, the documents calls ask for, and notification preferences."""

from __future__ import annotations

from datetime import datetime
from sqlite3 import Row

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.db.users import PROFILE_COLUMNS
from bot.db.users import _profile as profile_from_row
from bot.domain.checklist import Checklist, documents_for
from bot.domain.profile import UserProfile
from bot.domain.reminders import DEFAULT_REMINDER_DAYS, NotifyPrefs, format_days, parse_days
from bot.domain.saved_calls import SavedCall


class ApplicationsRepo:
    def __init__(self, db: Database, default_send_hour: int = 10) -> None:
        self.db = db
        self.default_prefs = NotifyPrefs(DEFAULT_REMINDER_DAYS, default_send_hour)

    # -- documents a call asks for --------------------------------------------------------
    async def set_documents(self, call_id: int, keys: list[str] | tuple[str, ...]) -> None:
        unique = list(dict.fromkeys(keys))
        async with self.db.transaction():
            await self.db.execute("DELETE FROM call_documents WHERE call_id = ?", (call_id,))
            await self.db.executemany(
                "INSERT INTO call_documents (call_id, position, doc_key) VALUES (?, ?, ?)",
                [(call_id, index, key) for index, key in enumerate(unique)],
            )

    async def documents(self, call_id: int, programme_code: str) -> tuple[str, ...]:
        rows = await self.db.fetchall(
            "SELECT doc_key FROM call_documents WHERE call_id = ? ORDER BY position", (call_id,)
        )
        return documents_for(programme_code, tuple(r["doc_key"] for r in rows))

    # -- saved calls ----------------------------------------------------------------------
    async def save(self, user_id: int, call_id: int, now: datetime) -> bool:
        """True when newly saved."""
        async with self.db.transaction():
            row = await self.db.fetchone(
                "INSERT INTO saved_calls (user_id, call_id, saved_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING call_id",
                (user_id, call_id, to_epoch(now)),
            )
        return row is not None

    async def unsave(self, user_id: int, call_id: int) -> bool:
        async with self.db.transaction():
            row = await self.db.fetchone(
                "DELETE FROM saved_calls WHERE user_id = ? AND call_id = ? RETURNING call_id",
                (user_id, call_id),
            )
        return row is not None

    async def set_muted(self, user_id: int, call_id: int, muted: bool) -> None:
        await self.db.execute(
            "UPDATE saved_calls SET muted = ? WHERE user_id = ? AND call_id = ?",
            (int(muted), user_id, call_id),
        )

    async def saved(self, user_id: int, call_id: int) -> SavedCall | None:
        row = await self.db.quick_fetchone(
            "SELECT user_id, call_id, saved_at, muted FROM saved_calls"
            " WHERE user_id = ? AND call_id = ?",
            (user_id, call_id),
        )
        return None if row is None else _saved(row)

    async def saved_by(self, user_id: int) -> list[SavedCall]:
        rows = await self.db.fetchall(
            "SELECT s.user_id, s.call_id, s.saved_at, s.muted FROM saved_calls s"
            " JOIN calls c ON c.id = s.call_id WHERE s.user_id = ?"
            " ORDER BY c.deadline_at IS NULL, c.deadline_at, c.id",
            (user_id,),
        )
        return [_saved(r) for r in rows]

    async def savers_of(self, call_id: int) -> list[SavedCall]:
        rows = await self.db.fetchall(
            "SELECT user_id, call_id, saved_at, muted FROM saved_calls WHERE call_id = ?",
            (call_id,),
        )
        return [_saved(r) for r in rows]

    # -- checklist ------------------------------------------------------------------------
    async def checklist(self, user_id: int, call_id: int, programme_code: str) -> Checklist:
        documents = await self.documents(call_id, programme_code)
        rows = await self.db.fetchall(
            "SELECT doc_key FROM checklist_ticks WHERE user_id = ? AND call_id = ?",
            (user_id, call_id),
        )
        return Checklist(documents, frozenset(r["doc_key"] for r in rows))

    async def toggle_tick(self, user_id: int, call_id: int, doc_key: str, now: datetime) -> bool:
        """Tick or untick one document of a saved call; returns whether it is now ticked."""
        async with self.db.transaction():
            removed = await self.db.fetchone(
                "DELETE FROM checklist_ticks WHERE user_id = ? AND call_id = ? AND doc_key = ?"
                " RETURNING doc_key",
                (user_id, call_id, doc_key),
            )
            if removed is not None:
                return False
            await self.db.execute(
                "INSERT INTO checklist_ticks (user_id, call_id, doc_key, ticked_at)"
                " VALUES (?, ?, ?, ?)",
                (user_id, call_id, doc_key, to_epoch(now)),
            )
            return True

    # -- preferences ----------------------------------------------------------------------
    async def prefs(self, user_id: int) -> NotifyPrefs:
        row = await self.db.fetchone(
            "SELECT reminder_days, send_hour, subscribed, digest FROM notify_prefs"
            " WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return self.default_prefs
        return NotifyPrefs(
            parse_days(row["reminder_days"]),
            row["send_hour"],
            bool(row["subscribed"]),
            bool(row["digest"]),
        )

    async def set_prefs(self, user_id: int, prefs: NotifyPrefs) -> None:
        await self.db.execute(
            "INSERT INTO notify_prefs (user_id, reminder_days, send_hour, subscribed, digest)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " reminder_days = excluded.reminder_days, send_hour = excluded.send_hour,"
            " subscribed = excluded.subscribed, digest = excluded.digest",
            (
                user_id,
                format_days(prefs.reminder_days),
                prefs.send_hour,
                int(prefs.subscribed),
                int(prefs.digest),
            ),
        )

    async def subscriber_profiles(self) -> list[tuple[UserProfile, NotifyPrefs]]:
        """Active subscribers with the profile their filter is read from, in one query."""
        columns = ", ".join(f"u.{c.strip()}" for c in PROFILE_COLUMNS.split(","))
        rows = await self.db.fetchall(
            f"SELECT {columns}, p.reminder_days, p.send_hour, p.digest"
            " FROM notify_prefs p JOIN users u ON u.id = p.user_id"
            " WHERE p.subscribed = 1 AND u.is_active = 1"
        )
        return [
            (
                profile_from_row(r),
                NotifyPrefs(
                    parse_days(r["reminder_days"]), r["send_hour"], True, bool(r["digest"])
                ),
            )
            for r in rows
        ]

    # -- weekly digest --------------------------------------------------------------------
    async def add_digest_entries(self, rows: list[tuple[int, int]], now: datetime) -> None:
        await self.db.executemany(
            "INSERT INTO digest_entries (user_id, call_id, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(user_id, call_id, to_epoch(now)) for user_id, call_id in rows],
        )

    async def digest_backlog(self, before: datetime) -> dict[int, list[int]]:
        """user → calls added to their digest before `before` (the week's start)."""
        rows = await self.db.fetchall(
            "SELECT user_id, call_id FROM digest_entries WHERE added_at < ?"
            " ORDER BY user_id, added_at, call_id",
            (to_epoch(before),),
        )
        backlog: dict[int, list[int]] = {}
        for r in rows:
            backlog.setdefault(r["user_id"], []).append(r["call_id"])
        return backlog

    async def drop_digest_entries(self, user_id: int, call_ids: list[int]) -> None:
        marks = ",".join("?" * len(call_ids))
        await self.db.execute(
            f"DELETE FROM digest_entries WHERE user_id = ? AND call_id IN ({marks})",
            (user_id, *call_ids),
        )


def _saved(row: Row) -> SavedCall:
    return SavedCall(
        user_id=row["user_id"],
        call_id=row["call_id"],
        saved_at=from_epoch(row["saved_at"]),
        muted=bool(row["muted"]),
    )
