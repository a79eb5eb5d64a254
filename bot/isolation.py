"""One update at a time per conversation, without keeping a lock per user forever.

aiogram's `SimpleEventIsolation` serialises the updates of one FSM key (two quick taps of one
student must not race on the state), but never forgets a key: its `defaultdict` keeps one lock
for every user the bot has ever seen (a "TODO" in aiogram). This one counts who holds or waits
for a key's lock and drops the lock when the count falls to zero.

Only that last user removes a key's entry, so an entry is in the table exactly while someone
holds or waits for it: every update of one key meets the same lock, even across `close()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


class _Slot:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holding or waiting


class PerKeyIsolation(BaseEventIsolation):
    def __init__(self) -> None:
        self._slots: dict[StorageKey, _Slot] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.users += 1
        try:
            async with slot.lock:
                yield
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self._slots[key]

    @property
    def held(self) -> int:
        """Keys with an update running or waiting (what the isolation keeps in memory)."""
        return len(self._slots)

    async def close(self) -> None:
        """Nothing to free: idle keys are already gone, and the keys still held belong to
        updates being finished (polling stops while handlers run). Dropping their locks here
        would let the next update of such a key run beside its holder."""
