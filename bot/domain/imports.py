"""A catalogue file an admin sent: checked, and waiting for the confirm that applies it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PendingImport:
    id: int
    admin_id: int
    filename: str
    rows: list[dict[str, str]]
    applied: bool
