"""Benchmarks of My applications' engine: `python -m bench.reminders [--users N] [--scale K]`.

1. Finding the due pushes of one tick among 100,000 users × 3 saved calls (× 4 reminders
   each = 1.2 M outbox rows): time and memory, against a full-scan baseline in the same run.
2. Delivering 10,000 pushes to a local HTTP Bot API stand-in that enforces 30 msg/s and
   answers 429 beyond it (time scaled ×K: stand-in limit 30·K/s, sender rate 25·K/s): the
   achieved rate as a share of the configured rate and the 429s met, against an unpaced
   sender as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendMessage

from bot.clock import SystemClock, to_epoch
from bot.config import PROJECT_ROOT
from bot.db.connection import Database, open_database
from bot.db.migrate import apply_migrations
from bot.db.outbox import OutboxRepo
from bot.db.users import UsersRepo
from bot.domain.pushes import NewPush, PushState
from bot.domain.reminders import DEFAULT_REMINDER_DAYS, QuietHours, reminder_moments
from bot.fake_telegram.server import StandInBotAPI
from bot.services.delivery import Delivery

TZ = ZoneInfo("Asia/Tashkent")
START = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


async def _fresh_db(folder: Path, name: str) -> Database:
    db = await open_database(folder / name)
    await apply_migrations(db, PROJECT_ROOT / "migrations")
    return db


async def _users(db: Database, ids: range, now: int) -> None:
    await db.executemany(
        "INSERT INTO users (id, first_name, language, onboarded, created_at, last_seen_at)"
        " VALUES (?, ?, 'en', 1, ?, ?)",
        ((uid, f"U{uid}", now, now) for uid in ids),
    )


async def bench_due(folder: Path, users: int, calls: int = 300) -> dict[str, float]:
    db = await _fresh_db(folder, "due.sqlite3")
    now = to_epoch(START)
    rng = random.Random(7)
    started = time.perf_counter()
    await _users(db, range(1, users + 1), now)
    deadlines = {
        call_id: START + timedelta(days=35 + rng.randrange(60), hours=rng.randrange(24))
        for call_id in range(1, calls + 1)
    }
    await db.executemany(
        "INSERT INTO calls (id, programme_id, status, levels_mask, fields_mask, funding,"
        " deadline_at, official_url, source_url, verified_on, created_at, updated_at)"
        " VALUES (?, 1, 'published', 2, 4095, 'full', ?, 'https://x', 'https://x',"
        " '2026-11-20', ?, ?)",
        ((cid, to_epoch(d), now, now) for cid, d in deadlines.items()),
    )
    quiet = QuietHours()
    moments = {
        cid: reminder_moments(d, DEFAULT_REMINDER_DAYS, 10, quiet, TZ)
        for cid, d in deadlines.items()
    }
    saves = [
        (uid, cid) for uid in range(1, users + 1) for cid in rng.sample(range(1, calls + 1), 3)
    ]
    await db.executemany(
        "INSERT INTO saved_calls (user_id, call_id, saved_at) VALUES (?, ?, ?)",
        ((u, c, now) for u, c in saves),
    )
    await db.executemany(
        "INSERT INTO outbox (user_id, call_id, kind, slot, due_at, created_at, updated_at)"
        " VALUES (?, ?, 'reminder', ?, ?, ?, ?)",
        (
            (u, c, slot, to_epoch(moment), now, now)
            for u, c in saves
            for slot, moment in moments[c].items()
        ),
    )
    build_s = time.perf_counter() - started
    rows = await db.fetchval("SELECT count(*) FROM outbox")
    # The tick looked at: 10:00:05 on a busy day; what fell due before was sent on time.
    tick = datetime(2026, 12, 30, 10, 0, 5, tzinfo=TZ)
    await db.execute("UPDATE outbox SET state = 'sent' WHERE due_at < ?", (to_epoch(tick) - 3600,))
    await db.execute("ANALYZE")
    outbox = OutboxRepo(db)

    tracemalloc.start()
    t0 = time.perf_counter()
    first_batch = await outbox.due(tick, 500)
    first_batch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    every_due = await outbox.due(tick, 10**9)
    all_due_s = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    query = (
        "SELECT o.id FROM outbox o {hint} JOIN users u ON u.id = o.user_id"
        " WHERE o.state = 'pending' AND o.due_at <= ? AND u.is_active = 1"
        " ORDER BY o.due_at, o.id"
    )
    t0 = time.perf_counter()
    indexed = await db.fetchall(query.format(hint=""), (to_epoch(tick),))
    ids_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    baseline = await db.fetchall(query.format(hint="NOT INDEXED"), (to_epoch(tick),))
    baseline_s = time.perf_counter() - t0
    assert len(indexed) == len(baseline)
    assert len(baseline) == len(every_due) and len(first_batch) == min(500, len(every_due))
    await db.close()
    return {
        "users": users,
        "saved": len(saves),
        "outbox_rows": rows,
        "build_s": build_s,
        "due": len(every_due),
        "first_batch_s": first_batch_s,
        "all_due_s": all_due_s,
        "ids_s": ids_s,
        "baseline_full_scan_s": baseline_s,
        "peak_python_mb": peak / 2**20,
        "db_mb": (folder / "due.sqlite3").stat().st_size / 2**20,
    }


async def bench_delivery(
    folder: Path, pushes: int, scale: float, rate: float, name: str
) -> dict[str, float]:
    db = await _fresh_db(folder, f"{name}.sqlite3")
    clock = SystemClock()
    now = to_epoch(clock.now())
    await _users(db, range(1, pushes + 1), now)
    async with StandInBotAPI(rate_limit=int(30 * scale), retry_after=1) as api:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
        bot = Bot("1000000001:bench", session=session)
        delivery = Delivery(
            OutboxRepo(db), UsersRepo(db), bot, clock, rate=rate, per_chat_interval=1.0 / scale
        )

        async def compose(push):
            return SendMessage(chat_id=push.user_id, text=f"push {push.id}")

        delivery.register("bench", compose)
        await delivery.enqueue(NewPush(u, "bench", clock.now()) for u in range(1, pushes + 1))
        t0 = time.perf_counter()
        stats = await delivery.run_due()
        wall = time.perf_counter() - t0
        await session.close()
        accepted = [r for r in api.calls("sendMessage") if r.ok]
        span = accepted[-1].at - accepted[0].at if len(accepted) > 1 else 0.0
        per_chat = Counter(int(r.params["chat_id"]) for r in accepted)
        duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
        refused = api.too_many_requests
        counts = await delivery.outbox.counts()
    await db.close()
    achieved = (len(accepted) - 1) / span if span > 0 else float("inf")
    return {
        "pushes": pushes,
        "configured_rate": rate,
        "stand_in_limit": 30 * scale,
        "sent": stats.sent,
        "lost": pushes - len(per_chat),
        "duplicates": duplicates,
        "still_pending": counts[PushState.PENDING],
        "wall_s": wall,
        "achieved_rate": achieved,
        "share_of_configured": achieved / rate,
        "429s": stats.rate_limited,
        "stand_in_refused": refused,
    }


async def main(users: int, pushes: int, scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"== Due pushes for one tick: {users:,} users × 3 saved calls ==")
        due = await bench_due(folder, users)
        print(f"  outbox rows: {due['outbox_rows']:,} (built in {due['build_s']:.1f} s)")
        print(f"  due at the tick: {due['due']:,}")
        print(f"  first batch (500): {due['first_batch_s'] * 1000:.1f} ms")
        print(f"  all due pushes, as objects: {due['all_due_s'] * 1000:.1f} ms   (goal ≤ 1000 ms)")
        print(
            f"  ids only: partial index {due['ids_s'] * 1000:.1f} ms"
            f" vs. baseline full scan {due['baseline_full_scan_s'] * 1000:.1f} ms"
        )
        print(
            f"  Python memory peak during the tick: {due['peak_python_mb']:.1f} MB;"
            f" database file {due['db_mb']:.0f} MB;"
            f" process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )

        configured = 25 * scale
        print(
            f"\n== Delivery of {pushes:,} pushes to the stand-in (time ×{scale:g}:"
            f" limit {30 * scale:g}/s, configured {configured:g}/s) =="
        )
        paced = await bench_delivery(folder, pushes, scale, configured, "paced")
        _print_delivery(paced)
        baseline_n = max(1000, pushes // 5)
        print(f"\n  baseline: the same sender unpaced (rate 10⁶/s), {baseline_n:,} pushes")
        unpaced = await bench_delivery(folder, baseline_n, scale, 1_000_000, "unpaced")
        _print_delivery(unpaced, baseline=True)


def _print_delivery(r: dict[str, float], baseline: bool = False) -> None:
    print(
        f"  sent {r['sent']:,} · lost {r['lost']:,} · duplicates {r['duplicates']:,}"
        f" · wall {r['wall_s']:.1f} s"
    )
    if baseline:
        print(
            f"  achieved {r['achieved_rate']:.1f} msg/s"
            f" ({r['achieved_rate'] / r['stand_in_limit'] * 100:.1f} % of the stand-in's limit)"
            f" · 429s met: {r['429s']:,}"
        )
        return
    print(
        f"  achieved {r['achieved_rate']:.1f} msg/s = {r['share_of_configured'] * 100:.1f} %"
        f" of configured (goal ≥ 95 %) · 429s met: {r['429s']:,}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.reminders")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=10.0, help="time scale of the limits")
    args = parser.parse_args()
    asyncio.run(main(args.users, args.pushes, args.scale))
