"""The record of changes to calls: who, when, what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    call_id: int
    actor_id: int | None
    actor_name: str | None
    at: datetime
    action: str
    changes: dict[str, list[str]]
    author: str | None = None  # "system": the bot's own jobs (the expiry job), not a person
