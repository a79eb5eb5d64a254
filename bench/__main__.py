"""`python -m bench` (`make bench`): every benchmark of the student flow, printed as tables.

Benches report; they never fail the build (the exit status is 0 even when a goal is missed
or a bench breaks, which is printed instead).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import sys
import traceback

from bench import broadcast, print_table, queries, reminders, storage, throughput

UPDATES_RATIO_GOAL = 0.5
FIND_P95_GOAL_MS = 2.0
SEARCH_P95_GOAL_MS = 5.0


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


async def bench_throughput(users: int) -> None:
    result = await throughput.run(users=users)
    full, echo = result.full, result.echo
    print_table(
        f"(a) Updates handled per second, in-process (median of {result.rounds} alternating"
        " rounds)",
        ("dispatcher", "updates", "seconds", "updates/s", "Bot API calls"),
        [
            ("Imkon, full stack", full.updates, f"{full.seconds:.3f}", f"{full.per_second:.0f}",
             full.api_calls),
            ("bare aiogram echo bot", echo.updates, f"{echo.seconds:.3f}",
             f"{echo.per_second:.0f}", echo.api_calls),
        ],
    )  # fmt: skip
    floor = result.floor
    print(
        f"floor: a bot that only writes a pressed button's choice to SQLite, edits and answers"
        f" ({floor.api_calls / floor.updates:.0f} Bot API calls, 1 write):"
        f" {floor.per_second:.0f} updates/s, {floor.seconds / floor.updates * 1000:.2f} ms;"
        f" floor/echo = {result.floor_ratio:.2f}"
    )
    print(
        f"full/echo = {result.ratio:.2f};"
        f" {full.seconds / full.updates * 1000:.2f} ms vs"
        f" {echo.seconds / echo.updates * 1000:.2f} ms per update"
    )
    print(
        f"CPU time per update (this process, whatever else runs on the machine): full"
        f" {full.cpu_ms:.2f} ms, echo {echo.cpu_ms:.2f} ms, floor {floor.cpu_ms:.2f} ms"
        f" = {1000 / full.cpu_ms if full.cpu_ms else 0:.0f} full-stack updates per CPU-second"
    )
    print(
        f"VERDICT updates: full/floor = {result.full_to_floor:.2f}"
        f" (goal >= {UPDATES_RATIO_GOAL}: {_verdict(result.full_to_floor >= UPDATES_RATIO_GOAL)})"
    )


async def bench_queries(calls: int, users: int, samples: int) -> None:
    result = await queries.run(calls=calls, users=users, samples=samples)

    def rows(latencies: list[queries.Latency]) -> list[tuple[object, ...]]:
        return [
            (lat.name, len(lat.samples), f"{lat.ms(50):.2f}", f"{lat.ms(95):.2f}",
             f"{lat.ms(99):.2f}", f"{lat.mean_ms:.2f}")
            for lat in latencies
        ]  # fmt: skip

    header = ("query (page 0, 5 per page)", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms")
    print_table(
        f"(b) Query latency: {result.calls:,} calls ({result.open_calls:,} open),"
        f" {result.users:,} users, SQLite file (built in {result.build_seconds:.1f} s)",
        header,
        rows(result.latencies),
    )
    find = next(lat for lat in result.latencies if lat.name.startswith("find"))
    search = next(lat for lat in result.latencies if lat.name.startswith("search"))
    print(f"a profile matches {result.mean_matches:.0f} calls on average")
    print(
        f"VERDICT filter: p95 = {find.ms(95):.2f} ms (goal <= {FIND_P95_GOAL_MS} ms:"
        f" {_verdict(find.ms(95) <= FIND_P95_GOAL_MS)})"
    )
    print(
        f"VERDICT search: p95 = {search.ms(95):.2f} ms (goal <= {SEARCH_P95_GOAL_MS} ms:"
        f" {_verdict(search.ms(95) <= SEARCH_P95_GOAL_MS)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only",
        choices=("throughput", "queries", "reminders", "broadcast", "storage"),
        action="append",
        help="run only these benches (repeatable)",
    )
    args = parser.parse_args(argv)
    print(
        f"Imkon benchmarks — Python {platform.python_version()}, SQLite"
        f" {sqlite3.sqlite_version}, {platform.machine()}"
    )
    benches = {
        "throughput": lambda: bench_throughput(users=40 if args.quick else 400),
        "queries": lambda: bench_queries(
            calls=1_000 if args.quick else 10_000,
            users=5_000 if args.quick else 100_000,
            samples=200 if args.quick else 2_000,
        ),
        "reminders": lambda: reminders.main(
            users=5_000 if args.quick else 100_000,
            pushes=1_000 if args.quick else 10_000,
            scale=10.0,
        ),
        "broadcast": lambda: broadcast.main(recipients=2_000 if args.quick else 10_000, scale=10.0),
        "storage": lambda: storage.main(students=10_000 if args.quick else 100_000),
    }
    for name, bench in benches.items():
        if args.only and name not in args.only:
            continue
        try:
            asyncio.run(bench())
        except Exception:  # a broken bench is reported, never fails the build
            traceback.print_exc(file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
