"""A student's own data: where it lives (one registry of every column that holds a person's
Telegram id), a copy of it (`/export_me`) and its deletion (`/forget`).

`PERSON_COLUMNS` must name every such column of the schema with what `/forget` does to it;
`unregistered_person_columns` walks the live schema so that a table added later without an
entry here fails the tests instead of keeping a forgotten student's rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.clock import to_epoch
from bot.db.connection import Database
from bot.domain.privacy import FORGOTTEN_STUDENT_ID


class OnForget(StrEnum):
    DELETE = "delete"  # the student's rows are deleted
    ANONYMISE = "anonymise"  # the rows stay (tickets), the id is replaced by FORGOTTEN_STUDENT_ID
    STAFF = "staff"  # a staff role: /forget is refused until another admin removes it
    AUDIT = "audit"  # what staff did (granted a role, edited a call): kept as the record


# (table, column) → what /forget does. Deletion runs in this order (children before parents).
PERSON_COLUMNS: dict[tuple[str, str], OnForget] = {
    ("checklist_ticks", "user_id"): OnForget.DELETE,
    ("saved_calls", "user_id"): OnForget.DELETE,
    ("notify_prefs", "user_id"): OnForget.DELETE,
    ("digest_entries", "user_id"): OnForget.DELETE,
    ("outbox", "user_id"): OnForget.DELETE,
    ("ticket_student_messages", "student_id"): OnForget.DELETE,
    ("ticket_privacy", "user_id"): OnForget.DELETE,
    ("access_denials", "user_id"): OnForget.DELETE,
    ("work_chat_notices", "user_id"): OnForget.DELETE,
    ("coordinator_names", "user_id"): OnForget.DELETE,
    ("coordinator_programmes", "user_id"): OnForget.DELETE,
    ("users", "id"): OnForget.DELETE,
    ("tickets", "student_id"): OnForget.ANONYMISE,
    ("tickets", "closed_by"): OnForget.ANONYMISE,
    ("ticket_messages", "author_id"): OnForget.ANONYMISE,
    ("roles", "user_id"): OnForget.STAFF,
    ("roles", "granted_by"): OnForget.AUDIT,
    ("role_changes", "user_id"): OnForget.AUDIT,
    ("role_changes", "actor_id"): OnForget.AUDIT,
    ("call_history", "actor_id"): OnForget.AUDIT,
    ("pending_imports", "admin_id"): OnForget.AUDIT,
    ("delivery_jobs", "created_by"): OnForget.AUDIT,
    ("faq_entries", "created_by"): OnForget.AUDIT,
    ("attention_items", "resolved_by"): OnForget.AUDIT,
}

# Column names that hold a person's Telegram id (besides users.id).
PERSON_COLUMN_NAMES = frozenset(
    {"user_id", "student_id", "author_id", "actor_id", "admin_id", "created_by", "closed_by",
     "granted_by", "resolved_by"}
)  # fmt: skip

# A table whose export is wider than its person columns: the coordinators' answers belong to
# the student's tickets, though a coordinator wrote them.
EXPORT_WHERE = {
    "ticket_messages": "author_id = ? OR ticket_id IN (SELECT id FROM tickets WHERE student_id = ?)",
}
# Where a ticket lives in the coordinators' chat: not the student's to know.
WORK_CHAT_COLUMNS = frozenset({"work_chat_id", "work_message_id", "topic_id", "header_message_id"})
FSM_TABLE = "fsm_states"  # keyed "<bot>:<chat>:<user>:<thread>:<destiny>", not by a column
EXPORT_ROW_LIMIT = 1000  # rows per table: a years-long reminder history stays a small file


def is_person_column(table: str, column: str) -> bool:
    lowered = column.lower()
    return (
        lowered in PERSON_COLUMN_NAMES
        or lowered.endswith(("user_id", "student_id"))
        or (table == "users" and lowered == "id")
    )


def _fsm_key_user(key: str) -> str | None:
    parts = key.split(":")
    return parts[2] if len(parts) >= 3 else None


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What /forget did: False `done` means a staff role stopped it and nothing changed."""

    done: bool
    closed_ticket_ids: tuple[int, ...] = ()  # tickets still open until now (to tell the chat)


@dataclass(frozen=True, slots=True)
class PersonalRows:
    tables: dict[str, list[dict[str, Any]]]
    truncated: tuple[str, ...]


class PrivacyRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def unregistered_person_columns(self) -> list[tuple[str, str]]:
        """Columns of the live schema that hold a person's id but are not in PERSON_COLUMNS."""
        tables = await self.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        )
        missing = []
        for (table,) in tables:
            columns = await self.db.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
            for (column,) in columns:
                if is_person_column(table, column) and (table, column) not in PERSON_COLUMNS:
                    missing.append((table, column))
        return missing

    async def has_staff_role(self, user_id: int) -> bool:
        return await self._staff(user_id)

    async def _staff(self, user_id: int) -> bool:
        staff_tables = {
            table for (table, _), how in PERSON_COLUMNS.items() if how is OnForget.STAFF
        }
        for table in sorted(staff_tables):
            if await self.db.fetchval(f"SELECT 1 FROM {table} WHERE user_id = ?", (user_id,)):
                return True
        return False

    async def _fsm_keys(self, user_id: int) -> list[str]:
        rows = await self.db.fetchall(
            f"SELECT key FROM {FSM_TABLE} WHERE key LIKE ?", (f"%:{user_id}:%",)
        )
        return [row[0] for row in rows if _fsm_key_user(row[0]) == str(user_id)]

    async def forget(self, user_id: int, now: datetime) -> Forgotten:
        """Delete every personal row of the user and anonymise their tickets, in one
        transaction. A staff member (any role) is refused and nothing changes."""
        async with self.db.transaction():
            if await self._staff(user_id):
                return Forgotten(done=False)
            open_tickets = await self.db.fetchall(
                "SELECT id FROM tickets WHERE student_id = ? AND status != 'closed'"
                " AND header_message_id IS NOT NULL ORDER BY id",
                (user_id,),
            )
            await self._anonymise_tickets(user_id, now)
            for (table, column), how in PERSON_COLUMNS.items():
                if how is OnForget.DELETE:
                    await self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (user_id,))
            for key in await self._fsm_keys(user_id):
                await self.db.execute(f"DELETE FROM {FSM_TABLE} WHERE key = ?", (key,))
        return Forgotten(done=True, closed_ticket_ids=tuple(row[0] for row in open_tickets))

    async def _anonymise_tickets(self, user_id: int, now: datetime) -> None:
        """Questions stay for the coordinators; who asked them does not. Tickets still open
        are closed: no answer can reach a student the bot no longer knows."""
        gone = FORGOTTEN_STUDENT_ID
        of_student = "ticket_id IN (SELECT id FROM tickets WHERE student_id = ?)"
        await self.db.execute(
            "UPDATE ticket_messages SET author_id = ? WHERE direction = 'question'"
            f" AND author_id = ? AND {of_student}",
            (gone, user_id, user_id),
        )
        # Message ids in the student's private chat mean nothing without the student.
        await self.db.execute(
            f"UPDATE ticket_messages SET student_message_id = NULL WHERE {of_student}",
            (user_id,),
        )
        await self.db.execute(
            "UPDATE tickets SET status = 'closed', closed_at = ?, closed_by = NULL,"
            " waiting_since = NULL WHERE student_id = ? AND status != 'closed'",
            (to_epoch(now), user_id),
        )
        await self.db.execute(
            "UPDATE tickets SET closed_by = NULL WHERE student_id = ? AND closed_by = ?",
            (user_id, user_id),
        )
        await self.db.execute(
            "UPDATE tickets SET student_id = ? WHERE student_id = ?", (gone, user_id)
        )

    async def personal_rows(self, user_id: int, limit: int = EXPORT_ROW_LIMIT) -> PersonalRows:
        """Every row that names the user, table by table (at most `limit` rows each)."""
        by_table: dict[str, list[str]] = {}
        for table, column in PERSON_COLUMNS:
            by_table.setdefault(table, []).append(column)
        tables: dict[str, list[dict[str, Any]]] = {}
        truncated: list[str] = []
        for table in sorted(by_table, key=_export_order):
            where = EXPORT_WHERE.get(table) or " OR ".join(f"{c} = ?" for c in by_table[table])
            rows = await self.db.fetchall(
                f"SELECT * FROM {table} WHERE {where} ORDER BY rowid LIMIT ?",
                (*[user_id] * where.count("?"), limit + 1),
            )
            if not rows:
                continue
            if len(rows) > limit:
                truncated.append(table)
            tables[table] = [_own_view(table, dict(row), user_id) for row in rows[:limit]]
        states = []
        for key in (await self._fsm_keys(user_id))[:limit]:
            row = await self.db.fetchone(
                f"SELECT state, data FROM {FSM_TABLE} WHERE key = ?", (key,)
            )
            if row is not None:
                states.append({"key": key, "state": row[0], "data": json.loads(row[1] or "{}")})
        if states:
            tables[FSM_TABLE] = states
        return PersonalRows(tables, tuple(truncated))


def _own_view(table: str, row: dict[str, Any], user_id: int) -> dict[str, Any]:
    """The row as stored, less other people: a coordinator's (or granting admin's) id reads
    None, and the coordinators' chat ids are left out."""
    return {
        column: None
        if is_person_column(table, column) and value is not None and value != user_id
        else value
        for column, value in row.items()
        if column not in WORK_CHAT_COLUMNS
    }


def _export_order(table: str) -> tuple[int, str]:
    """The profile first, then the rest by name."""
    return (0 if table == "users" else 1, table)
