"""Broadcast benchmark: `python -m bench.broadcast [--recipients N] [--scale K] [--rtt 0.1,0.25]
[--max-in-flight M] [--no-kill] [--trace]`.

Verdicts: for each real-world round trip (default 100 and 250 ms, added by the stand-in),
the rate reached with the default settings as a share of the configured one (goal ≥ 95 %)
with the 429s the stand-in answered; the sender's memory above a bare `import aiogram`
(goal ≤ 20 MB, flat); and a kill midway — the sender runs in a child process, is SIGKILLed
when half the copies are accepted, and a new one finishes — repeats ≤ the window's bound
(DELIVERY_MAX_IN_FLIGHT), 0 lost.

An admin broadcast (the real Broadcasts service: segment query, batched enqueue, copyMessage
composer, the Delivery service, aiogram's Bot over AiohttpSession) to N active users,
delivered over HTTP to the Bot API stand-in that enforces 30 msg/s and answers 429 beyond
it — time scaled ×K as in bench/reminders.py (stand-in limit 30·K/s, configured sender rate
25·K/s).

Only the sender is measured: the stand-in runs in its own process (`python -m
bot.fake_telegram.server`, no request log, a per-chat tally it prints at the end) and the
users' database is built by a child process before the sender opens it. The stand-in's
tally gives the achieved rate (first to last accepted copy) as a share of the configured
one, the 429s, the recipients lost (must be 0) and the repeats. The sender's
resident memory (and the Python heap in allocated blocks, which RSS cannot see through
freed-but-kept arenas) is sampled every second against the messages sent: at the start of
delivery, max, at the end, and the slope over the second half (flat: about 0 per 10,000
messages), against the baseline of a bare interpreter that imports only aiogram's
Bot and session, measured in the same run. --trace adds a tracemalloc comparison (grouped by traceback)
between 20 % of the messages and the end: what, if anything, grows per message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
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
from bot.db.broadcasts import BroadcastsRepo
from bot.db.connection import Database, open_database
from bot.db.outbox import OutboxRepo
from bot.db.users import UsersRepo
from bot.domain.pushes import PushState
from bot.services.broadcasts import Broadcasts
from bot.services.delivery import MAX_IN_FLIGHT, Delivery

ADMIN_CHAT = 900001
# The sender may hold at most this much above a bare interpreter that imports aiogram.
MEMORY_ABOVE_AIOGRAM_MB = 20.0
RATE_GOAL = 0.95
ROUND_TRIPS = (0.1, 0.25)  # seconds, real world: Tashkent–Telegram and a far server


# -- the users' database, built in a child process ------------------------------------------
def sender(
    db: Database, bot: Bot, clock: Any, **delivery_settings: Any
) -> tuple[Delivery, Broadcasts]:
    """The bot's delivery service with the broadcast composer, as bot/app.py wires them."""
    delivery = Delivery(OutboxRepo(db), UsersRepo(db), bot, clock, **delivery_settings)
    settings = SimpleNamespace(allow_paid_broadcast=False)
    broadcasts = Broadcasts(BroadcastsRepo(db), bot, clock, delivery, None, settings)  # type: ignore[arg-type]
    for kind, composer in broadcasts.composers().items():
        delivery.register(kind, composer)
    return delivery, broadcasts


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
    """`python -m bot.fake_telegram.server` as a child; `finish()` returns its tally."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.url = ""
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> StandInProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.fake_telegram.server",
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
    max_in_flight: int = MAX_IN_FLIGHT,
) -> dict[str, Any]:
    rate = 25 * scale
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "broadcast.sqlite3"
        t = time.perf_counter()
        build_database(path, recipients)
        build_s = time.perf_counter() - t
        bare_rss = bare_aiogram_rss_mb()
        async with StandInProcess(*stand_in_args(scale, latency)) as api:
            rss_idle = _rss_mb()
            db = await open_database(path)
            clock = SystemClock()
            session = CountingSession(api=TelegramAPIServer.from_base(api.url))
            bot = Bot("1000000001:bench", session=session)
            delivery, broadcasts = sender(
                db,
                bot,
                clock,
                rate=rate,
                per_chat_interval=1.0 / scale,
                max_in_flight=max_in_flight,
            )
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
        "window": delivery.window.size,
        "srtt_ms": (delivery.window.srtt or 0.0) * 1000 * scale,
        "stand_in_rss_mb": stand_in_rss,
        "growth": growth,
    }


def stand_in_args(scale: float, latency: float) -> tuple[str, ...]:
    """Telegram's limits, time ×scale: 30 messages a second overall, one a second per chat
    (429 with retry_after beyond them), and a real-world round trip `latency` scaled too."""
    args = ("--rate-limit", str(int(30 * scale)), "--per-chat-limit", str(max(1, int(scale))))
    args += ("--retry-after", "1")
    return args + (("--latency", str(latency / scale)) if latency else ())


# -- a kill midway: the sender in a child process, SIGKILLed, then a second one finishes --
def _send_in_child(path: str, url: str, scale: float) -> None:
    async def send() -> None:
        db = await open_database(Path(path))
        session = AiohttpSession(api=TelegramAPIServer.from_base(url))
        bot = Bot("1000000001:bench", session=session)
        delivery, _ = sender(db, bot, SystemClock(), rate=25 * scale, per_chat_interval=1 / scale)
        await delivery.recover()  # what the bot does at start
        await delivery.run_due()
        await session.close()
        await db.close()

    asyncio.run(send())


async def kill_round(recipients: int, scale: float, latency: float) -> dict[str, Any]:
    """Broadcast to `recipients`; SIGKILL the sender when half the copies are accepted, start
    a new one on the same database; the stand-in counts what each chat received."""
    import aiohttp

    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "broadcast.sqlite3"
        build_database(path, recipients)
        async with StandInProcess(*stand_in_args(scale, latency)) as api:
            db = await open_database(path)
            session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
            bot = Bot("1000000001:bench", session=session)
            _, broadcasts = sender(db, bot, SystemClock(), rate=25 * scale)
            await broadcasts.start(ADMIN_CHAT, ADMIN_CHAT, 1, "all", "", "en")
            await session.close()
            await db.close()
            first = spawn.Process(target=_send_in_child, args=(str(path), api.url, scale))
            first.start()
            async with aiohttp.ClientSession() as http:
                while True:  # polling the stand-in's tally, not waiting for a result
                    await asyncio.sleep(0.05)
                    async with http.get(f"{api.url}/stand-in/summary") as answer:
                        accepted = (await answer.json())["accepted"]
                    if accepted >= recipients // 2 or not first.is_alive():
                        break
            assert first.pid is not None
            os.kill(first.pid, signal.SIGKILL)
            first.join()
            second = spawn.Process(target=_send_in_child, args=(str(path), api.url, scale))
            second.start()
            await asyncio.get_running_loop().run_in_executor(None, second.join)
            tally = await api.finish()
    return {
        "killed_at": accepted,
        "lost": recipients - tally["chats"],
        "repeats": tally["repeats"],
        "429s": tally["too_many_requests"],
    }


def _rss_mb(status: str = "/proc/self/status") -> float:
    """Resident memory now (Linux), without tracemalloc's slowdown."""
    with open(status, encoding="ascii") as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def rate_verdict(latency: float, r: dict[str, Any], scale: float) -> str:
    per_s, goal = r["achieved"] / scale, r["configured"] / scale
    return (
        f"broadcast @{latency * 1000:g}ms RTT: {per_s:.1f} msg/s = {r['share'] * 100:.1f} % of"
        f" {goal:g}/s — goal ≥ {RATE_GOAL * 100:g} %: {_verdict(r['share'] >= RATE_GOAL)}"
        f"; 429s: {r['429s_answered']}; lost {r['lost']}, repeats {r['repeats']};"
        f" window {r['window']} (smoothed RTT {r['srtt_ms']:.0f} ms)"
    )


