"""What the source watch records: the last check of each watched URL, the calls it watches,
and the items that ask an admin's attention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ATTENTION_KINDS = ("changed", "moved", "gone")


@dataclass(frozen=True, slots=True)
class UrlCheck:
    url: str
    status: int | None
    final_url: str | None
    checked_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    fingerprint: str | None = None
    text: str | None = None
    error: str | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class AttentionItem:
    id: int
    call_id: int
    kind: str
    detail: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WatchedCall:
    call_id: int
    urls: tuple[str, ...] = field(default_factory=tuple)
