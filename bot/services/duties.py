"""The sender's duties — the scheduler and the delivery of pushes — run only while this
process holds the sender lease (bot/services/lease.py), and stop cleanly at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from bot.services.delivery import Delivery
from bot.services.lease import SenderLease, Sleep
from bot.services.notifications import Notifications
from bot.services.scheduler import stop_scheduler

log = logging.getLogger(__name__)


class SenderDuties:
    def __init__(
        self,
        lease: SenderLease,
        scheduler: AsyncIOScheduler,
        delivery: Delivery,
        notifications: Notifications,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.lease = lease
        self.scheduler = scheduler
        self.delivery = delivery
        self.notifications = notifications
        self.sleep = sleep
        self._keeper: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        """Whether this process runs the scheduled jobs now."""
        return self.scheduler.state == STATE_RUNNING

    async def start(self) -> None:
        """Start the scheduler paused, run it if the lease is ours (create_app tried to take
        it), and keep renewing or waiting for the lease in the background."""
        self.scheduler.start(paused=True)
        self.lease.subscribe(self._lease_changed)
        if self.lease.held:
            await self._run_jobs()
        else:
            holder = await self.lease.current()
            log.warning(
                "another process (%s) holds the sender lease: serving updates only until it "
                "stops; this one takes over the scheduler and delivery then",
                holder.holder if holder else "?",
            )
        self._keeper = asyncio.create_task(self.lease.keep(self.sleep))

    async def stop(self, grace: float) -> None:
        """No new push is claimed from now; the sends in flight finish and are recorded
        (within `grace` seconds, else they are cut off: the outbox sends them again); then
        the scheduler stops and the lease is released for another process."""
        if self._stopped:
            return
        self._stopped = True
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        self.lease.step_down()
        if self.running:
            self.scheduler.pause()
        if not await self.delivery.finish(grace):
            log.warning("delivery: the run did not finish within %s s; stopped it", grace)
        stop_scheduler(self.scheduler)
        await self.lease.release()

    async def _lease_changed(self, held: bool) -> None:
        if held:
            # The last holder may have died mid-send: its pushes in flight go out again.
            # (If this fails, the delivery finds them stuck later; the jobs run regardless.)
            try:
                await self.delivery.recover()
            finally:
                await self._run_jobs()
        elif self.running:
            self.scheduler.pause()

    async def _run_jobs(self) -> None:
        try:
            await self.notifications.plan_digests()  # a Monday missed while down or standing by
        finally:
            self.scheduler.resume()
        log.info("scheduler running: %s", ", ".join(job.id for job in self.scheduler.get_jobs()))
