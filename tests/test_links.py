"""Parsing what users send in links and inline pages: a `/start` payload and an inline offset.
Whatever arrives, the parsers answer "a call id we issue" / "a page we hand out", or nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.links import (
    INLINE_PAGE_SIZE,
    MAX_ID,
    MAX_INLINE_OFFSET,
    call_payload,
    next_inline_offset,
    parse_call_payload,
    parse_inline_offset,
    share_url,
)

ids = st.integers(min_value=1, max_value=MAX_ID)
payload_like = st.one_of(
    st.text(max_size=70),
    st.from_regex(r"\Ac[0-9]{0,25}[a-z]?\Z"),
    ids.map(lambda n: f"c{n}{'x' if n % 2 else ''}"),
    st.integers().map(lambda n: f"c{n}"),
)


@given(ids)
def test_every_call_payload_we_issue_reads_back_as_its_call(call_id: int) -> None:
    assert parse_call_payload(call_payload(call_id)) == call_id


@given(payload_like)
def test_any_other_payload_names_no_call(payload: str) -> None:
    call_id = parse_call_payload(payload)
    if call_id is not None:
        assert 1 <= call_id <= MAX_ID
        assert call_payload(call_id) == payload.strip()


def test_known_bad_payloads() -> None:
    for payload in (None, "", "c", "c12x", "c99999999999999999999", "c0", "c01", "c-1", "c１２"):
        assert parse_call_payload(payload) is None
    assert parse_call_payload(f"c{MAX_ID + 1}") is None


@given(st.text(max_size=30))
def test_any_offset_reads_as_a_page_start_we_could_have_handed_out(offset: str) -> None:
    shown = parse_inline_offset(offset)
    assert 0 <= shown <= MAX_INLINE_OFFSET and shown % INLINE_PAGE_SIZE == 0
    if shown:
        assert offset == str(shown)


@given(
    st.integers(min_value=0, max_value=MAX_INLINE_OFFSET // INLINE_PAGE_SIZE),
    st.integers(min_value=0, max_value=INLINE_PAGE_SIZE),
    st.integers(min_value=0, max_value=5000),
)
def test_the_next_offset_we_hand_out_reads_back(page: int, on_page: int, total: int) -> None:
    shown = page * INLINE_PAGE_SIZE
    following = next_inline_offset(shown, on_page, total)
    if following:
        assert on_page == INLINE_PAGE_SIZE and shown + on_page < total
        assert parse_inline_offset(following) == shown + on_page
    else:
        assert (
            on_page < INLINE_PAGE_SIZE
            or shown + on_page >= total
            or shown + on_page > MAX_INLINE_OFFSET
        )


def test_the_share_url_quotes_the_link_and_the_text() -> None:
    url = share_url("https://t.me/bot?start=c5", "A & B #1")
    assert (
        url
        == "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fbot%3Fstart%3Dc5&text=A%20%26%20B%20%231"
    )
