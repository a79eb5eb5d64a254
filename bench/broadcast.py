"""Broadcast benchmark: `python -m bench.broadcast [--recipients N] [--scale K]`.

An admin broadcast (the real Broadcasts service: segment query, batched enqueue, copyMessage
composer) to N active users, delivered to the local HTTP Bot API stand-in that enforces
30 msg/s and answers 429 beyond it — time scaled ×K as in bench/reminders.py (stand-in limit
30·K/s, configured sender rate 25·K/s). Prints the achieved rate as a share of the configured
one (goal ≥ 95 %), 429s met, recipients lost (must be 0), repeats, enqueue time, the Python
memory peak while enqueueing (tracemalloc) and the process max RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bench.reminders import _fresh_db, _users
from bot.clock import SystemClock, to_epoch
from bot.db.outbox import PushState
from bot.services.broadcasts import Broadcasts
from bot.services.delivery import Delivery
from tests.support.stand_in_api import StandInBotAPI

ADMIN_CHAT = 900001


async def run(recipients: int, scale: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = await _fresh_db(Path(tmp), "broadcast.sqlite3")
        clock = SystemClock()
        await _users(db, range(1, recipients + 1), to_epoch(clock.now()))
        rate = 25 * scale
        async with StandInBotAPI(rate_limit=int(30 * scale), retry_after=1) as api:
            session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
            bot = Bot("1000000001:bench", session=session)
            delivery = Delivery(db, bot, clock, rate=rate, per_chat_interval=1.0 / scale)
            settings = SimpleNamespace(allow_paid_broadcast=False)
            broadcasts = Broadcasts(db, bot, clock, delivery, None, settings)  # type: ignore[arg-type]
            tracemalloc.start()
            t0 = time.perf_counter()
            job_id, queued = await broadcasts.start(ADMIN_CHAT, ADMIN_CHAT, 1, "all", "", "en")
            enqueue_s = time.perf_counter() - t0
            _, peak = tracemalloc.get_traced_memory()  # tracing would slow the sending
            tracemalloc.stop()
            rss_samples: list[float] = [_rss_mb()]
            sampler = asyncio.create_task(_sample_rss(rss_samples))
            t1 = time.perf_counter()
            stats = await delivery.run_due()
            wall = time.perf_counter() - t1
            sampler.cancel()
            await session.close()
            accepted = [r for r in api.calls("copyMessage") if r.ok]
            counts = await delivery.job_counts(job_id)
        await db.close()
    span = accepted[-1].at - accepted[0].at if len(accepted) > 1 else 0.0
    per_chat = Counter(int(r.params["chat_id"]) for r in accepted)
    achieved = (len(accepted) - 1) / span if span > 0 else float("inf")
    return {
        "recipients": recipients,
        "queued": queued,
        "enqueue_s": enqueue_s,
        "wall_s": wall,
        "configured": rate,
        "achieved": achieved,
        "share": achieved / rate,
        "429s": stats.rate_limited,
        "lost": recipients - len(per_chat),
        "repeats": sum(n - 1 for n in per_chat.values() if n > 1),
        "pending": counts.get(PushState.PENDING, 0),
        "peak_mb": peak / 1e6,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_start_mb": rss_samples[0],
        "rss_max_mb": max(rss_samples),
        "rss_end_mb": rss_samples[-1],
    }


def _rss_mb() -> float:
    """Resident memory now (Linux), without tracemalloc's slowdown."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _sample_rss(samples: list[float]) -> None:
    while True:
        await asyncio.sleep(1)  # a sampling period, not a wait for a result
        samples.append(_rss_mb())


async def main(recipients: int = 20_000, scale: float = 10.0) -> None:
    print(
        f"== Broadcast to {recipients:,} recipients (time ×{scale:g}: stand-in limit"
        f" {30 * scale:g}/s, configured {25 * scale:g}/s) =="
    )
    r = await run(recipients, scale)
    verdict = "met" if r["share"] >= 0.95 else "MISSED"
    print(f"  enqueued {r['queued']:,} in {r['enqueue_s']:.2f} s (batches of 5,000)")
    print(
        f"  delivered in {r['wall_s']:.1f} s: {r['achieved']:.1f}/s ="
        f" {r['share'] * 100:.1f} % of configured (goal ≥ 95 %: {verdict})"
    )
    print(f"  429s met: {r['429s']}; lost: {r['lost']}; repeats: {r['repeats']}")
    print(
        f"  Python peak while enqueueing {r['peak_mb']:.1f} MB; process max RSS {r['rss_mb']:.0f} MB"
    )
    print(
        f"  RSS during delivery: {r['rss_start_mb']:.0f} MB at start, {r['rss_max_mb']:.0f} MB max,"
        f" {r['rss_end_mb']:.0f} MB at end (the stand-in runs in this process and keeps a"
        " record of every request)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--scale", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.scale))
