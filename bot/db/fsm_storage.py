"""aiogram FSM storage in SQLite, so a conversation survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot.db.connection import Database


def _key(key: StorageKey) -> str:
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:{key.destiny}"


class SQLiteStorage(BaseStorage):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.db.execute(
            "INSERT INTO fsm_states (key, state, data) VALUES (?, ?, '{}')"
            " ON CONFLICT(key) DO UPDATE SET state = excluded.state",
            (_key(key), value),
        )

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.db.fetchval("SELECT state FROM fsm_states WHERE key = ?", (_key(key),))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO fsm_states (key, state, data) VALUES (?, NULL, ?)"
            " ON CONFLICT(key) DO UPDATE SET data = excluded.data",
            (_key(key), json.dumps(dict(data), ensure_ascii=False)),
        )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        raw = await self.db.fetchval("SELECT data FROM fsm_states WHERE key = ?", (_key(key),))
        return json.loads(raw) if raw else {}

    async def close(self) -> None:  # the Database is closed by its owner
        return None
