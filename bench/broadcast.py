"""Broadcast benchmark: `python -m bench.broadcast [--recipients N] [--scale K] [--trace]`.

An admin broadcast (the real Broadcasts service: segment query, batched enqueue, copyMessage
composer, the Delivery service, aiogram's Bot over AiohttpSession) to N active users,
delivered over HTTP to the Bot API stand-in that enforces 30 msg/s and answers 429 beyond
it — time scaled ×K as in bench/reminders.py (stand-in limit 30·K/s, configured sender rate
25·K/s).

Only the sender is measured: the stand-in runs in its own process (`python -m
tests.support.stand_in_api`, no request log, a per-chat tally it prints at the end) and the
users' database is built by a child process before the sender opens it. The stand-in's
tally gives the achieved rate (first to last accepted copy) as a share of the configured
one (goal ≥ 95 %), the 429s, the recipients lost (must be 0) and the repeats. The sender's
resident memory (and the Python heap in allocated blocks, which RSS cannot see through
freed-but-kept arenas) is sampled every second against the messages sent: at the start of
delivery, max, at the end, and the slope over the second half (flat: about 0 per 10,000
messages; goal ≤ 150 MB), against the baseline of a bare interpreter that imports only aiogram's
Bot and session, measured in the same run. --trace adds a tracemalloc comparison (grouped by traceback)
between 20 % of the messages and the end: what, if anything, grows per message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import CopyMessage

from bench.reminders import _fresh_db, _users
from bot.clock import SystemClock, to_epoch
from bot.db.connection import open_database
from bot.db.outbox import PushState
from bot.services.broadcasts import Broadcasts
from bot.services.delivery import Delivery

ADMIN_CHAT = 900001
MEMORY_GOAL_MB = 150.0


# -- the users' database, built in a child process ------------------------------------------
def _build_database(path: str, recipients: int) -> None:
    async def build() -> None:
        db = await _fresh_db(Path(path).parent, Path(path).name)
        await _users(db, range(1, recipients + 1), to_epoch(SystemClock().now()))
        await db.close()

    asyncio.run(build())


def build_database(path: Path, recipients: int) -> None:
    """Migrated schema + `recipients` active users, written by a child process so that the
    sender's memory does not start with the cost of creating them."""
    child = multiprocessing.get_context("spawn").Process(
        target=_build_database, args=(str(path), recipients)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"building the users' database failed ({child.exitcode})")


# -- the stand-in, in its own process -------------------------------------------------------
class StandInProcess:
    """`python -m tests.support.stand_in_api` as a child; `finish()` returns its tally."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.url = ""
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> StandInProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.stand_in_api",
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        first = await asyncio.wait_for(self.process.stdout.readline(), 60)
        self.url = json.loads(first)["url"]
        return self

    def rss_mb(self) -> float:
        assert self.process is not None
        return _rss_mb(f"/proc/{self.process.pid}/status")

    async def finish(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()  # its stdin's end stops it; it prints the summary
        out, _ = await asyncio.wait_for(self.process.communicate(), 60)
        return json.loads(out.splitlines()[-1])

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


# -- the sender ------------------------------------------------------------------------------
class CountingSession(AiohttpSession):
    """aiogram's own HTTP session, counting the copies Telegram accepted (for the samples)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.copies = 0

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, CopyMessage):
            self.copies += 1
        return result


@dataclass
class Sample:
    seconds: float
    sent: int
    rss_mb: float
    blocks: int  # sys.getallocatedblocks(): live Python objects' memory blocks


