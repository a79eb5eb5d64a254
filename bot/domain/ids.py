"""Numbers that arrive from outside (button data, command arguments) and name a row, a page or
a Telegram account. Telegram's own ids have at most 52 significant bits and our row ids never
come near that, so anything outside 0..MAX_ID was forged: it names nothing, and letting it reach
SQLite would raise OverflowError (its INTEGER is 64-bit signed) instead of "not found"."""

from __future__ import annotations

import re

MAX_ID = 2**53 - 1
_DIGITS = re.compile(r"[0-9]{1,16}")  # ASCII only: str.isdigit() also takes "²", int() not


def parse_id(text: str | None) -> int | None:
    """The id a person typed (surrounding spaces allowed), or None when it cannot name one."""
    if text is None or not _DIGITS.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if 0 < value <= MAX_ID else None
