"""CallsRepo.find and .search answer exactly what the plain reading of the rules says:
open calls (published, deadline ahead or rolling) meeting the filter, nearest deadline
first, rolling last, the page clamped to the last one. The reference below is that reading
as one straightforward SQL query; the repository's faster plan must agree with it on a
randomly generated catalogue, for every kind of filter and page."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bench.queries import COUNTRIES, NOW, SEARCHES, build
from bot.clock import to_epoch
from bot.config import PROJECT_ROOT
from bot.db.calls import CallsRepo
from bot.db.connection import Database, open_database
from bot.db.migrate import apply_migrations
from bot.domain.profile import ALL_FIELDS_MASK, DEADLINE_WINDOWS, CallFilter, Field, Funding, Level
from bot.domain.translit import fts_query

PAGE_SIZE = 5


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "catalogue.sqlite3")
    await apply_migrations(database, PROJECT_ROOT / "migrations")
    await build(database, calls=600, users=10, seed=3)
    yield database
    await database.close()


async def reference(
    db: Database, condition: str, params: list[object], now: datetime, page: int
) -> tuple[int, int, list[int]]:
    where = (
        f"c.status = 'published' AND (c.deadline_at IS NULL OR c.deadline_at > ?) AND {condition}"
    )
    args = [to_epoch(now), *params]
    ids = [
        row[0]
        for row in await db.fetchall(
            "SELECT c.id FROM calls c JOIN programmes p ON p.id = c.programme_id"
            f" WHERE {where} ORDER BY c.deadline_at IS NULL, c.deadline_at, c.id",
            args,
        )
    ]
    page = max(0, min(page, max(0, (len(ids) - 1) // PAGE_SIZE)))
    return len(ids), page, ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]


def reference_filter(flt: CallFilter, now: datetime) -> tuple[str, list[object]]:
    clauses, params = ["(c.fields_mask & ?) != 0"], [flt.fields_mask]
    if flt.level:
        clauses.append("(c.levels_mask & ?) != 0")
        params.append(flt.level.bit)
    if flt.programme:
        clauses.append("p.code = ?")
        params.append(flt.programme)
    if flt.funding:
        clauses.append("c.funding = ?")
        params.append(flt.funding.value)
    if flt.country:
        clauses.append("c.id IN (SELECT call_id FROM call_countries WHERE country = ?)")
        params.append(flt.country)
    if flt.window_days:
        clauses.append("c.deadline_at <= ?")
        params.append(to_epoch(now) + flt.window_days * 86400)
    return " AND ".join(clauses), params


def random_filter(rng: random.Random) -> CallFilter:
    fields = rng.sample(list(Field), rng.randint(1, 3))
    return CallFilter(
        level=rng.choice([None, *Level]),
        fields_mask=ALL_FIELDS_MASK if rng.random() < 0.2 else sum(f.bit for f in fields),
        programme=rng.choice([None, None, "erasmus", "fulbright", "daad", "eyuf"]),
        funding=rng.choice([None, None, *Funding]),
        country=rng.choice([None, None, None, *COUNTRIES]),
        window_days=rng.choice([None, None, *DEADLINE_WINDOWS]),
    )


async def test_find_agrees_with_the_plain_rules_for_any_filter_and_page(db: Database) -> None:
    repo = CallsRepo(db)
    rng = random.Random(1)
    checked_rolling = checked_dated_then_rolling = 0
    for _ in range(300):
        flt = random_filter(rng)
        page = rng.choice([0, 0, 1, 2, 5, 40, 10_000])
        found = await repo.find(flt, NOW, page=page, page_size=PAGE_SIZE)
        expected = await reference(db, *reference_filter(flt, NOW), NOW, page)
        assert (found.total, found.page, [c.id for c in found.calls]) == expected, flt
        kinds = [c.deadline_at is None for c in found.calls]
        checked_rolling += all(kinds) and bool(kinds)
        checked_dated_then_rolling += (True in kinds) and (False in kinds)
    # The generated data reached the page that holds both kinds and pages of rolling only.
    assert checked_rolling and checked_dated_then_rolling


async def test_search_agrees_with_the_plain_rules_in_both_scripts(db: Database) -> None:
    repo = CallsRepo(db)
    for query in (*SEARCHES, "nothing-matches-this", "Fulbright magistratura"):
        for page in (0, 1, 3, 999):
            found = await repo.search(query, NOW, page=page, page_size=PAGE_SIZE)
            condition = "c.id IN (SELECT rowid FROM call_search s WHERE s.body MATCH ?)"
            expected = await reference(db, condition, [fts_query(query)], NOW, page)
            assert (found.total, found.page, [c.id for c in found.calls]) == expected, query
    assert (await repo.search("erasmus", NOW)).total > 0
    assert (await repo.search("ўқиш", NOW)).total == (await repo.search("o‘qish", NOW)).total


async def test_find_stays_right_after_calls_are_edited_closed_and_deleted(db: Database) -> None:
    """call_filter is kept by triggers: every kind of write to calls must reach it."""
    repo = CallsRepo(db)
    rng = random.Random(7)
    ids = [row[0] for row in await db.fetchall("SELECT id FROM calls")]
    for call_id in rng.sample(ids, 120):
        change = rng.choice(["status", "deadline", "rolling", "levels", "fields", "delete"])
        if change == "status":
            await db.execute(
                "UPDATE calls SET status = ? WHERE id = ?",
                (rng.choice(["draft", "published", "closed"]), call_id),
            )
        elif change == "deadline":
            await db.execute(
                "UPDATE calls SET deadline_at = ? WHERE id = ?",
                (to_epoch(NOW) + rng.randint(-50, 300) * 86400, call_id),
            )
        elif change == "rolling":
            await db.execute("UPDATE calls SET deadline_at = NULL WHERE id = ?", (call_id,))
        elif change == "levels":
            await db.execute(
                "UPDATE calls SET levels_mask = ? WHERE id = ?", (rng.randint(1, 63), call_id)
            )
        elif change == "fields":
            await db.execute(
                "UPDATE calls SET fields_mask = ? WHERE id = ?",
                (rng.randint(1, ALL_FIELDS_MASK), call_id),
            )
        else:
            await db.execute("DELETE FROM calls WHERE id = ?", (call_id,))
    for _ in range(200):
        flt = random_filter(rng)
        page = rng.choice([0, 0, 1, 3, 10_000])
        found = await repo.find(flt, NOW, page=page, page_size=PAGE_SIZE)
        expected = await reference(db, *reference_filter(flt, NOW), NOW, page)
        assert (found.total, found.page, [c.id for c in found.calls]) == expected, flt
