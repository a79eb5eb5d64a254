"""Searches are answered from an in-memory index of the published calls (bot/db/search_index.py).
Whatever changes the catalogue — an admin's edit or publish, a close, a write from another
process — the very next search must see it, and agree with the plain reading of the rules."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import pytest

from bench.queries import NOW, SEARCHES, build
from bot.clock import to_epoch
from bot.config import PROJECT_ROOT
from bot.db.calls import CallsRepo
from bot.db.connection import Database, open_database
from bot.db.migrate import apply_migrations
from bot.domain.calls import Call
from bot.domain.catalog_rows import call_from_row
from bot.domain.profile import CallStatus
from bot.domain.translit import fts_query
from bot.keyboards.admin import AdmCallCb
from bot.services.catalog_files import TEMPLATE_ROW
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, TASHKENT, onboard
from tests.test_calls_query import PAGE_SIZE, reference

MATCHES = "c.id IN (SELECT rowid FROM call_search s WHERE s.body MATCH ?)"


async def desk_call(app, **row) -> Call:
    """A call created through the admin desk, as an admin's file row would make it."""
    programmes = {p.code: p for p in await app.repos.calls.programmes()}
    values = {**TEMPLATE_ROW, "deadline_at": "2027-03-01 18:00", **row}
    call, errors = call_from_row(values, TASHKENT, programmes, date(2026, 11, 23))
    assert not errors, errors
    return await app.services.desk.create(call, ADMIN_ID, app.clock.now())


async def test_an_edited_title_is_found_by_the_very_next_search(app, telegram, admin, student):
    call = await desk_call(app, status="published", title_ru="Грант Самарканд")
    await onboard(telegram, student)
    await telegram.send(student, "Самарканд")
    assert "Found: 1" in telegram.last_bot_text(student.id)
    await telegram.send(student, "Бухара")
    assert "Nothing found" in telegram.last_bot_text(student.id)

    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="edit").pack())
    await telegram.press(admin, "Text RU")
    await telegram.send(admin, "Грант Бухара")
    await telegram.send(admin, "Новое описание")

    await telegram.send(student, "Бухара")
    assert "Found: 1" in telegram.last_bot_text(student.id)
    await telegram.send(student, "Samarqand")
    assert "Nothing found" in telegram.last_bot_text(student.id)


async def test_a_published_draft_is_found_by_the_very_next_search(app, telegram, admin, student):
    draft = await desk_call(app, status="draft", title_en="Tashkent exchange")
    await onboard(telegram, student)
    await telegram.send(student, "Tashkent exchange")
    assert "Nothing found" in telegram.last_bot_text(student.id)

    await app.services.desk.set_status(draft, CallStatus.PUBLISHED, ADMIN_ID, app.clock.now())

    await telegram.send(student, "Tashkent exchange")
    assert "Found: 1" in telegram.last_bot_text(student.id)


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "catalogue.sqlite3")
    await apply_migrations(database, PROJECT_ROOT / "migrations")
    await build(database, calls=400, users=10, seed=5)
    yield database
    await database.close()


async def assert_searches_agree(repo: CallsRepo, db: Database, rng: random.Random) -> None:
    for query in rng.sample(SEARCHES, 4):
        page = rng.choice([0, 0, 1, 4, 10_000])
        found = await repo.search(query, NOW, page=page, page_size=PAGE_SIZE)
        expected = await reference(db, MATCHES, [fts_query(query)], NOW, page)
        assert (found.total, found.page, [c.id for c in found.calls]) == expected, query


async def test_search_stays_right_through_every_kind_of_catalogue_write(db: Database) -> None:
    """Each write lands between two searches of one repository, whose index was warm."""
    repo = CallsRepo(db)
    rng = random.Random(3)
    ids = [row[0] for row in await db.fetchall("SELECT id FROM calls")]
    await assert_searches_agree(repo, db, rng)
    for call_id in rng.sample(ids, 60):
        change = rng.choice(["status", "deadline", "rolling", "texts", "delete"])
        if change == "status":
            status = rng.choice(list(CallStatus))
            await repo.set_status(call_id, status, NOW)
        elif change == "deadline":
            await db.execute(
                "UPDATE calls SET deadline_at = ? WHERE id = ?",
                (to_epoch(NOW) + rng.randint(-50, 300) * 86400, call_id),
            )
        elif change == "rolling":
            await db.execute("UPDATE calls SET deadline_at = NULL WHERE id = ?", (call_id,))
        elif change == "texts":  # saved as the admin desk saves: body rebuilt from the texts
            call = await repo.get(call_id)
            assert call is not None
            donor = await repo.get(rng.choice(ids))
            if donor is not None:
                await repo.save(replace(call, texts=donor.texts), NOW)
        else:
            await db.execute("DELETE FROM calls WHERE id = ?", (call_id,))
        await assert_searches_agree(repo, db, rng)


async def test_a_write_from_another_process_reaches_the_next_search(db: Database, tmp_path) -> None:
    repo = CallsRepo(db)
    before = await repo.search("fulbright", NOW)
    assert before.total > 0
    other = await open_database(tmp_path / "catalogue.sqlite3")  # a second process, in effect
    try:
        await CallsRepo(other).set_status(before.calls[0].id, CallStatus.CLOSED, NOW)
    finally:
        await other.close()
    after = await repo.search("fulbright", NOW)
    assert after.total == before.total - 1
    assert before.calls[0].id not in [c.id for c in after.calls]
