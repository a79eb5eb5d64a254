"""Two quick taps of one student are handled in turn; the bot does not keep a lock for every
student it has ever seen; and stopping the bot while a tap is handled breaks neither that tap
nor the order of the next ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

from bot.app import App
from bot.db.users import UsersRepo
from bot.domain.profile import Field
from bot.fake_telegram import LocalTelegram, LocalUser
from bot.isolation import PerKeyIsolation

KEY = StorageKey(bot_id=1, chat_id=5, user_id=5)


def isolation(app: App) -> PerKeyIsolation:
    events_isolation = app.dispatcher.fsm.events_isolation
    assert isinstance(events_isolation, PerKeyIsolation)
    return events_isolation


class Arrivals(BaseEventIsolation):
    """The app's own isolation, telling the test when an update has asked for its key."""

    def __init__(self, inner: BaseEventIsolation) -> None:
        self.inner = inner
        self.asked = 0
        self.second_asked = asyncio.Event()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        self.asked += 1
        if self.asked == 2:
            self.second_asked.set()
        async with self.inner.lock(key):
            yield

    async def close(self) -> None:
        await self.inner.close()


class HeldProfileWrite:
    """Holds the first profile write (a tap's read-modify-write of the profile) until
    released: the window in which a second tap, if let in, reads the profile unchanged."""

    def __init__(self, users: UsersRepo, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        original = users.update

        async def update(user_id: int, **changes: Any) -> Any:
            if not self.reached.is_set():
                self.reached.set()
                await self.release.wait()
            return await original(user_id, **changes)

        monkeypatch.setattr(users, "update", update)


async def at_fields_question(telegram: LocalTelegram, student: LocalUser) -> None:
    await telegram.send(student, "/start")
    await telegram.press(student, "English")
    await telegram.press(student, "Master")


def ticked(telegram: LocalTelegram, student: LocalUser) -> set[str]:
    keyboard = telegram.last_keyboard_message(student.id)
    assert keyboard is not None
    return {b.text.removeprefix("✅ ") for b in keyboard.buttons() if b.text.startswith("✅")}


async def two_taps_overlapping(
    app: App,
    telegram: LocalTelegram,
    student: LocalUser,
    monkeypatch: pytest.MonkeyPatch,
    while_first_is_held: Any = None,
) -> None:
    """ICT is tapped and, while its profile write is pending, Health is tapped."""
    arrivals = Arrivals(app.dispatcher.fsm.events_isolation)
    monkeypatch.setattr(app.dispatcher.fsm, "events_isolation", arrivals)
    held = HeldProfileWrite(app.repos.users, monkeypatch)
    first = asyncio.create_task(telegram.press(student, "ICT"))
    await held.reached.wait()
    if while_first_is_held is not None:
        await while_first_is_held()
    second = asyncio.create_task(telegram.press(student, "Health"))
    await arrivals.second_asked.wait()
    held.release.set()
    await asyncio.gather(first, second)


async def test_two_quick_taps_on_two_fields_both_count(
    app: App, telegram: LocalTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = LocalUser(id=7001, language_code="en")
    await at_fields_question(telegram, student)
    guard = isolation(app)

    await two_taps_overlapping(app, telegram, student, monkeypatch)

    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None
    assert profile.fields_mask == Field.ICT.bit | Field.HEALTH.bit
    assert ticked(telegram, student) == {"ICT", "Health and welfare"}
    assert guard.held == 0


async def test_the_bot_stopping_mid_tap_breaks_neither_that_tap_nor_the_next(
    app: App, telegram: LocalTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = LocalUser(id=7002, language_code="en")
    await at_fields_question(telegram, student)
    guard = isolation(app)

    async def stop_the_bot() -> None:  # polling stops: aiogram's shutdown closes the isolation
        await app.dispatcher.emit_shutdown()
        assert guard.held == 1  # the tap in flight keeps its lock

    await two_taps_overlapping(app, telegram, student, monkeypatch, stop_the_bot)

    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None
    assert profile.fields_mask == Field.ICT.bit | Field.HEALTH.bit
    assert guard.held == 0


async def test_no_lock_outlives_the_updates_of_many_students(
    app: App, telegram: LocalTelegram
) -> None:
    for n in range(300):
        await telegram.send(LocalUser(id=8000 + n), "/start")
    assert isolation(app).held == 0


class Holder:
    """One update of KEY: takes the lock, records it, and leaves when told."""

    def __init__(self, guard: PerKeyIsolation, name: str, order: list[str]) -> None:
        self.inside = asyncio.Event()
        self.leave = asyncio.Event()
        self.task = asyncio.create_task(self._run(guard, name, order))

    async def _run(self, guard: PerKeyIsolation, name: str, order: list[str]) -> None:
        async with guard.lock(KEY):
            order.append(f"{name} in")
            self.inside.set()
            await self.leave.wait()
            order.append(f"{name} out")


async def turn() -> None:
    """One turn of the loop, so that a task started just now reaches the lock (no timing)."""
    await asyncio.sleep(0)


async def test_a_second_update_of_one_key_waits_for_the_first() -> None:
    guard = PerKeyIsolation()
    order: list[str] = []
    first = Holder(guard, "first", order)
    await first.inside.wait()
    second = Holder(guard, "second", order)
    await turn()
    assert guard.held == 1 and order == ["first in"]
    first.leave.set()
    second.leave.set()
    await asyncio.gather(first.task, second.task)
    assert order == ["first in", "first out", "second in", "second out"]
    assert guard.held == 0


async def test_closing_while_a_key_is_held_lets_the_holder_finish_and_keeps_the_order() -> None:
    guard = PerKeyIsolation()
    order: list[str] = []
    first = Holder(guard, "first", order)
    await first.inside.wait()

    await guard.close()
    second = Holder(guard, "second", order)  # arrives after close: still waits for the first
    await turn()
    assert order == ["first in"]

    first.leave.set()
    await first.task  # leaves without error
    await second.inside.wait()
    third = Holder(guard, "third", order)  # the first's leaving did not drop the second's lock
    await turn()
    assert order == ["first in", "first out", "second in"]

    second.leave.set()
    third.leave.set()
    await asyncio.gather(second.task, third.task)
    assert order[3:] == ["second out", "third in", "third out"]
    assert guard.held == 0
