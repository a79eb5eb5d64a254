"""One sender per database: of the processes started on one SQLite file, only the one holding
the 'sender' lease runs the scheduler and delivers pushes.

Two processes on one database by mistake (an old one not yet stopped, a second service unit)
would otherwise both run every job and both send: twice Telegram's rate, digests planned
twice. The outbox's claims already keep one push from going out twice; the lease keeps the
rest to one process. The lease is a row (bot/db/leases.py) taken at start, renewed every
`RENEW_EVERY`, and released at a clean stop; a holder that dies stops renewing and its lease
runs out after `LEASE_TTL`. The process without it keeps serving updates (answering
students needs no lease) and takes over the scheduler and delivery as soon as the lease is
free: at once after a clean stop, within `LEASE_TTL` + `RENEW_EVERY` after a crash.

Every process also keeps a presence row of its own (`running:<holder>`), renewed and
released with the sender lease, so that `python -m bot restore` sees a process that serves
updates without holding the sender lease too.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.db.leases import Lease, LeaseRepo

log = logging.getLogger(__name__)

SENDER = "sender"
RUNNING = "running:"  # one presence row per live process: running:<holder>
LEASE_TTL = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=10)

Listener = Callable[[bool], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


def holder_id() -> str:
    """This process, as other processes (and an operator reading the row) see it."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SenderLease:
    def __init__(
        self,
        repo: LeaseRepo,
        clock: Clock,
        *,
        holder: str | None = None,
        ttl: timedelta = LEASE_TTL,
        renew_every: timedelta = RENEW_EVERY,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.holder = holder or holder_id()
        self.ttl = ttl
        self.renew_every = renew_every
        self.held = False
        self._expires_at: datetime | None = None
        self._listeners: list[Listener] = []

    def permits_sending(self) -> bool:
        """Whether the delivery may claim another push now."""
        return self.held

    def subscribe(self, listener: Listener) -> None:
        """`listener(True)` when this process takes the lease, `listener(False)` when it
        loses it."""
        self._listeners.append(listener)

    async def refresh(self) -> bool:
        """Take the lease if it is free or expired, renew it if it is ours; returns whether
        this process holds it now. A database that cannot answer keeps what we knew until
        our own lease would have run out."""
        now = self.clock.now()
        try:
            await self.repo.take(RUNNING + self.holder, self.holder, now, now + self.ttl)
            held = await self.repo.take(SENDER, self.holder, now, now + self.ttl)
            if held and not self.held:  # taking over: forget the processes that died
                await self.repo.forget_expired(RUNNING, now)
        except sqlite3.Error as error:
            log.warning("sender lease: cannot renew (%s)", error)
            held = self.held and self._expires_at is not None and now < self._expires_at
        else:
            if held:
                self._expires_at = now + self.ttl
        await self._set(held)
        return held

    def step_down(self) -> None:
        """Stop sending at once (a shutdown has begun); the row stays until `release`."""
        self.held = False

    async def release(self) -> None:
        """Give the lease up so that another process takes over without waiting."""
        self.held = False
        try:
            await self.repo.release(RUNNING + self.holder, self.holder)
            if await self.repo.release(SENDER, self.holder):
                log.info("sender lease released")
        except sqlite3.Error as error:
            log.warning("sender lease: cannot release (%s); it expires on its own", error)

    async def keep(self, sleep: Sleep) -> None:
        """Renew (or wait to take) the lease every `renew_every`, until cancelled."""
        while True:
            await sleep(self.renew_every.total_seconds())
            try:
                await self.refresh()
            except Exception:  # a listener failed (taking over the jobs): renew on regardless
                log.exception("sender lease: taking over or standing down failed")

    async def current(self) -> Lease | None:
        return await self.repo.current(SENDER)

    async def others_running(self) -> list[Lease]:
        """The presence rows of the other live processes on this database."""
        now = self.clock.now()
        return [p for p in await self.repo.running(RUNNING, now) if p.holder != self.holder]

    async def _set(self, held: bool) -> None:
        if held == self.held:
            return
        self.held = held
        if held:
            log.info(
                "sender lease taken (%s): this process runs the scheduler and delivery", self.holder
            )
        else:
            log.warning("sender lease lost: another process runs the scheduler and delivery")
        for listener in self._listeners:
            await listener(held)
