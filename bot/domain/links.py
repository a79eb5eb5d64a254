"""Deep links to a call and the offsets of inline-mode pages: what users send us, parsed.

A call's link is `https://t.me/<bot>?start=c<id>`; Telegram hands the payload to the bot as
`/start c<id>`. Anything else in that payload, and any offset the bot did not hand out, is
someone's typing or forging: parsed to "no call" and "from the start", never an error.
"""

from __future__ import annotations

import re
from urllib.parse import quote

CALL_PAYLOAD = re.compile(r"c([1-9][0-9]{0,18})")  # ASCII digits only, no leading zero
MAX_ID = 2**63 - 1  # SQLite's INTEGER; a larger id cannot name a row
INLINE_PAGE_SIZE = 20  # Telegram shows at most 50 results; 20 keeps an answer small
MAX_INLINE_OFFSET = 1000


def call_payload(call_id: int) -> str:
    return f"c{call_id}"


def parse_call_payload(payload: str | None) -> int | None:
    """The call id of a `/start` payload `c<id>`, or None for anything else."""
    if payload is None:
        return None
    match = CALL_PAYLOAD.fullmatch(payload.strip())
    if match is None:
        return None
    call_id = int(match.group(1))
    return call_id if call_id <= MAX_ID else None


def share_url(link: str, text: str) -> str:
    """Telegram's "share to a chat" address: the user picks a chat, the link goes there."""
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


def parse_inline_offset(offset: str, page_size: int = INLINE_PAGE_SIZE) -> int:
    """How many results were already shown: an offset we handed out (a multiple of the page
    size, within bounds), else 0."""
    if not offset.isascii() or not offset.isdecimal() or len(offset) > 6:
        return 0
    shown = int(offset)
    if shown % page_size or shown > MAX_INLINE_OFFSET:
        return 0
    return shown


def next_inline_offset(
    shown: int, on_page: int, total: int, page_size: int = INLINE_PAGE_SIZE
) -> str:
    """The offset of the next page, "" when this page was the last (or short: only full
    pages lead on, so every offset handed out is one `parse_inline_offset` accepts)."""
    after = shown + on_page
    return (
        str(after) if on_page == page_size and after < total and after <= MAX_INLINE_OFFSET else ""
    )