async def main(
    recipients: int = 20_000,
    scale: float = 10.0,
    trace: bool = False,
    round_trips: tuple[float, ...] = ROUND_TRIPS,
    max_in_flight: int = MAX_IN_FLIGHT,
    kill: bool = True,
) -> None:
    print(
        f"== Broadcast to {recipients:,} recipients (time ×{scale:g}: stand-in limits"
        f" {30 * scale:g}/s and {max(1, int(scale))}/s per chat, in its own process; configured"
        f" {25 * scale:g}/s; at most {max_in_flight} in flight) =="
    )
    verdicts = []
    for index, latency in enumerate(round_trips):
        r = await run(recipients, scale, trace and index == 0, latency, max_in_flight)
        verdicts.append(rate_verdict(latency, r, scale))
        print(f"  {verdicts[-1]}")
        print(
            f"    delivered in {r['wall_s']:.1f} s; 429s met by the sender: {r['429s_met']};"
            f" accepted {r['accepted']:,}, sent {r['sent']:,}, still pending {r['pending']}"
        )
        if index:
            continue
        above = r["rss_max_mb"] - r["bare_aiogram_mb"]
        flat = abs(r["rss_slope"]) < 1.0
        print(
            f"    sender RSS: {r['rss_idle_mb']:.1f} MB before enqueueing,"
            f" {r['rss_start_mb']:.1f} MB at start of delivery, {r['rss_max_mb']:.1f} MB max,"
            f" {r['rss_end_mb']:.1f} MB at end ({r['samples']} samples); slope over the second"
            f" half {r['rss_slope']:+.2f} MB and {r['blocks_slope']:+,.0f} Python blocks per"
            f" 10,000 messages"
        )
        verdicts.append(
            f"sender memory: {r['rss_max_mb']:.1f} MB max = {above:+.1f} MB above a bare"
            f" `import aiogram` ({r['bare_aiogram_mb']:.1f} MB) — goal ≤"
            f" {MEMORY_ABOVE_AIOGRAM_MB:g} MB above and flat: {_verdict(above <= MEMORY_ABOVE_AIOGRAM_MB and flat)}"
        )
        print(f"  {verdicts[-1]}")
        for line in r["growth"]:
            print(f"    {line}")
    if kill:
        latency = max(round_trips)
        k = await kill_round(recipients, scale, latency)
        verdicts.append(
            f"kill midway @{latency * 1000:g}ms RTT (SIGKILL at {k['killed_at']:,} accepted,"
            f" a new sender finishes): repeats {k['repeats']}, lost {k['lost']}, 429s"
            f" {k['429s']} — promise ≤ {max_in_flight} repeats (the window), 0 lost:"
            f" {_verdict(k['repeats'] <= max_in_flight and k['lost'] == 0)}"
        )
        print(f"  {verdicts[-1]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth by traceback")
    parser.add_argument(
        "--rtt",
        default=",".join(f"{t:g}" for t in ROUND_TRIPS),
        help="real-world Bot API round trips to measure, seconds, comma separated",
    )
    parser.add_argument("--max-in-flight", type=int, default=MAX_IN_FLIGHT)
    parser.add_argument("--no-kill", action="store_true", help="skip the kill-midway round")
    args = parser.parse_args()
    trips = tuple(float(t) for t in args.rtt.split(","))
    asyncio.run(
        main(args.recipients, args.scale, args.trace, trips, args.max_in_flight, not args.no_kill)
    )
