"""Tickets, their messages (with message ids on both sides), privacy choices, coordinators'
display names and the notices given to non-staff members of the work chat."""

from __future__ import annotations

from datetime import datetime
from sqlite3 import Row
from typing import Any

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.tickets import Ticket, TicketStatus

TICKET_COLUMNS = (
    "t.id, t.student_id, t.call_id, t.programme_code, t.locale, t.status, t.work_chat_id,"
    " t.topic_id, t.header_message_id, t.rating, t.created_at, t.waiting_since,"
    " t.answered_at, t.announced_at, t.closed_at,"
    " (SELECT COALESCE(m.text, '') FROM ticket_messages m WHERE m.ticket_id = t.id"
    "  AND m.direction = 'question' ORDER BY m.id LIMIT 1) AS first_text"
)


def _ticket(row: Row) -> Ticket:
    return Ticket(
        id=row["id"],
        student_id=row["student_id"],
        call_id=row["call_id"],
        programme_code=row["programme_code"],
        locale=row["locale"],
        status=TicketStatus(row["status"]),
        work_chat_id=row["work_chat_id"],
        topic_id=row["topic_id"],
        header_message_id=row["header_message_id"],
        rating=row["rating"],
        created_at=from_epoch(row["created_at"]),
        waiting_since=from_epoch(row["waiting_since"]),
        answered_at=from_epoch(row["answered_at"]),
        announced_at=from_epoch(row["announced_at"]),
        closed_at=from_epoch(row["closed_at"]),
        first_text=row["first_text"] or "",
    )


class TicketsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- tickets ----------------------------------------------------------------------------
    async def open_ticket(
        self,
        student_id: int,
        call_id: int | None,
        programme_code: str | None,
        locale: str,
        now: datetime,
        question: dict[str, Any] | None = None,
    ) -> int:
        """A new open ticket and, in the same transaction, its first question (`question`:
        kind, text, file_id, message_id in the student's chat)."""
        async with self.db.transaction():
            ticket_id = await self.db.execute(
                "INSERT INTO tickets (student_id, call_id, programme_code, locale, status,"
                " created_at, waiting_since) VALUES (?, ?, ?, ?, 'open', ?, ?)",
                (student_id, call_id, programme_code, locale, to_epoch(now), to_epoch(now)),
            )
            if question is not None:
                await self.add_message(
                    ticket_id,
                    "question",
                    student_id,
                    question["kind"],
                    question["text"],
                    question["file_id"],
                    now,
                    student_message_id=question["message_id"],
                )
        return ticket_id

    async def get(self, ticket_id: int) -> Ticket | None:
        row = await self.db.fetchone(
            f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = ?", (ticket_id,)
        )
        return None if row is None else _ticket(row)

    async def of_student(self, student_id: int, limit: int = 20) -> list[Ticket]:
        rows = await self.db.fetchall(
            f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.student_id = ?"
            " ORDER BY t.status = 'closed', t.id DESC LIMIT ?",
            (student_id, limit),
        )
        return [_ticket(r) for r in rows]

    async def open_for(self, student_id: int, call_id: int | None) -> Ticket | None:
        """The student's not-closed ticket about this call (or general), newest first."""
        row = await self.db.fetchone(
            f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.student_id = ?"
            " AND t.status != 'closed' AND t.call_id IS ? ORDER BY t.id DESC LIMIT 1",
            (student_id, call_id),
        )
        return None if row is None else _ticket(row)

    async def count_not_closed(self, student_id: int) -> int:
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM tickets WHERE student_id = ? AND status != 'closed'",
            (student_id,),
        )

    async def not_closed(self) -> list[Ticket]:
        """Tickets still in play, oldest first (the `/queue`)."""
        rows = await self.db.fetchall(
            f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.status != 'closed'"
            " ORDER BY t.created_at, t.id"
        )
        return [_ticket(r) for r in rows]

    async def waiting(self) -> list[Ticket]:
        rows = await self.db.fetchall(
            f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.status = 'open'"
            " ORDER BY t.waiting_since, t.id"
        )
        return [_ticket(r) for r in rows]

    async def unposted(self) -> list[Ticket]:
        """Open tickets that never reached the work chat (it was down or not configured)."""
        rows = await self.db.fetchall(
            f"SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.status != 'closed'"
            " AND t.header_message_id IS NULL ORDER BY t.id"
        )
        return [_ticket(r) for r in rows]

    async def set_topic(self, ticket_id: int, chat_id: int, topic_id: int) -> None:
        await self.db.execute(
            "UPDATE tickets SET work_chat_id = ?, topic_id = ? WHERE id = ?",
            (chat_id, topic_id, ticket_id),
        )

    async def set_posted(
        self, ticket_id: int, chat_id: int, topic_id: int | None, header_id: int, now: datetime
    ) -> None:
        await self.db.execute(
            "UPDATE tickets SET work_chat_id = ?, topic_id = ?, header_message_id = ?,"
            " announced_at = ? WHERE id = ?",
            (chat_id, topic_id, header_id, to_epoch(now), ticket_id),
        )

    async def mark_announced(self, ticket_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE tickets SET announced_at = ? WHERE id = ?", (to_epoch(now), ticket_id)
        )

    async def mark_waiting(self, ticket_id: int, now: datetime) -> None:
        """The student wrote: the ticket waits for a coordinator again (since the first
        unanswered message)."""
        await self.db.execute(
            "UPDATE tickets SET status = 'open', waiting_since = COALESCE(waiting_since, ?)"
            " WHERE id = ? AND status != 'closed'",
            (to_epoch(now), ticket_id),
        )

    async def mark_answered(self, ticket_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE tickets SET status = 'answered', answered_at = ?, waiting_since = NULL"
            " WHERE id = ? AND status != 'closed'",
            (to_epoch(now), ticket_id),
        )

    async def close(self, ticket_id: int, by: int, now: datetime) -> bool:
        """Close; False when it was already closed."""
        async with self.db.transaction():
            status = await self.db.fetchval("SELECT status FROM tickets WHERE id = ?", (ticket_id,))
            if status is None or status == TicketStatus.CLOSED:
                return False
            await self.db.execute(
                "UPDATE tickets SET status = 'closed', closed_at = ?, closed_by = ?,"
                " waiting_since = NULL WHERE id = ?",
                (to_epoch(now), by, ticket_id),
            )
        return True

    async def rate(self, ticket_id: int, rating: int) -> None:
        await self.db.execute("UPDATE tickets SET rating = ? WHERE id = ?", (rating, ticket_id))

    # -- messages and the id mapping ---------------------------------------------------------
    async def add_message(
        self,
        ticket_id: int,
        direction: str,
        author_id: int,
        kind: str,
        text: str | None,
        file_id: str | None,
        now: datetime,
        student_message_id: int | None = None,
        work_chat_id: int | None = None,
        work_message_id: int | None = None,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO ticket_messages (ticket_id, direction, author_id, kind, text, file_id,"
            " student_message_id, work_chat_id, work_message_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id,
                direction,
                author_id,
                kind,
                text,
                file_id,
                student_message_id,
                work_chat_id,
                work_message_id,
                to_epoch(now),
            ),
        )

    async def set_work_message(self, message_row_id: int, chat_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE ticket_messages SET work_chat_id = ?, work_message_id = ? WHERE id = ?",
            (chat_id, message_id, message_row_id),
        )

    async def set_student_message(self, message_row_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE ticket_messages SET student_message_id = ? WHERE id = ?",
            (message_id, message_row_id),
        )

    async def questions_not_mirrored(self, ticket_id: int) -> list[dict[str, Any]]:
        """The student's messages of a ticket that are not yet in the work chat."""
        rows = await self.db.fetchall(
            "SELECT id, kind, text, student_message_id FROM ticket_messages WHERE ticket_id = ?"
            " AND direction = 'question' AND work_message_id IS NULL ORDER BY id",
            (ticket_id,),
        )
        return [dict(r) for r in rows]

    async def first_question_id(self, ticket_id: int) -> int | None:
        return await self.db.fetchval(
            "SELECT MIN(id) FROM ticket_messages WHERE ticket_id = ? AND direction = 'question'",
            (ticket_id,),
        )

    async def last_question_message_id(self, ticket_id: int) -> int | None:
        """The student's latest message of the ticket, in their chat (answers reply to it)."""
        return await self.db.fetchval(
            "SELECT student_message_id FROM ticket_messages WHERE ticket_id = ?"
            " AND direction = 'question' ORDER BY id DESC LIMIT 1",
            (ticket_id,),
        )

    async def answer_copy(self, chat_id: int, work_message_id: int) -> int | None:
        """The student's copy of a coordinator's answer (to follow the coordinator's edits)."""
        return await self.db.fetchval(
            "SELECT student_message_id FROM ticket_messages WHERE direction = 'answer'"
            " AND work_chat_id = ? AND work_message_id = ?",
            (chat_id, work_message_id),
        )

    async def remember_student_message(
        self, student_id: int, message_id: int, ticket_id: int
    ) -> None:
        await self.db.execute(
            "INSERT OR REPLACE INTO ticket_student_messages (student_id, message_id, ticket_id)"
            " VALUES (?, ?, ?)",
            (student_id, message_id, ticket_id),
        )

    async def is_student_message(self, student_id: int, message_id: int) -> bool:
        """Whether the bot's message in the student's chat was remembered (e.g. a header)."""
        return bool(
            await self.db.fetchval(
                "SELECT 1 FROM ticket_student_messages WHERE student_id = ? AND message_id = ?",
                (student_id, message_id),
            )
        )

    async def by_student_message(self, student_id: int, message_id: int) -> Ticket | None:
        """The ticket a message in the student's chat belongs to (theirs or the bot's)."""
        ticket_id = await self.db.fetchval(
            "SELECT ticket_id FROM ticket_student_messages WHERE student_id = ? AND message_id = ?"
            " UNION ALL SELECT m.ticket_id FROM ticket_messages m JOIN tickets t"
            " ON t.id = m.ticket_id WHERE t.student_id = ? AND m.student_message_id = ? LIMIT 1",
            (student_id, message_id, student_id, message_id),
        )
        return None if ticket_id is None else await self.get(ticket_id)

    async def by_work_message(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket a message in the work chat belongs to (header, mirror or answer)."""
        ticket_id = await self.db.fetchval(
            "SELECT id FROM tickets WHERE work_chat_id = ? AND header_message_id = ?"
            " UNION ALL SELECT ticket_id FROM ticket_messages WHERE work_chat_id = ?"
            " AND work_message_id = ? LIMIT 1",
            (chat_id, message_id, chat_id, message_id),
        )
        return None if ticket_id is None else await self.get(ticket_id)

    async def by_topic(self, chat_id: int, topic_id: int) -> Ticket | None:
        ticket_id = await self.db.fetchval(
            "SELECT id FROM tickets WHERE work_chat_id = ? AND topic_id = ? ORDER BY id DESC",
            (chat_id, topic_id),
        )
        return None if ticket_id is None else await self.get(ticket_id)

    # -- privacy, names, notices -------------------------------------------------------------
    async def username_consent(self, user_id: int) -> bool | None:
        """True/False once the student decided; None if never asked."""
        value = await self.db.fetchval(
            "SELECT share_username FROM ticket_privacy WHERE user_id = ?", (user_id,)
        )
        return None if value is None else bool(value)

    async def set_username_consent(self, user_id: int, share: bool, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO ticket_privacy (user_id, share_username, decided_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET share_username = excluded.share_username,"
            " decided_at = excluded.decided_at",
            (user_id, int(share), to_epoch(now)),
        )

    async def display_name(self, user_id: int) -> str | None:
        return await self.db.fetchval(
            "SELECT display_name FROM coordinator_names WHERE user_id = ?", (user_id,)
        )

    async def display_names(self, user_ids: list[int]) -> dict[int, str]:
        """Names to show staff in the work chat: the chosen name, else the Telegram one."""
        names: dict[int, str] = {}
        for user_id in user_ids:
            name = await self.db.fetchval(
                "SELECT COALESCE((SELECT display_name FROM coordinator_names WHERE user_id = ?),"
                " (SELECT NULLIF(first_name, '') FROM users WHERE id = ?))",
                (user_id, user_id),
            )
            if name:
                names[user_id] = name
        return names

    async def set_display_name(self, user_id: int, name: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO coordinator_names (user_id, display_name, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET display_name = excluded.display_name,"
            " updated_at = excluded.updated_at",
            (user_id, name, to_epoch(now)),
        )

    async def tell_once(self, user_id: int, now: datetime) -> bool:
        """Record that a non-staff member was told; True only the first time."""
        async with self.db.transaction():
            told = await self.db.fetchval(
                "SELECT 1 FROM work_chat_notices WHERE user_id = ?", (user_id,)
            )
            if told:
                return False
            await self.db.execute(
                "INSERT INTO work_chat_notices (user_id, told_at) VALUES (?, ?)",
                (user_id, to_epoch(now)),
            )
        return True
