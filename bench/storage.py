"""Database size per 100,000 students: `python -m bench.storage [--students N]`.

One temporary SQLite file with the real schema (migrations) is measured at four stages, each
after `VACUUM` and a WAL checkpoint, so the file holds exactly its pages:

1. empty: just migrated (the fixed cost of the schema and the programme rows);
2. catalogue: plus `calls` synthetic calls in four languages with their search body
   (bench/queries.py) — the baseline the students are measured against;
3. students: plus N students as the bot leaves them: a full profile, the FSM row of their
   chat, about 3 saved calls each (half of them with 1 to all of their documents ticked), four pending
   reminders per unmuted save, changed notification settings for a quarter of them, and a
   ticket with its messages for 3 %;
4. one broadcast: plus one outbox row per student for a sent broadcast. The nightly clean-up
   (`OutboxRepo.purge_finished`) deletes them BROADCAST_KEEP_DAYS after the broadcast
   finished (its figures stay on its job row), so this much is held per broadcast of the
   last month.

Per-table sizes come from SQLite's `dbstat` table (indexes counted with their table) when
the SQLite build has it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.queries import COUNTRIES, LEVEL_WEIGHTS, LOCALES, NOW, _random_fields
from bench.queries import build as build_catalogue
from bot.clock import to_epoch
from bot.config import PROJECT_ROOT
from bot.db.connection import Database, open_database
from bot.db.migrate import apply_migrations
from bot.domain.audience import BROADCAST
from bot.domain.checklist import GENERIC_DEFAULTS, PROGRAMME_DEFAULTS
from bot.domain.profile import DEADLINE_WINDOWS, Funding
from bot.domain.reminders import DEFAULT_REMINDER_DAYS

BOT_ID = 1_000_000_001
FIRST_STUDENT = 500_000_000
PER = 100_000
QUESTION = (
    "Assalomu alaykum! Men bakalavr bosqichini tugatyapman, IELTS 6.0 bor. Shu dasturga"
    " topshirsam bo'ladimi va motivatsion xat necha so'z bo'lishi kerak?"
)
ANSWER = (
    "Salom! Ha, bu chaqiriq magistratura uchun, bakalavr diplomi topshirish paytida bo'lishi"
    " kerak (oxirgi kursdagilar ham qabul qilinadi). IELTS 6.0 yetarli. Motivatsion xat odatda"
    " 1-2 sahifa; universitetning o'z talablarini rasmiy sahifadan tekshiring."
)


@dataclass
class Stage:
    name: str
    bytes: int
    tables: dict[str, int] = field(default_factory=dict)  # table (with its indexes) -> bytes


@dataclass
class Result:
    students: int
    calls: int
    rows: dict[str, int]
    stages: list[Stage]
    build_seconds: float

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def per_students(self, name: str, baseline: str) -> float:
        """Bytes the step from `baseline` to `name` adds per 100,000 students."""
        return (self.stage(name).bytes - self.stage(baseline).bytes) / self.students * PER


def _file_bytes(path: Path) -> int:
    """The database file and its write-ahead log (empty after a TRUNCATE checkpoint)."""
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def _measure(db: Database, path: Path, name: str) -> Stage:
    await db.execute("VACUUM")
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = _file_bytes(path)
    tables: dict[str, int] = defaultdict(int)
    try:
        rows = await db.fetchall(
            "SELECT coalesce(m.tbl_name, d.name) AS tbl, sum(d.pgsize) AS bytes"
            " FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY tbl"
        )
    except Exception:  # an SQLite built without dbstat: the file size alone
        rows = []
    for row in rows:
        # FTS5 keeps its index in shadow tables named after it (call_search_data, ...).
        table = "call_search" if row["tbl"].startswith("call_search") else row["tbl"]
        tables[table] += row["bytes"]
    return Stage(name, size, dict(tables))


def _students(
    students: int, programmes: dict[int, str], call_ids: list[int], seed: int
) -> Iterator[tuple[str, tuple[object, ...]]]:
    """Rows as (table, values), in the order foreign keys need them."""
    rng = random.Random(seed)
    now = to_epoch(NOW)
    call_ids = sorted(call_ids)
    codes = sorted(set(programmes.values()))
    ticket_id = message_id = 0
    for n in range(students):
        uid = FIRST_STUDENT + n
        created = now - rng.randint(0, 365 * 86400)
        level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        yield (
            "users",
            (
                uid,
                f"Talaba {n}",
                None if rng.random() < 0.4 else f"talaba_{n}",
                rng.choice(("uz", "ru", "en", None)),
                rng.choice(LOCALES),
                level.value,
                _random_fields(rng),
                rng.choice(codes) if rng.random() < 0.2 else None,
                rng.choice(list(Funding)).value if rng.random() < 0.15 else None,
                rng.choice(COUNTRIES) if rng.random() < 0.15 else None,
                rng.choice(DEADLINE_WINDOWS) if rng.random() < 0.2 else None,
                1,
                int(rng.random() > 0.05),
                created,
                created + rng.randint(0, 30 * 86400),
                rng.choice(call_ids) if rng.random() < 0.1 else None,
            ),
        )
        yield "fsm_states", (f"{BOT_ID}:{uid}:{uid}:0:default", None, "{}")
        if rng.random() < 0.25:
            yield (
                "notify_prefs",
                (
                    uid,
                    rng.choice(("30,7,1,0", "7,1", "14,3,0", "")),
                    rng.choice((9, 10, 18, 20)),
                    int(rng.random() < 0.4),
                    int(rng.random() < 0.3),
                ),
            )
        saved = rng.sample(call_ids, rng.choice((1, 2, 3, 3, 4, 5)))  # 3 on average
        for call_id in saved:
            muted = int(rng.random() < 0.1)
            yield "saved_calls", (uid, call_id, created + rng.randint(0, 86400), muted)
            documents = PROGRAMME_DEFAULTS.get(programmes[call_id], GENERIC_DEFAULTS)
            ticked = rng.randint(1, len(documents)) if rng.random() < 0.5 else 0
            for doc in rng.sample(documents, ticked):
                yield "checklist_ticks", (uid, call_id, doc, created + rng.randint(0, 90 * 86400))
            if not muted:
                deadline = now + rng.randint(35, 200) * 86400
                for days in DEFAULT_REMINDER_DAYS:
                    yield "outbox", (uid, call_id, "reminder", days, None, deadline - days * 86400,
                                     "pending", "{}", now, now, None)  # fmt: skip
        if rng.random() < 0.03:
            ticket_id += 1
            call_id = saved[0]
            yield "tickets", (ticket_id, uid, call_id, programmes[call_id], "uz", "answered",
                              -1_001_000_000_000, ticket_id, ticket_id, now, now + 3600)  # fmt: skip
            for direction, text in (("question", QUESTION), ("answer", ANSWER),
                                    ("question", "Rahmat!")):  # fmt: skip
                message_id += 1
                author = uid if direction == "question" else 42
                yield "ticket_messages", (message_id, ticket_id, direction, author, "text", text,
                                          message_id, -1_001_000_000_000, message_id, now)  # fmt: skip
                yield "ticket_student_messages", (uid, message_id, ticket_id)
            yield "ticket_privacy", (uid, int(rng.random() < 0.5), now)


INSERTS = {
    "users": "INSERT INTO users (id, first_name, username, telegram_language, language, level,"
    " fields_mask, facet_programme, facet_funding, facet_country, facet_window_days, onboarded,"
    " is_active, created_at, last_seen_at, came_via_call_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "fsm_states": "INSERT INTO fsm_states (key, state, data) VALUES (?,?,?)",
    "notify_prefs": "INSERT INTO notify_prefs (user_id, reminder_days, send_hour, subscribed,"
    " digest) VALUES (?,?,?,?,?)",
    "saved_calls": "INSERT INTO saved_calls (user_id, call_id, saved_at, muted) VALUES (?,?,?,?)",
    "checklist_ticks": "INSERT INTO checklist_ticks (user_id, call_id, doc_key, ticked_at)"
    " VALUES (?,?,?,?)",
    "outbox": "INSERT INTO outbox (user_id, call_id, kind, slot, job_id, due_at, state, payload,"
    " created_at, updated_at, sent_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "tickets": "INSERT INTO tickets (id, student_id, call_id, programme_code, locale, status,"
    " work_chat_id, topic_id, header_message_id, created_at, answered_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "ticket_messages": "INSERT INTO ticket_messages (id, ticket_id, direction, author_id, kind,"
    " text, student_message_id, work_chat_id, work_message_id, created_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?)",
    "ticket_student_messages": "INSERT INTO ticket_student_messages (student_id, message_id,"
    " ticket_id) VALUES (?,?,?)",
    "ticket_privacy": "INSERT INTO ticket_privacy (user_id, share_username, decided_at)"
    " VALUES (?,?,?)",
}


async def add_students(db: Database, students: int, seed: int = 3) -> dict[str, int]:
    """Insert `students` students and everything they leave behind; rows written per table."""
    programmes = {
        row["id"]: row["code"]
        for row in await db.fetchall(
            "SELECT c.id, p.code FROM calls c JOIN programmes p ON p.id = c.programme_id"
            " WHERE c.status = 'published'"
        )
    }
    batches: dict[str, list[tuple[object, ...]]] = {table: [] for table in INSERTS}
    counts: dict[str, int] = defaultdict(int)

    async def flush() -> None:
        async with db.transaction():
            for table, rows in batches.items():  # dict order = foreign-key order
                if rows:
                    await db.executemany(INSERTS[table], rows)
                    counts[table] += len(rows)
                    rows.clear()

    for n, (table, values) in enumerate(_students(students, programmes, list(programmes), seed)):
        batches[table].append(values)
        if n % 50_000 == 49_999:
            await flush()
    await flush()
    return dict(counts)


async def add_broadcast(db: Database) -> int:
    """One sent broadcast to every student: a job and one outbox row each."""
    now = to_epoch(NOW)
    job_id = await db.execute(
        "INSERT INTO delivery_jobs (kind, created_by, payload, created_at) VALUES (?,?,?,?)",
        (BROADCAST, 42, '{"segment": "all", "locale": "uz"}', now),
    )
    await db.execute(
        "INSERT INTO outbox (user_id, kind, slot, job_id, due_at, state, attempts, created_at,"
        " updated_at, sent_at) SELECT id, ?, ?, ?, ?, 'sent', 1, ?, ?, ? FROM users",
        (BROADCAST, job_id, job_id, now, now, now, now),
    )
    return await db.fetchval("SELECT count(*) FROM outbox WHERE job_id = ?", (job_id,))


async def run(students: int = PER, calls: int = 300) -> Result:
    with tempfile.TemporaryDirectory(prefix="imkon-bench-") as tmp:
        path = Path(tmp) / "storage.sqlite3"
        db = await open_database(path)
        try:
            await apply_migrations(db, PROJECT_ROOT / "migrations")
            stages = [await _measure(db, path, "empty")]
            await build_catalogue(db, calls, users=0)
            stages.append(await _measure(db, path, "catalogue"))
            began = time.perf_counter()
            rows = await add_students(db, students)
            build_seconds = time.perf_counter() - began
            stages.append(await _measure(db, path, "students"))
            rows["outbox (broadcast)"] = await add_broadcast(db)
            stages.append(await _measure(db, path, "broadcast"))
        finally:
            await db.close()
    return Result(students, calls, rows, stages, build_seconds)


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


async def main(students: int = PER, calls: int = 300) -> None:
    from bench import print_table

    r = await run(students, calls)
    empty, catalogue, full = r.stage("empty"), r.stage("catalogue"), r.stage("students")
    print_table(
        f"(d) Database size after VACUUM: {r.students:,} students, {r.calls} calls"
        f" (students built in {r.build_seconds:.1f} s)",
        ("stage", "file", "added", f"per {PER:,} students"),
        [
            ("empty, migrated", _mb(empty.bytes), "", ""),
            (f"+ {r.calls} calls (baseline)", _mb(catalogue.bytes),
             _mb(catalogue.bytes - empty.bytes), ""),
            (f"+ {r.students:,} students", _mb(full.bytes), _mb(full.bytes - catalogue.bytes),
             _mb(r.per_students("students", "catalogue"))),
            ("+ one broadcast to all", _mb(r.stage("broadcast").bytes),
             _mb(r.stage("broadcast").bytes - full.bytes),
             _mb(r.per_students("broadcast", "students"))),
        ],
    )  # fmt: skip
    print(
        "rows per student: "
        + ", ".join(f"{table} {n / r.students:.2f}" for table, n in r.rows.items())
    )
    if full.tables:
        grown = sorted(
            ((t, b - catalogue.tables.get(t, 0)) for t, b in full.tables.items()),
            key=lambda item: -item[1],
        )
        print_table(
            "students' bytes by table (indexes included)",
            ("table", f"per {PER:,} students", "share"),
            [
                (t, _mb(b / r.students * PER), f"{b / (full.bytes - catalogue.bytes) * 100:.0f} %")
                for t, b in grown
                if b > 0
            ],
        )
    print(
        f"VERDICT storage: {_mb(r.per_students('students', 'catalogue'))} per {PER:,} students"
        f" ({(full.bytes - catalogue.bytes) / r.students:,.0f} bytes each), plus"
        f" {_mb(r.per_students('broadcast', 'students'))} per broadcast to all of them"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    parser.add_argument("--students", type=int, default=PER)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.students, args.calls))
