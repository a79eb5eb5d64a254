"""Reads on the event loop's own thread (`Database.quick_fetch*`) block every other update
while they run. That pays only for statements an index bounds; this test walks a student's
journey and fails when any such statement's query plan scans a table."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.db.connection import Database
from bot.fake_telegram import LocalTelegram, LocalUser
from tests.support.journeys import everyday_journey

# Tables small by nature (the four programmes): scanning them is a lookup.
SMALL_TABLES = {"programmes"}


def scanned_tables(plan: list[str]) -> set[str]:
    """Tables a plan reads in full: `SCAN t` (and `SCAN t USING INDEX`, a full index walk)."""
    return {line.split()[1] for line in plan if line.startswith("SCAN ")}


async def test_loop_thread_reads_of_a_student_journey_never_scan_a_table(
    app: App, telegram: LocalTelegram, student: LocalUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: dict[str, tuple[Any, ...]] = {}
    real = Database.quick_fetchall

    async def recorded(self: Database, sql: str, params: Any = ()) -> Any:
        statements.setdefault(sql, tuple(params))
        return await real(self, sql, params)

    monkeypatch.setattr(Database, "quick_fetchall", recorded)
    await everyday_journey(telegram, student)
    assert len(statements) >= 8, statements.keys()  # the journey reached the hot paths

    scans = {}
    for sql, params in statements.items():
        plan = [row[3] for row in await app.db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
        tables = scanned_tables(plan) - SMALL_TABLES
        if tables:
            scans[" ".join(sql.split())] = plan
    assert not scans, scans


def test_the_plan_reader_sees_scans() -> None:
    assert scanned_tables(["SCAN calls", "SEARCH users USING INTEGER PRIMARY KEY (rowid=?)"]) == {
        "calls"
    }
    assert scanned_tables(["SCAN c USING INDEX calls_deadline"]) == {"c"}
    assert not scanned_tables(["SEARCH f USING PRIMARY KEY (level_bit=? AND status=?)"])
