"""The storage bench's students are students the bot itself reads back: its bytes-per-student
figure (docs/scaling.md) means something only if the rows it writes are the rows the bot
writes. A migration that changes one of those tables fails here, not in a bench nobody reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bench.queries import NOW
from bench.queries import build as build_catalogue
from bench.storage import FIRST_STUDENT, add_broadcast, add_students
from bot.config import PROJECT_ROOT
from bot.db.applications import ApplicationsRepo
from bot.db.connection import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.outbox import OutboxRepo
from bot.db.tickets import TicketsRepo
from bot.db.users import UsersRepo
from bot.domain.pushes import PushState

STUDENTS = 400


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "storage.sqlite3")
    await apply_migrations(database, PROJECT_ROOT / "migrations")
    await build_catalogue(database, calls=60, users=0)
    yield database
    await database.close()


async def test_bench_students_read_back_as_the_bots_own(db: Database) -> None:
    rows = await add_students(db, STUDENTS)

    assert 2.5 < rows["saved_calls"] / STUDENTS < 3.5  # about 3 saved calls each
    users, applications = UsersRepo(db), ApplicationsRepo(db)
    profiles = [await users.get(FIRST_STUDENT + n) for n in range(STUDENTS)]
    assert all(p is not None and p.onboarded and p.level for p in profiles)
    ticked = 0
    for n in range(STUDENTS):
        for saved in await applications.saved_by(FIRST_STUDENT + n):
            code = await db.fetchval(
                "SELECT p.code FROM calls c JOIN programmes p ON p.id = c.programme_id"
                " WHERE c.id = ?",
                (saved.call_id,),
            )
            checklist = await applications.checklist(FIRST_STUDENT + n, saved.call_id, code)
            assert checklist.ticked <= set(checklist.documents)
            ticked += len(checklist.ticked)
    assert ticked == rows["checklist_ticks"]

    # Every pending reminder falls due for the delivery, to the active students only.
    due = await OutboxRepo(db).due(NOW + timedelta(days=400), limit=10**6)
    active = await db.fetchval(
        "SELECT count(*) FROM outbox o JOIN users u ON u.id = o.user_id WHERE u.is_active = 1"
    )
    assert len(due) == active > 0
    assert {push.kind for push in due} == {"reminder"}

    # A ticket's messages find their ticket, as a student's reply in Telegram does.
    tickets = TicketsRepo(db)
    replies = await db.fetchall("SELECT student_id, message_id FROM ticket_student_messages")
    assert replies
    for row in replies:
        ticket = await tickets.by_student_message(row["student_id"], row["message_id"])
        assert ticket is not None and ticket.student_id == row["student_id"]
        assert await tickets.of_student(row["student_id"]) == [ticket]


async def test_a_broadcast_adds_one_sent_row_per_student(db: Database) -> None:
    await add_students(db, STUDENTS)

    assert await add_broadcast(db) == STUDENTS
    counts = await OutboxRepo(db).counts(await db.fetchval("SELECT max(id) FROM delivery_jobs"))
    assert counts[PushState.SENT] == STUDENTS
