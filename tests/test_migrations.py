"""Schema migrations: empty database, existing database, and a failing migration."""

import shutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import PROJECT_ROOT
from bot.db.connection import open_database
from bot.db.migrate import MigrationError, apply_migrations, migration_files

MIGRATIONS = PROJECT_ROOT / "migrations"


async def test_an_empty_database_gets_every_migration_once(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "a.sqlite3")
    applied = await apply_migrations(db, MIGRATIONS)
    assert applied == [p.name for p in migration_files(MIGRATIONS)]
    assert await apply_migrations(db, MIGRATIONS) == []
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    await db.close()


async def test_an_existing_database_keeps_its_data_when_new_migrations_arrive(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(MIGRATIONS / "0001_catalog.sql", old)
    db = await open_database(tmp_path / "b.sqlite3")
    assert await apply_migrations(db, old) == ["0001_catalog.sql"]
    await db.execute(
        # a language chosen: a private chat's user (0007 drops rows no private chat made)
        "INSERT INTO users (id, first_name, language, created_at, last_seen_at)"
        " VALUES (7, 'Old', 'uz', 1, 1)"
    )
    later = await apply_migrations(db, MIGRATIONS)
    assert "0001_catalog.sql" not in later and later
    assert await db.fetchval("SELECT first_name FROM users WHERE id = 7") == "Old"
    await db.close()


async def test_a_failing_migration_rolls_back_and_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(MIGRATIONS / "0001_catalog.sql", broken)
    (broken / "0002_bad.sql").write_text(
        "CREATE TABLE half_done (x INTEGER);\nTHIS IS NOT SQL;\n", encoding="utf-8"
    )
    db = await open_database(tmp_path / "c.sqlite3")
    with pytest.raises(MigrationError) as failure:
        await apply_migrations(db, broken)
    assert failure.value.filename == "0002_bad.sql"
    tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables  # rolled back
    assert "calls" in tables  # the good migration before it stays
    await db.close()


def test_the_bot_refuses_to_start_on_a_failing_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "0001_bad.sql").write_text("CREATE TABLE (;", encoding="utf-8")
    monkeypatch.setenv("MIGRATIONS_PATH", str(broken))
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "d.sqlite3"))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "0001_bad.sql" in err and "syntax error" in err
