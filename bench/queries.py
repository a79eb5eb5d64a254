"""Filter-query and search latency on a realistic database: 10,000 calls, 100,000 users.

The database is a temporary SQLite file with the real schema (migrations), filled with
synthetic calls made from the seed catalogue's texts in four languages (titles numbered,
levels, fields, countries, funding and deadlines drawn at random, 80 % published, some
closed, drafts, rolling deadlines), their FTS search body, and 100,000 users with saved
profiles. The student's filters are taken from those users' profiles (level + fields, and
sometimes a programme, funding, country or deadline window), page 0, as the bot asks.
Baseline in the same run: `CallsRepo.get` by primary key (the cost of a round trip).
Searches are timed twice: as students repeat them (the in-memory index warm), and each the
first after a catalogue edit (index rebuilt, every word asked of FTS5 again).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import percentile
from bot.clock import to_epoch
from bot.config import PROJECT_ROOT
from bot.db.calls import CallsRepo
from bot.db.connection import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.users import UsersRepo
from bot.domain.profile import (
    ALL_FIELDS_MASK,
    DEADLINE_WINDOWS,
    Field,
    Funding,
    Level,
)
from bot.domain.translit import fold

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Tashkent"))
SEED_FILE = PROJECT_ROOT / "bot" / "data" / "seed_catalog.json"
COUNTRIES = (
    "EU", "DE", "US", "FR", "IT", "ES", "PL", "HU", "CZ", "AT", "NL", "BE", "PT", "FI", "SE",
    "GB", "KR", "JP", "TR", "LT",
)  # fmt: skip
LOCALES = ("uz", "uz_Cyrl", "ru", "en")
SEARCHES = (
    "erasmus", "Erasmus Mundus", "магистратура", "magistratura", "stipendiya", "стипендия",
    "DAAD research", "fulbright", "o‘qish", "ўқиш", "Germaniya", "Германия", "PhD",
    "El-Yurt", "engineering",
)  # fmt: skip
LEVEL_WEIGHTS = {
    Level.BACHELOR: 3,
    Level.MASTER: 5,
    Level.DOCTORAL: 3,
    Level.POSTDOC: 1,
    Level.STAFF: 1,
    Level.PROFESSIONAL: 1,
}


@dataclass
class Latency:
    name: str
    samples: list[float]  # seconds

    def ms(self, pct: float) -> float:
        return percentile(self.samples, pct) * 1000

    @property
    def mean_ms(self) -> float:
        return sum(self.samples) / len(self.samples) * 1000


@dataclass
class Result:
    calls: int
    users: int
    open_calls: int
    build_seconds: float
    latencies: list[Latency]
    mean_matches: float


def _templates() -> list[dict]:
    calls = json.loads(SEED_FILE.read_text(encoding="utf-8"))["calls"]
    for call in calls:
        # Folding is per character in Python: do it once per template, not per copy.
        call["_folded"] = fold(
            "\n".join(part for t in call["texts"].values() for part in (t["title"], t["summary"]))
        )
    return calls


def _random_levels(rng: random.Random) -> int:
    levels = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()), k=2)
    return sum({level.bit for level in levels[: rng.choice((1, 1, 2))]})


def _random_fields(rng: random.Random) -> int:
    if rng.random() < 0.15:
        return ALL_FIELDS_MASK
    return sum({field.bit for field in rng.sample(list(Field), rng.randint(1, 3))})


async def build(db: Database, calls: int, users: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    templates = _templates()
    programmes = {
        row["code"]: (row["id"], row["name"])
        for row in await db.fetchall("SELECT id, code, name FROM programmes")
    }
    now = to_epoch(NOW)
    call_rows, text_rows, country_rows, search_rows = [], [], [], []
    for call_id in range(1, calls + 1):
        template = templates[call_id % len(templates)]
        programme_id, programme_name = programmes[template["programme"]]
        status = rng.choices(("published", "closed", "draft"), weights=(80, 12, 8))[0]
        rolling = rng.random() < 0.12
        deadline = None if rolling else now + rng.randint(-200, 400) * 86400 + rng.randint(0, 86399)
        call_rows.append(
            (
                call_id,
                f"synthetic-{call_id}",
                programme_id,
                status,
                _random_levels(rng),
                _random_fields(rng),
                rng.choice(list(Funding)).value,
                rng.choice((None, "IELTS 6.0", "IELTS 6.5", "TOEFL iBT 80")),
                None if deadline is None else deadline - 120 * 86400,
                deadline,
                int(rng.random() < 0.3),
                template["official_url"],
                template["source_url"],
                (NOW.date() - timedelta(days=rng.randint(0, 400))).isoformat(),
                now,
                now,
            )
        )
        for lang, text in template["texts"].items():
            text_rows.append((call_id, lang, f"{text['title']} №{call_id}", text["summary"]))
        for country in rng.sample(COUNTRIES, rng.randint(1, 3)):
            country_rows.append((call_id, country))
        search_rows.append(
            (call_id, f"{fold(programme_name)}\n{template['programme']}\n{template['_folded']}")
        )
    user_rows = []
    for n in range(users):
        created = now - rng.randint(0, 365 * 86400)
        level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        user_rows.append(
            (
                10_000_000 + n,
                f"Student {n}",
                None if rng.random() < 0.4 else f"student{n}",
                rng.choice(("uz", "ru", "en", None)),
                rng.choice(LOCALES),
                level.value,
                _random_fields(rng),
                rng.choice(list(programmes)) if rng.random() < 0.2 else None,
                rng.choice(list(Funding)).value if rng.random() < 0.15 else None,
                rng.choice(COUNTRIES) if rng.random() < 0.15 else None,
                rng.choice(DEADLINE_WINDOWS) if rng.random() < 0.2 else None,
                1,
                int(rng.random() > 0.05),
                created,
                created + rng.randint(0, 30 * 86400),
            )
        )
    async with db.transaction():
        await db.executemany(
            "INSERT INTO calls (id, external_id, programme_id, status, levels_mask, fields_mask,"
            " funding, language_requirement, opens_at, deadline_at, dates_typical,"
            " official_url, source_url, verified_on, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            call_rows,
        )
        await db.executemany(
            "INSERT INTO call_texts (call_id, lang, title, summary) VALUES (?,?,?,?)", text_rows
        )
        await db.executemany(
            "INSERT INTO call_countries (call_id, country) VALUES (?,?)", country_rows
        )
        await db.executemany("INSERT INTO call_search (rowid, body) VALUES (?,?)", search_rows)
        await db.executemany(
            "INSERT INTO users (id, first_name, username, telegram_language, language, level,"
            " fields_mask, facet_programme, facet_funding, facet_country, facet_window_days,"
            " onboarded, is_active, created_at, last_seen_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            user_rows,
        )
    # No ANALYZE: the bot never runs it, so the planner here sees what it sees in production.


async def _time(samples: int, action: Callable[[int], Awaitable[object]]) -> list[float]:
    timings = []
    for i in range(samples):
        began = time.perf_counter()
        await action(i)
        timings.append(time.perf_counter() - began)
    return timings


async def run(calls: int = 10_000, users: int = 100_000, samples: int = 2000) -> Result:
    with tempfile.TemporaryDirectory(prefix="imkon-bench-") as tmp:
        db = await open_database(Path(tmp) / "queries.sqlite3")
        try:
            await apply_migrations(db, PROJECT_ROOT / "migrations")
            began = time.perf_counter()
            await build(db, calls, users)
            build_seconds = time.perf_counter() - began
            repo = CallsRepo(db)
            rng = random.Random(5)
            ids = [10_000_000 + rng.randrange(users) for _ in range(samples)]
            users_repo = UsersRepo(db)
            filters = [(await users_repo.get(i)).call_filter() for i in ids]  # type: ignore[union-attr]
            open_calls = await db.fetchval(
                "SELECT count(*) FROM calls WHERE status = 'published'"
                " AND (deadline_at IS NULL OR deadline_at > ?)",
                (to_epoch(NOW),),
            )
            call_ids = [rng.randint(1, calls) for _ in range(samples)]

            matches: list[int] = []

            async def find(i: int) -> None:
                matches.append((await repo.find(filters[i], NOW, page=0)).total)

            async def measure() -> list[Latency]:
                for i in range(200):  # warm the page cache and the statement cache
                    await repo.find(filters[i], NOW)
                    await repo.search(SEARCHES[i % len(SEARCHES)], NOW)
                return [
                    Latency(
                        "get by id (baseline)",
                        await _time(samples, lambda i: repo.get(call_ids[i])),
                    ),
                    Latency("find: profile filter", await _time(samples, find)),
                    Latency(
                        "search: text, both scripts",
                        await _time(
                            samples, lambda i: repo.search(SEARCHES[i % len(SEARCHES)], NOW)
                        ),
                    ),
                    Latency("search, first after a catalogue edit", await searches_after_edits()),
                ]

            async def searches_after_edits() -> list[float]:
                """A search right after an admin's edit: the in-memory search index is
                rebuilt and every word looked up in FTS5 again (untimed: the edit)."""
                timings = []
                for i in range(max(1, samples // 10)):
                    await db.execute(
                        "UPDATE calls SET deadline_at = deadline_at WHERE id = ?", (call_ids[i],)
                    )
                    began = time.perf_counter()
                    await repo.search(SEARCHES[i % len(SEARCHES)], NOW)
                    timings.append(time.perf_counter() - began)
                return timings

            latencies = await measure()
        finally:
            await db.close()
    return Result(
        calls,
        users,
        open_calls,
        build_seconds,
        latencies,
        sum(matches[:samples]) / samples,
    )
