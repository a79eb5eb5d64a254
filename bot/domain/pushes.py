"""Pushes: every message the bot sends on its own initiative, and the states one goes through.

pending → sending → sent, or back to pending (retry later), or failed (with a reason);
pending → cancelled / skipped when the push lost its point before going out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class PushState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class NewPush:
    """A push to put in the outbox. (user_id, call_id, kind, slot) is its identity."""

    user_id: int
    kind: str
    due_at: datetime
    call_id: int = 0
    slot: int = 0
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Push:
    id: int
    user_id: int
    call_id: int
    kind: str
    slot: int
    job_id: int | None
    due_at: datetime
    state: PushState
    attempts: int
    reason: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FinishedJob:
    """A delivery job (a broadcast) all of whose pushes are final, with the figures stored
    on its row when it finished: they outlive its outbox rows, which are purged later."""

    finished_at: datetime
    counts: dict[PushState, int]
