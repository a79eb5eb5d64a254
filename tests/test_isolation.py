"""Two quick taps of one student are handled in turn; and the bot does not keep a lock for
every student it has ever seen."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.db.users import UsersRepo
from bot.domain.profile import Field
from bot.isolation import PerKeyIsolation
from bot.keyboards.callbacks import FieldCb, LangCb, LevelCb
from bot.local_api import LocalTelegram, LocalUser


def isolation(app: App) -> PerKeyIsolation:
    events_isolation = app.dispatcher.fsm.events_isolation
    assert isinstance(events_isolation, PerKeyIsolation)
    return events_isolation


async def test_two_quick_taps_on_two_fields_both_count(app: App, telegram: LocalTelegram) -> None:
    student = LocalUser(id=7001)
    await telegram.send(student, "/start")
    await telegram.press_data(student, LangCb(code="en").pack())
    await telegram.press_data(student, LevelCb(level="master").pack())
    await asyncio.gather(
        telegram.press_data(student, FieldCb(code=Field.ICT.value).pack()),
        telegram.press_data(student, FieldCb(code=Field.HEALTH.value).pack()),
    )
    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None
    assert profile.fields_mask == Field.ICT.bit | Field.HEALTH.bit


async def test_no_lock_outlives_the_updates_of_many_students(
    app: App, telegram: LocalTelegram
) -> None:
    for n in range(300):
        await telegram.send(LocalUser(id=8000 + n), "/start")
    assert isolation(app).held == 0


async def test_a_second_update_of_one_key_waits_for_the_first() -> None:
    from aiogram.fsm.storage.base import StorageKey

    guard = PerKeyIsolation()
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with guard.lock(key):
            order.append("first in")
            first_in.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with guard.lock(key):
            order.append("second in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_in.wait()
    await asyncio.sleep(0)  # let the second task reach the lock (a turn of the loop, no timing)
    assert guard.held == 1 and order == ["first in"]
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first in", "first out", "second in"]
    assert guard.held == 0
