"""Two processes on one database by mistake: only the holder of the sender lease runs the
scheduler and sends pushes; the other serves updates and takes over when the lease is free."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.domain.pushes import NewPush, PushState
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from bot.runners.polling import sender_duties
from bot.services.duties import SenderDuties
from bot.services.lease import LEASE_TTL
from tests.conftest import NOW, make_settings
from tests.test_delivery import make_users, note_composer, sends

RECIPIENTS = range(8000, 8003)


async def never(_: float) -> None:
    """The lease keeper's sleep: the test renews by hand, on the fake clock."""
    await asyncio.Event().wait()


@asynccontextmanager
async def process(
    tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[App, SenderDuties, LocalSession]]:
    """One bot process on the shared database file, serving as `python -m bot` does."""
    session = LocalSession()
    app = await create_app(make_settings(tmp_path), clock=clock, session=session)
    app.services.delivery.register("note", note_composer)
    duties = sender_duties(app)
    duties.sleep = never
    await duties.start()
    try:
        yield app, duties, session
    finally:
        await duties.stop(1)
        await app.close()


async def queue_notes(app: App) -> None:
    await make_users(app, RECIPIENTS)
    await app.services.delivery.enqueue([NewPush(u, "note", app.clock.now()) for u in RECIPIENTS])


async def test_of_two_processes_on_one_database_only_the_first_schedules_and_sends(
    tmp_path: Path,
) -> None:
    clock = FakeClock(NOW)
    async with process(tmp_path, clock) as (first, first_duties, first_session):
        async with process(tmp_path, clock) as (second, second_duties, second_session):
            assert first_duties.running and not second_duties.running
            await queue_notes(second)

            # The second one's dispatch tick (scheduled or by hand) sends nothing.
            await second.services.notifications.tick()
            assert sends(second_session) == []
            await first.services.notifications.tick()
            assert sorted(int(m.chat_id) for m in sends(first_session)) == list(RECIPIENTS)

            # Renewed in time, the lease stays with the first however long it runs.
            for _ in range(6):
                clock.advance(LEASE_TTL * 2 / 3)
                assert await first.services.lease.refresh()
                assert not await second.services.lease.refresh()
            assert first_duties.running and not second_duties.running

            # The second still answers students: it serves updates without the lease.
            telegram = LocalTelegram(second.bot, second.dispatcher, second_session)
            await telegram.send(LocalUser(id=8100, first_name="Bobur"), "/start")
            assert sends(second_session)


async def test_when_the_holder_stops_renewing_the_other_takes_over_after_expiry(
    tmp_path: Path,
) -> None:
    clock = FakeClock(NOW)
    async with process(tmp_path, clock) as (first, first_duties, first_session):
        async with process(tmp_path, clock) as (second, second_duties, second_session):
            await queue_notes(first)
            # The first hangs (no renewal). Before the lease runs out, nobody takes over.
            clock.advance(LEASE_TTL - timedelta(seconds=1))
            assert not await second.services.lease.refresh()
            assert not second_duties.running
            await second.services.notifications.tick()
            assert sends(second_session) == []

            clock.advance(seconds=2)
            assert await second.services.lease.refresh()
            assert second_duties.running
            await second.services.notifications.tick()
            assert sorted(int(m.chat_id) for m in sends(second_session)) == list(RECIPIENTS)

            # The first wakes up: its renewal finds the lease taken, and it stands down.
            assert not await first.services.lease.refresh()
            assert not first_duties.running
            await first.services.notifications.tick()
            assert sends(first_session) == []
            counts = await first.services.delivery.outbox.counts()
            assert counts[PushState.SENT] == len(RECIPIENTS)


async def test_a_clean_stop_hands_the_lease_over_at_once(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    async with process(tmp_path, clock) as (_, holder_duties, _):
        async with process(tmp_path, clock) as (third, third_duties, _):
            assert not third_duties.running
            await holder_duties.stop(1)  # the holder stops cleanly (SIGTERM)
            assert await third.services.lease.refresh()  # no waiting for the expiry
            assert third_duties.running
            lease = await third.services.lease.current()
            assert lease is not None and lease.holder == third.services.lease.holder


async def test_a_crashed_process_is_forgotten_when_another_takes_over(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    async with process(tmp_path, clock) as (first, _duties, _session):
        crashed = first.services.lease.holder
        second = await create_app(make_settings(tmp_path), clock=clock)
        try:
            others = {p.holder for p in await second.services.lease.others_running()}
            assert crashed in others  # both alive: each sees the other
            # `first` dies without releasing anything; its rows run out.
            first.services.lease.held = False
            first.services.lease.release = _nothing  # type: ignore[method-assign]
            clock.advance(LEASE_TTL + timedelta(seconds=1))
            assert await second.services.lease.refresh()  # takes the sender lease over
            running = await second.repos.leases.running("running:", clock.now())
            assert [p.holder for p in running] == [second.services.lease.holder]
            rows = await second.db.fetchall("SELECT name FROM leases")
            assert f"running:{crashed}" not in {r[0] for r in rows}  # the dead row is gone
        finally:
            await second.close()


async def _nothing() -> None:
    return None
