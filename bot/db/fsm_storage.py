"""aiogram FSM storage in SQLite, so a conversation survives a restart.

aiogram reads the state several times per update (its middleware, then every StateFilter),
so reads are served from a write-through cache: this process is the only writer of
`fsm_states`, and every write goes to SQLite before the cache. Writes that change nothing
are skipped.
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot.db.connection import Database

CACHE_ENTRIES = 50_000


def _key(key: StorageKey) -> str:
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:{key.destiny}"


class SQLiteStorage(BaseStorage):
    def __init__(self, db: Database, cache_entries: int = CACHE_ENTRIES) -> None:
        self.db = db
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cache_entries = cache_entries

    async def _load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        entry = self._cache.get(key)
        if entry is not None:
            self._cache.move_to_end(key)
            return entry
        row = await self.db.quick_fetchone(
            "SELECT state, data FROM fsm_states WHERE key = ?", (key,)
        )
        entry = (None, {}) if row is None else (row["state"], json.loads(row["data"] or "{}"))
        self._remember(key, entry)
        return entry

    def _remember(self, key: str, entry: tuple[str | None, dict[str, Any]]) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_entries:
            self._cache.popitem(last=False)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        k = _key(key)
        current, data = await self._load(k)
        if current == value:
            return
        await self.db.execute(
            "INSERT INTO fsm_states (key, state, data) VALUES (?, ?, '{}')"
            " ON CONFLICT(key) DO UPDATE SET state = excluded.state",
            (k, value),
        )
        self._remember(k, (value, data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(_key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        k = _key(key)
        state, current = await self._load(k)
        new = copy.deepcopy(dict(data))
        if new == current:
            return
        await self.db.execute(
            "INSERT INTO fsm_states (key, state, data) VALUES (?, NULL, ?)"
            " ON CONFLICT(key) DO UPDATE SET data = excluded.data",
            (k, json.dumps(new, ensure_ascii=False)),
        )
        self._remember(k, (state, new))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._load(_key(key)))[1])

    def forget_user(self, user_id: int) -> None:
        """Drop the cached states of a user whose rows were deleted (/forget)."""
        for key in [k for k in self._cache if k.split(":")[2:3] == [str(user_id)]]:
            del self._cache[key]

    async def close(self) -> None:  # the Database is closed by its owner
        return None
