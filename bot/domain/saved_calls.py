"""A call a student saved: reminders follow it unless muted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SavedCall:
    user_id: int
    call_id: int
    saved_at: datetime
    muted: bool
