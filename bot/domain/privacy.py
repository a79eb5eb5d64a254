"""What a student's data export looks like, and the mark a forgotten student leaves on the
tickets kept for the coordinators. Plain Python: rows in, a JSON-ready document out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

# Telegram user ids are positive: 0 is nobody. A ticket whose student ran /forget keeps its
# questions for the coordinators, with this in place of the student's id.
FORGOTTEN_STUDENT_ID = 0

EXPORT_FORMAT = 1


def is_moment_column(name: str) -> bool:
    """Columns that hold unix seconds (UTC) in our schema: `*_at` and `waiting_since`."""
    return name.endswith("_at") or name == "waiting_since"


def _iso(seconds: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(tz).isoformat()


def readable_row(row: Mapping[str, Any], tz: tzinfo) -> dict[str, Any]:
    """A stored row as it was stored, except that moments become ISO 8601 with the offset."""
    return {
        key: _iso(value, tz)
        if is_moment_column(key) and isinstance(value, int) and not isinstance(value, bool)
        else value
        for key, value in row.items()
    }


def export_document(
    user_id: int,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    truncated: Sequence[str],
    generated_at: datetime,
    tz: tzinfo,
) -> dict[str, Any]:
    """Everything stored about one user: each table's rows (English column names, values as
    stored), in the order given; `truncated` names tables cut at the export's bound."""
    return {
        "format": EXPORT_FORMAT,
        "user_id": user_id,
        "generated_at": generated_at.astimezone(tz).isoformat(),
        "time_zone": str(tz),
        "truncated_tables": list(truncated),
        "left_out": "ids of other people (coordinators, admins) and of the coordinators' chat",
        "tables": {name: [readable_row(row, tz) for row in rows] for name, rows in tables.items()},
    }


def export_json(document: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON, indented for reading (Cyrillic and Uzbek letters as themselves)."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