class Sampler:
    """Every second: messages sent, RSS, Python blocks. --trace: tracemalloc snapshots at
    20 % of the messages, compared with one at the end."""

    def __init__(self, session: CountingSession, total: int, trace: bool) -> None:
        self.session = session
        self.total = total
        self.trace = trace
        self.samples: list[Sample] = []
        self.t0 = time.perf_counter()
        self.baseline: tracemalloc.Snapshot | None = None

    def take(self) -> Sample:
        sample = Sample(
            time.perf_counter() - self.t0,
            self.session.copies,
            _rss_mb(),
            sys.getallocatedblocks(),
        )
        self.samples.append(sample)
        return sample

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1)  # a sampling period, not a wait for a result
            sample = self.take()
            if self.trace and self.baseline is None:
                if not tracemalloc.is_tracing() and sample.sent >= self.total // 10:
                    tracemalloc.start(12)
                elif tracemalloc.is_tracing() and sample.sent >= self.total // 5:
                    self.baseline = tracemalloc.take_snapshot()

    def growth(self, top: int = 12) -> list[str]:
        if self.baseline is None:
            return ["(no baseline snapshot: too few messages for --trace)"]
        end = tracemalloc.take_snapshot()
        tracemalloc.stop()
        skip = [tracemalloc.Filter(False, tracemalloc.__file__)]
        diff = end.filter_traces(skip).compare_to(self.baseline.filter_traces(skip), "traceback")
        lines = []
        for stat in diff[:top]:
            frames = [
                f"{Path(f.filename).name}:{f.lineno}"
                for f in stat.traceback
                if "/asyncio/" not in f.filename
            ][-4:]
            lines.append(
                f"{stat.size_diff / 1e3:+9.1f} kB {stat.count_diff:+7d} blocks  "
                + " <- ".join(reversed(frames))
            )
        return lines


def bare_aiogram_rss_mb() -> float:
    """RSS of a fresh interpreter that only imports aiogram's Bot and its session: the
    fixed price of the library (pydantic models of the whole Bot API), sending nothing."""
    code = (
        "import aiogram.client.session.aiohttp, aiogram.methods;"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS:')][0].split()[1])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout) / 1024


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 when x does not vary)."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return sxy / sxx if sxx else 0.0


