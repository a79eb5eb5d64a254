"""The one outbound delivery service: every mass message goes through here.

Reminders, new-call pushes, digests and admin broadcasts are rows of the outbox
(bot/db/outbox.py). Each kind registers a *composer*: given a push, it returns the Bot API
method to call (SendMessage, SendDocument, CopyMessage…), or raises `Skip` (the push lost
its point) or `Defer` (not now: quiet hours, say). The service keeps Telegram's limits —
a global rate and one message per second to a chat — and writes each push's state to
SQLite before and after the call, so a crash loses nothing and repeats at most the
messages that were in flight: the send window (`SendWindow`), never more than
`max_in_flight` (DELIVERY_MAX_IN_FLIGHT). A failure while sending one push — Telegram's or
the database's — stays with that push: it goes back to pending with back-off and its
neighbours in the batch finish normally. A push left 'sending' (its outcome could not be
written) is found by the delivery loop once it is older than `STUCK_AFTER` and sent again.

Usage (an admin broadcast, for instance):

    job_id = await delivery.create_job("broadcast", {"from_chat": ..., "message_id": ...}, admin_id)
    await delivery.enqueue([NewPush(user_id=u, kind="broadcast", due_at=now, slot=job_id)
                            for u in recipients], job_id=job_id)
    stats = await delivery.run_due()        # or leave it to the scheduler's dispatch job
    counts = await delivery.job_counts(job_id)
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import TelegramMethod

from bot.clock import Clock
from bot.db.outbox import OutboxRepo
from bot.db.users import UsersRepo
from bot.domain.pushes import NewPush, Push, PushState
from bot.metrics import DeliveryOutcome as Outcome

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Composer = Callable[[Push], Awaitable[TelegramMethod[Any]]]
# Told what Telegram answered once a push of its kind was accepted, before the push is
# recorded as sent (a channel post keeps its message id). If it fails, the push is retried.
SentHook = Callable[[Push, Any], Awaitable[None]]
# Told once when a push of its kind failed for good (Telegram refused it, or the attempts ran
# out), with the reason. Its own failure is logged and changes nothing.
FailedHook = Callable[[Push, str], Awaitable[None]]

# Telegram's answers that mean this chat will never accept a message from us.
GONE_CHAT_MARKERS = ("chat not found", "user is deactivated", "bot was kicked", "PEER_ID_INVALID")
BATCH = 500
# A push released for a retry within this horizon is waited for in the same run.
RETRY_HORIZON = timedelta(minutes=2)
# A push 'sending' for longer than this was lost by whoever claimed it (its outcome could not
# be written, or its process died): it goes out again. Well above a request's timeout (aiogram
# waits 60 s), so a send still under way in another process is not taken for lost.
STUCK_AFTER = timedelta(minutes=5)
# How often the delivery loop looks for such pushes while it runs.
STUCK_CHECK_EVERY = timedelta(minutes=1)
# Sends in flight at most (DELIVERY_MAX_IN_FLIGHT's default): room for a 427 ms round trip at
# 25/s, and the most messages a crash may repeat.
MAX_IN_FLIGHT = 16
# The window is the rate times the smoothed round trip, times this: the claim and the record
# around each send hold a slot too, and round trips vary.
WINDOW_MARGIN = 1.5


# A push whose failure could not even be written: the run stops (the next one tries again).
STALLED = object()


class Skip(Exception):
    """The push has lost its point (call closed, deadline passed): recorded as skipped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Defer(Exception):
    """Not now (quiet hours): the push waits, pending, until `until`."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


def sleep_for(clock: Clock) -> Sleep:
    """A clock tests can move is moved instead of slept on; real clocks really sleep."""
    advance = getattr(clock, "advance", None)
    if advance is None:
        return asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        # Whole microseconds, rounded up: a tiny wait must still move the clock.
        advance(microseconds=max(0, math.ceil(seconds * 1_000_000)))
        await asyncio.sleep(0)

    return fake_sleep


# Slots a late sender may make up at once. A pause (a GC, a batch read) otherwise loses its
# slots for good: with one, broadcasts reached 95.8-97.8 % of the rate, with three 99.2 %
# (bench/broadcast.py). Any second then holds at most rate + 3 sends: 28 at the default 25/s,
# under Telegram's 30.
CATCH_UP_SLOTS = 3


class RateLimiter:
    """Paces sends: at most `rate` per second overall (evenly spaced, with up to
    `catch_up` slots made up after a pause), at least `per_chat_interval` seconds between two
    sends to one chat, and nothing at all while a 429's retry_after runs."""

    def __init__(
        self,
        rate: float,
        per_chat_interval: float,
        clock: Clock,
        sleep: Sleep,
        catch_up: int = CATCH_UP_SLOTS,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.catch_up = catch_up
        self.per_chat_interval = per_chat_interval
        self.clock = clock
        self.sleep = sleep
        self._next_slot = 0.0
        self._paused_until = 0.0
        # chat → the moment it may have its next message; only chats still waiting are kept
        # (a broadcast to 100,000 chats must not leave 100,000 entries behind). `_expiry`
        # holds the same moments in the order they were set, so pruning costs O(1) a send
        # (amortised). A wall clock set back only delays the pruning until it catches up.
        self._chat_next: dict[int, float] = {}
        self._expiry: deque[tuple[float, int]] = deque()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def chat_ready_in(self, chat_id: int) -> float:
        return max(0.0, self._chat_next.get(chat_id, 0.0) - self._now())

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    async def acquire(self, chat_id: int) -> None:
        while True:
            now = self._now()
            wait = max(
                self._paused_until - now,
                self._next_slot - now,
                self._chat_next.get(chat_id, 0.0) - now,
            )
            if wait <= 0:
                break
            await self.sleep(wait)
        self._next_slot = max(self._next_slot, now - self.catch_up * self.interval) + self.interval
        self._forget_ready_chats(now)
        ready_at = now + self.per_chat_interval
        self._chat_next[chat_id] = ready_at
        self._expiry.append((ready_at, chat_id))

    def _forget_ready_chats(self, now: float) -> None:
        """Drop chats whose per-chat interval has run out: they may have a message now."""
        expiry, chat_next = self._expiry, self._chat_next
        while expiry and expiry[0][0] <= now:
            ready_at, chat_id = expiry.popleft()
            if chat_next.get(chat_id) == ready_at:  # not set again since
                del chat_next[chat_id]

    @property
    def chats_waiting(self) -> int:
        """How many chats are still inside their per-chat interval (kept in memory)."""
        return len(self._chat_next)


class SendWindow:
    """How many sends may be in flight at once: enough to keep `rate` a second going while
    each waits `srtt` (the smoothed round trip of an accepted send), with `margin` for the
    claim and the record around it: ceil(rate × srtt × margin), at least 1, at most `most`.

    The window starts at 1 and follows the measured round trip, so a nearby Bot API keeps
    one send in flight and a far one gets as many as it needs; a crash repeats at most the
    sends in flight, so never more than `most`."""

    def __init__(self, rate: float, most: int, margin: float = WINDOW_MARGIN) -> None:
        if most < 1:
            raise ValueError("the window must allow at least one send")
        self.rate = rate
        self.most = most
        self.margin = margin
        self.srtt: float | None = None  # seconds; None until the first send comes back
        self.in_flight = 0
        self.most_in_flight = 0  # the largest number of sends seen in flight at once
        # Sends waiting for a slot, first come first served; a slot is handed over (counted
        # in `in_flight`) when its waiter is woken, so a later arrival cannot take it.
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def size(self) -> int:
        if self.srtt is None:
            return 1
        return max(1, min(self.most, math.ceil(self.rate * self.srtt * self.margin)))

    def observe(self, seconds: float) -> None:
        """An accepted send's round trip. Smoothed as TCP does (7/8 old, 1/8 new); the first one is
        taken as it is. A clock set back gives 0, one set forward a sample the smoothing
        and `most` keep in bounds."""
        sample = max(0.0, seconds)
        self.srtt = sample if self.srtt is None else self.srtt + (sample - self.srtt) / 8
        self._hand_over()  # the window may have grown

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._waiters or self.in_flight >= self.size:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed a slot, then stopped
                    self._release()
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        else:
            self._take()
        try:
            yield
        finally:
            self._release()

    def _take(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def _release(self) -> None:
        self.in_flight -= 1
        self._hand_over()

    def _hand_over(self) -> None:
        while self._waiters and self.in_flight < self.size:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._take()
                waiter.set_result(None)


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    retried: int = 0
    rate_limited: int = 0  # 429 answers met
    deactivated: int = 0  # users found to have blocked the bot
    errors: int = 0  # pushes whose sending broke (the database, a bug): retried later
    recovered: int = 0  # pushes found stuck in 'sending' and sent again


class Delivery:
    def __init__(
        self,
        outbox: OutboxRepo,
        users: UsersRepo,
        bot: Bot,
        clock: Clock,
        *,
        rate: float = 25.0,
        per_chat_interval: float = 1.0,
        max_attempts: int = 5,
        backoff: float = 2.0,
        sleep: Sleep | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
        stuck_after: timedelta = STUCK_AFTER,
        count: Callable[[str], None] | None = None,
        permit: Callable[[], bool] | None = None,
    ) -> None:
        self.outbox = outbox
        self.users = users
        self.bot = bot
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.sleep = sleep or sleep_for(clock)
        self.limiter = RateLimiter(rate, per_chat_interval, clock, self.sleep)
        self._composers: dict[str, Composer] = {}
        self._on_sent: dict[str, SentHook] = {}
        self._on_failed: dict[str, FailedHook] = {}
        self._lock = asyncio.Lock()
        # Sends in flight at once, sized from the round trip: at one, a 100 ms round trip
        # would cap sending at 10 a second whatever the rate.
        self.window = SendWindow(rate, max_in_flight)
        self.stuck_after = stuck_after
        self._next_stuck_check: datetime | None = None
        # Tells the metrics each send's outcome (bot/metrics.py DeliveryOutcome's names).
        self._count = count or _count_nothing
        # Whether this process may claim pushes now: it holds the sender lease and is not
        # shutting down (bot/services/lease.py). Once it says no, sends already in flight
        # finish and nothing new starts; the pushes wait, pending, for the next sender.
        self.permit = permit or (lambda: True)
        self._run: asyncio.Task[Any] | None = None

    # -- setting up -----------------------------------------------------------------------
    def register(
        self,
        kind: str,
        composer: Composer,
        *,
        on_sent: SentHook | None = None,
        on_failed: FailedHook | None = None,
    ) -> None:
        """The composer builds the Bot API call for a push of `kind`; the hooks, if given,
        hear how it went."""
        self._composers[kind] = composer
        if on_sent is not None:
            self._on_sent[kind] = on_sent
        if on_failed is not None:
            self._on_failed[kind] = on_failed

    async def recover(self) -> int:
        """At start: pushes a crash left in flight go out again (at most once more)."""
        recovered = await self.outbox.recover_in_flight(self.clock.now())
        if recovered:
            log.warning(
                "delivery: %d push(es) were in flight at the last stop; resending", recovered
            )
        return recovered

    # -- queueing -------------------------------------------------------------------------
    async def create_job(
        self, kind: str, payload: dict[str, Any] | None = None, created_by: int | None = None
    ) -> int:
        return await self.outbox.create_job(kind, created_by, payload or {}, self.clock.now())

    async def enqueue(self, pushes: Iterable[NewPush], job_id: int | None = None) -> int:
        """Add pushes (ignoring ones that already exist); returns how many are new."""
        return await self.outbox.add(pushes, self.clock.now(), job_id=job_id)

    async def job_counts(self, job_id: int) -> dict[PushState, int]:
        return await self.outbox.counts(job_id)

    async def cancel_job(self, job_id: int, reason: str = "cancelled by an admin") -> int:
        return await self.outbox.cancel(reason, self.clock.now(), job_id=job_id)

    # -- sending --------------------------------------------------------------------------
    async def run_due(self) -> DeliveryStats:
        """Send everything due now (and retries that come due meanwhile), then return.

        A run already under way picks up whatever falls due while it lasts, so a second
        caller returns at once instead of queueing behind it."""
        stats = DeliveryStats()
        if self._lock.locked() or not self.permit():
            return stats
        async with self._lock:
            self._run = asyncio.current_task()
            retry_at: datetime | None = None
            while self.permit():
                stats.recovered += await self._resend_stuck()
                batch = await self.outbox.due(self.clock.now(), BATCH)
                if not batch:
                    if retry_at is None or retry_at - self.clock.now() > RETRY_HORIZON:
                        break
                    await self.sleep(max(0.0, (retry_at - self.clock.now()).total_seconds()))
                    retry_at = None
                    continue
                outcomes = await self._send_batch(batch, stats)
                if STALLED in outcomes:
                    log.warning("delivery: the database is failing; stopping until the next run")
                    break
                for released in outcomes:
                    if isinstance(released, datetime):
                        retry_at = released if retry_at is None else min(retry_at, released)
                if not outcomes:
                    await self.sleep(min(self.limiter.chat_ready_in(p.user_id) for p in batch))
            self._run = None
        return stats

    async def finish(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) for the run under way to end — call it once
        `permit` says no, so that the run claims nothing more. True if it ended by itself;
        otherwise it is cancelled: its sends in flight stay 'sending' and go out again
        after a restart (the outbox's at-most-the-window repeat)."""
        run = self._run
        if run is None or run.done():
            return True
        done, _ = await asyncio.wait({run}, timeout=timeout)
        if done:
            return True
        run.cancel()
        await asyncio.wait({run})
        return False

    async def _resend_stuck(self) -> int:
        """Every STUCK_CHECK_EVERY: pushes 'sending' for longer than `stuck_after` go back
        to pending (none of ours is in flight between two batches)."""
        now = self.clock.now()
        if self._next_stuck_check is not None and now < self._next_stuck_check:
            return 0
        self._next_stuck_check = now + STUCK_CHECK_EVERY
        stuck = await self.outbox.recover_in_flight(now, claimed_before=now - self.stuck_after)
        if stuck:
            log.warning("delivery: %d push(es) stuck in 'sending'; sending them again", stuck)
        return stuck

    async def _send_batch(
        self, batch: list[Push], stats: DeliveryStats
    ) -> list[datetime | object | None]:
        """Deliver the pushes of `batch` whose chat may have a message now, in order, as many
        at a time as the window allows; one push per chat per pass (a chat's next one waits
        for the next pass, after its interval). Returns, per push tried, when it is due
        again, or STALLED if not even that could be written. A failure stays with its push;
        only a cancellation (a stop) stops the sends in flight."""
        chats: set[int] = set()
        ready = []
        for push in batch:
            if push.user_id not in chats and self.limiter.chat_ready_in(push.user_id) == 0:
                chats.add(push.user_id)
                ready.append(push)

        async def deliver(push: Push) -> datetime | object | None:
            async with self.window.slot():
                try:
                    return await self._deliver(push, stats)
                except Exception as error:
                    return await self._contain(push, error, stats)

        async with asyncio.TaskGroup() as group:
            sends = [group.create_task(deliver(push)) for push in ready]
        return [send.result() for send in sends]

    async def _deliver(self, push: Push, stats: DeliveryStats) -> datetime | None:
        """Send one push; returns when it is due again if it was released for a retry."""
        if not self.permit():
            return None  # stopping, or another process sends now: the push stays pending
        composer = self._composers.get(push.kind)
        now = self.clock.now()
        if composer is None:
            await self.outbox.finish(push.id, PushState.FAILED, f"no composer for {push.kind}", now)
            stats.failed += 1
            self._count(Outcome.FAILED)
            return None
        try:
            method = await composer(push)
        except Skip as skip:
            await self.outbox.finish(push.id, PushState.SKIPPED, skip.reason, now)
            stats.skipped += 1
            return None
        except Defer as defer:
            await self.outbox.release(push.id, defer.until, defer.reason, now, refund=False)
            stats.deferred += 1
            return None
        except Exception as error:  # a composer bug must not stall every push behind it
            log.exception("delivery: cannot compose push %s", push.id)
            reason = f"compose: {type(error).__name__}: {error}"[:500]
            await self.outbox.finish(push.id, PushState.FAILED, reason, now)
            stats.failed += 1
            self._count(Outcome.FAILED)
            return None
        await self.limiter.acquire(push.user_id)
        if not self.permit():  # asked to stop while waiting for the rate
            return None
        if not await self.outbox.claim(push.id, self.clock.now()):
            return None  # cancelled meanwhile
        asked_at = self.clock.now()
        try:
            result = await self.bot(method)
        except TelegramRetryAfter as error:
            stats.rate_limited += 1
            self._count(Outcome.RATE_LIMITED)
            self.limiter.pause(error.retry_after)
            due = self.clock.now() + timedelta(seconds=error.retry_after)
            await self.outbox.release(
                push.id,
                due,
                f"429: retry after {error.retry_after}s",
                self.clock.now(),
                refund=True,
            )
            return due
        except TelegramForbiddenError as error:
            self._count(Outcome.FORBIDDEN)
            await self._gone(push, error.message, stats)
            return None
        except TelegramBadRequest as error:
            self._count(Outcome.FAILED)
            if any(marker.lower() in error.message.lower() for marker in GONE_CHAT_MARKERS):
                await self._gone(push, error.message, stats)
            else:  # the same request would fail the same way again
                await self.outbox.finish(push.id, PushState.FAILED, error.message, self.clock.now())
                stats.failed += 1
                await self._tell_failed(push, error.message)
            return None
        except Exception as error:  # network, 5xx, anything transient
            reason = f"{type(error).__name__}: {error}"[:500]
            attempts = push.attempts + 1
            if attempts >= self.max_attempts:
                await self.outbox.finish(push.id, PushState.FAILED, reason, self.clock.now())
                stats.failed += 1
                self._count(Outcome.FAILED)
                log.warning("delivery: push %s failed for good: %s", push.id, reason)
                await self._tell_failed(push, reason)
                return None
            due = self.clock.now() + timedelta(seconds=self.backoff**attempts)
            await self.outbox.release(push.id, due, reason, self.clock.now(), refund=False)
            stats.retried += 1
            self._count(Outcome.RETRIED)
            return due
        self.window.observe((self.clock.now() - asked_at).total_seconds())
        on_sent = self._on_sent.get(push.kind)
        if on_sent is not None:
            await on_sent(push, result)
        await self.outbox.mark_sent(push.id, self.clock.now())
        stats.sent += 1
        self._count(Outcome.SENT)
        return None

    async def _contain(
        self, push: Push, error: Exception, stats: DeliveryStats
    ) -> datetime | object | None:
        """Sending `push` broke outside Telegram's answers (the database, a bug): the push,
        alone, goes back to pending after a back-off, counted as an attempt (or is recorded
        as failed after the last one). If it had gone out and only its record failed, it
        goes out once more. Returns when it is due again, or STALLED when even this could
        not be written (it then stays as it was; a 'sending' one is found stuck later)."""
        reason = f"{type(error).__name__}: {error}"[:500]
        log.error("delivery: sending push %s broke: %s", push.id, reason, exc_info=error)
        stats.errors += 1
        attempts = push.attempts + 1
        now = self.clock.now()
        try:
            if attempts >= self.max_attempts:
                await self.outbox.give_back(push.id, attempts, None, reason, now)
                stats.failed += 1
                self._count(Outcome.FAILED)
                return None
            due = now + timedelta(seconds=self.backoff**attempts)
            await self.outbox.give_back(push.id, attempts, due, reason, now)
        except Exception:
            log.exception("delivery: cannot record push %s's failure either", push.id)
            return STALLED
        stats.retried += 1
        self._count(Outcome.RETRIED)
        return due

    async def _gone(self, push: Push, reason: str, stats: DeliveryStats) -> None:
        now = self.clock.now()
        await self.outbox.finish(push.id, PushState.FAILED, reason, now)
        await self.users.set_active(push.user_id, False)
        stats.failed += 1
        stats.deactivated += 1
        log.info("delivery: user %s cannot be reached (%s); marked inactive", push.user_id, reason)
        await self._tell_failed(push, reason)

    async def _tell_failed(self, push: Push, reason: str) -> None:
        on_failed = self._on_failed.get(push.kind)
        if on_failed is None:
            return
        try:
            await on_failed(push, reason)
        except Exception:
            log.exception("delivery: the failure hook of push %s failed", push.id)


def _count_nothing(outcome: str) -> None:
    pass