async def run(
    recipients: int,
    scale: float,
    trace: bool = False,
    latency: float = 0.0,
    concurrency: int = 1,
) -> dict[str, Any]:
    rate = 25 * scale
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "broadcast.sqlite3"
        t = time.perf_counter()
        build_database(path, recipients)
        build_s = time.perf_counter() - t
        bare_rss = bare_aiogram_rss_mb()
        stand_in_args = ("--rate-limit", str(int(30 * scale)), "--retry-after", "1")
        if latency:  # a real-world round trip, scaled like the rest of time
            stand_in_args += ("--latency", str(latency / scale))
        async with StandInProcess(*stand_in_args) as api:
            rss_idle = _rss_mb()
            db = await open_database(path)
            clock = SystemClock()
            session = CountingSession(api=TelegramAPIServer.from_base(api.url))
            bot = Bot("1000000001:bench", session=session)
            delivery = Delivery(
                db, bot, clock, rate=rate, per_chat_interval=1.0 / scale, max_in_flight=concurrency
            )
            settings = SimpleNamespace(allow_paid_broadcast=False)
            broadcasts = Broadcasts(db, bot, clock, delivery, None, settings)  # type: ignore[arg-type]
            if trace:  # the tracer's own memory would stay in the RSS figures
                tracemalloc.start()
            t = time.perf_counter()
            job_id, queued = await broadcasts.start(ADMIN_CHAT, ADMIN_CHAT, 1, "all", "", "en")
            enqueue_s = time.perf_counter() - t
            _, enqueue_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()  # tracing would slow the sending
            sampler = Sampler(session, queued, trace)
            sampler.take()
            sampling = asyncio.create_task(sampler.run())
            stats = await delivery.run_due()
            sampling.cancel()
            sampler.take()
            growth = sampler.growth() if trace else []
            stand_in_rss = api.rss_mb()
            await session.close()
            counts = await delivery.job_counts(job_id)
            await db.close()
            tally = await api.finish()
    samples = sampler.samples
    half = samples[len(samples) // 2 :]
    chats_in_range = tally["chats"] == 0 or (
        1 <= tally["min_chat"] and tally["max_chat"] <= recipients
    )
    return {
        "recipients": recipients,
        "build_s": build_s,
        "queued": queued,
        "enqueue_s": enqueue_s,
        "enqueue_peak_mb": enqueue_peak / 1e6,
        "wall_s": samples[-1].seconds,
        "configured": rate,
        "achieved": tally["rate"] or 0.0,
        "share": (tally["rate"] or 0.0) / rate,
        "429s_met": stats.rate_limited,
        "429s_answered": tally["too_many_requests"],
        "sent": stats.sent,
        "accepted": tally["accepted"],
        "lost": recipients - tally["chats"] if chats_in_range else recipients,
        "repeats": tally["repeats"],
        "pending": counts.get(PushState.PENDING, 0) + counts.get(PushState.SENDING, 0),
        "bare_aiogram_mb": bare_rss,
        "rss_idle_mb": rss_idle,
        "rss_start_mb": samples[0].rss_mb,
        "rss_max_mb": max(s.rss_mb for s in samples),
        "rss_end_mb": samples[-1].rss_mb,
        "rss_mid_mb": samples[len(samples) // 2].rss_mb,
        "rss_slope": _slope([(s.sent, s.rss_mb) for s in half]) * 10_000,
        "blocks_start": samples[0].blocks,
        "blocks_end": samples[-1].blocks,
        "blocks_slope": _slope([(s.sent, s.blocks) for s in half]) * 10_000,
        "half_from": half[0].sent,
        "samples": len(samples),
        "stand_in_rss_mb": stand_in_rss,
        "growth": growth,
    }


def _rss_mb(status: str = "/proc/self/status") -> float:
    """Resident memory now (Linux), without tracemalloc's slowdown."""
    with open(status, encoding="ascii") as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def main(
    recipients: int = 20_000,
    scale: float = 10.0,
    trace: bool = False,
    latency: float = 0.0,
    concurrency: int = 1,
) -> None:
    trip = f", round trip {latency * 1000:g} ms, {concurrency} in flight" if latency else ""
    print(
        f"== Broadcast to {recipients:,} recipients (time ×{scale:g}: stand-in limit"
        f" {30 * scale:g}/s in its own process, configured {25 * scale:g}/s{trip}) =="
    )
    r = await run(recipients, scale, trace, latency, concurrency)
    verdict = "met" if r["share"] >= 0.95 else "MISSED"
    print(f"  users' database built by a child process in {r['build_s']:.1f} s")
    peak = f"; Python peak while enqueueing {r['enqueue_peak_mb']:.1f} MB" if trace else ""
    print(f"  enqueued {r['queued']:,} in {r['enqueue_s']:.2f} s (pages of 5,000){peak}")
    print(
        f"  delivered in {r['wall_s']:.1f} s: {r['achieved']:.1f}/s ="
        f" {r['share'] * 100:.1f} % of configured (goal ≥ 95 %: {verdict})"
    )
    print(
        f"  429s met: {r['429s_met']} (stand-in answered {r['429s_answered']});"
        f" lost: {r['lost']}; repeats: {r['repeats']}; accepted {r['accepted']:,},"
        f" sent {r['sent']:,}, still pending {r['pending']}"
    )
    flat = abs(r["rss_slope"]) < 1.0
    print(
        f"  sender RSS: {r['rss_idle_mb']:.1f} MB before enqueueing, {r['rss_start_mb']:.1f} MB"
        f" at start of delivery, {r['rss_mid_mb']:.1f} MB half-way, {r['rss_max_mb']:.1f} MB"
        f" max, {r['rss_end_mb']:.1f} MB at end ({r['samples']} samples, one a second)"
    )
    print(
        f"  slope over the second half (from message {r['half_from']:,}):"
        f" {r['rss_slope']:+.2f} MB RSS and {r['blocks_slope']:+,.0f} Python blocks per"
        f" 10,000 messages (blocks {r['blocks_start']:,} → {r['blocks_end']:,});"
        f" flat: {'met' if flat else 'MISSED'}"
    )
    print(
        f"  baseline: a bare interpreter importing aiogram's Bot and session sits at"
        f" {r['bare_aiogram_mb']:.1f} MB; the broadcast adds"
        f" {r['rss_max_mb'] - r['rss_idle_mb']:.1f} MB to the sender at its max;"
        f" max ≤ {MEMORY_GOAL_MB:.0f} MB: {'met' if r['rss_max_mb'] <= MEMORY_GOAL_MB else 'MISSED'}"
    )
    print(f"  (stand-in process, not counted: {r['stand_in_rss_mb']:.0f} MB RSS at the end)")
    if r["growth"]:
        print("  tracemalloc, end vs 20 % of the messages, by traceback:")
        for line in r["growth"]:
            print(f"    {line}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth by traceback")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="real-world Bot API round trip, seconds"
    )
    parser.add_argument("--concurrency", type=int, default=1, help="sends in flight at once")
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.scale, args.trace, args.latency, args.concurrency))
