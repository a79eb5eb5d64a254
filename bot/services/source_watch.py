"""Source watch: fetch every published call's official and source page, politely, and notice
when one changes, moves to another site or dies.

Per URL the last check is kept (bot/db/source_watch.py): status, final URL, ETag and
Last-Modified for a conditional GET, a fingerprint of the page's visible text and that text
(bounded) to show the next change as a diff. The first check of a URL only records this
baseline. Later checks put the calls using the URL on the admins' attention list when the
text changed, the page now redirects to another site, or it is gone (404/410, or failing
three checks in a row).

HTML is read with selectolax's Lexbor engine: an HTML5-conformant parser in C (it builds the
tree a browser builds, however broken the markup), a few milliseconds for a 2 MB page, with
CSS selectors to strip scripts, styles and navigation. Pages are cut at MAX_BYTES before
parsing, and parsed in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from selectolax.lexbor import LexborHTMLParser

from bot.clock import Clock
from bot.db.source_watch import SourceWatchRepo
from bot.domain.page_changes import (
    MAX_DIFF_LINES,
    diff_lines,
    fingerprint_bytes,
    fingerprint_text,
    same_site,
    visible_lines,
)
from bot.domain.source_watch import UrlCheck

log = logging.getLogger(__name__)

USER_AGENT = "ImkonBot/0.1 (source watch of scholarship calls; one request per site at a time)"
MAX_BYTES = 2 * 1024 * 1024  # a page is read up to this size, the rest ignored
MAX_STORED_CHARS = 100_000  # visible text kept for the next diff
FAILURES_BEFORE_GONE = 3
MAX_KEPT_DIFF_LINES = 2 * MAX_DIFF_LINES  # of an item that changed more than once
GONE_STATUSES = frozenset({404, 410})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10, sock_read=20)
MAX_REDIRECTS = 5
CONCURRENCY = 4  # different sites fetched at once; one request per site at a time

# What a reader does not see, or sees on every page of the site alike.
INVISIBLE = ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object"]
NAVIGATION = "nav, footer, [role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true]"
BLOCKS = (
    "address, article, aside, blockquote, br, caption, dd, div, dl, dt, fieldset, figcaption,"
    " figure, form, h1, h2, h3, h4, h5, h6, hr, li, main, ol, p, pre, section, table, tbody,"
    " td, th, thead, tfoot, tr, ul"
)
BLOCK_BREAK = "\ue000"  # a private-use character marks block edges while the text is read
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

Resolver = Callable[[str], str]


class Outcome(StrEnum):
    NEW = "new"  # first check: baseline recorded
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    MOVED = "moved"  # now redirects to another site
    GONE = "gone"  # 404/410, or failing FAILURES_BEFORE_GONE checks in a row
    FAILED = "failed"  # no usable answer this time


@dataclass
class WatchSummary:
    checked: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    items_opened: int = 0

    def count(self, outcome: Outcome) -> int:
        return self.outcomes[outcome]

    def line(self) -> str:
        count = self.outcomes.__getitem__
        return (
            f"checked {self.checked}: unchanged {count(Outcome.UNCHANGED)},"
            f" changed {count(Outcome.CHANGED)}, gone {count(Outcome.GONE)},"
            f" failed {count(Outcome.FAILED)}, moved {count(Outcome.MOVED)},"
            f" first check {count(Outcome.NEW)}; attention items opened {self.items_opened}"
        )


@dataclass(frozen=True, slots=True)
class Fetched:
    """One GET's answer. `body` is None for a 304, an error or a failing status."""

    status: int | None
    final_url: str | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    charset: str | None = None
    body: bytes | None = None
    truncated: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PageText:
    fingerprint: str
    lines: list[str] | None  # None: not text (a PDF, an image): compared by hash only


def html_to_lines(html: str) -> list[str]:
    """The page's visible text as lines: scripts, styles and navigation dropped, one line per
    block (paragraph, heading, list item, cell), whitespace collapsed."""
    tree = LexborHTMLParser(html)
    title = tree.css_first("title")
    title_text = title.text(deep=True) if title is not None else ""
    tree.strip_tags(INVISIBLE)
    for node in tree.css(NAVIGATION):
        node.decompose()
    for node in tree.css("header"):
        if not _inside_content(node):
            node.decompose()  # the site's banner, not an article's heading
    for node in tree.css(BLOCKS):
        node.insert_before(BLOCK_BREAK)
        node.insert_after(BLOCK_BREAK)
    root = tree.body if tree.body is not None else tree.root
    body = root.text(deep=True, separator="") if root is not None else ""
    # A line break in the markup is just a space; blocks make the lines.
    return visible_lines(" ".join(title_text.split()) + "\n" + _one_line(body))


def _one_line(text: str) -> str:
    return "\n".join(" ".join(part.split()) for part in text.split(BLOCK_BREAK))


def _inside_content(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("article", "main", "section"):
            return True
        parent = parent.parent
    return False


def decode(body: bytes, charset: str | None) -> str:
    if not charset:
        found = _META_CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def page_text(fetched: Fetched) -> PageText:
    """Fingerprint (and lines, for text) of a fetched page. CPU-bound: run it in a thread."""
    body = fetched.body or b""
    kind = (fetched.content_type or "").lower()
    if kind in ("", "application/octet-stream") and b"<html" in body[:2048].lower():
        kind = "text/html"
    if kind in HTML_TYPES:
        lines = html_to_lines(decode(body, fetched.charset))
    elif kind in TEXT_TYPES:
        lines = visible_lines(decode(body, fetched.charset))
    else:
        return PageText(fingerprint_bytes(body), None)
    return PageText(fingerprint_text(lines), lines)


def bounded_text(lines: list[str]) -> str:
    """The lines kept for the next diff: whole lines, up to MAX_STORED_CHARS."""
    kept: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > MAX_STORED_CHARS:
            break
        kept.append(line)
    return "\n".join(kept)


class PageFetcher:
    """GETs with a User-Agent naming the bot, timeouts, a size cap and conditional headers.
    `resolve` maps a catalogue URL to the address actually fetched (tests point every URL at
    a local server)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_BYTES,
        resolve: Resolver | None = None,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.resolve = resolve or (lambda url: url)

    async def fetch(self, url: str, previous: UrlCheck | None) -> Fetched:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"}
        if previous is not None and previous.fingerprint is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        target = self.resolve(url)
        try:
            async with self.session.get(
                target,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=True,
                max_redirects=MAX_REDIRECTS,
            ) as response:
                answer = Fetched(
                    status=response.status,
                    final_url=str(response.url),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                    content_type=response.content_type,
                    charset=response.charset,
                )
                if response.status == 304 or response.status >= 400:
                    return answer
                body, truncated = await self._read_capped(response)
                return replace(answer, body=body, truncated=truncated)
        except TimeoutError:
            return Fetched(None, None, error="timeout")
        except aiohttp.TooManyRedirects:
            return Fetched(None, None, error="too many redirects")
        except (aiohttp.ClientError, ValueError) as error:
            return Fetched(None, None, error=type(error).__name__)

    async def _read_capped(self, response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            room = self.max_bytes - size
            if len(chunk) >= room:
                chunks.append(chunk[:room])
                return b"".join(chunks), len(chunk) > room or not response.content.at_eof()
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), False


class SourceWatch:
    def __init__(
        self,
        repo: SourceWatchRepo,
        clock: Clock,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_BYTES,
        resolve: Resolver | None = None,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.session = session
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.resolve = resolve
        self.concurrency = concurrency
        self._running = asyncio.Lock()

    async def run(self) -> WatchSummary:
        """Check every URL of every published call once; a second call while one runs waits."""
        async with self._running:
            watched = await self.repo.published_call_urls()
            calls_of: dict[str, list[int]] = {}
            for entry in watched:
                for url in entry.urls:
                    calls_of.setdefault(url, []).append(entry.call_id)
            summary = WatchSummary()
            own_session = self.session is None
            session = self.session or aiohttp.ClientSession()
            try:
                fetcher = PageFetcher(session, self.timeout, self.max_bytes, self.resolve)
                await self._check_all(fetcher, calls_of, summary)
            finally:
                if own_session:
                    await session.close()
            log.info("source watch: %s", summary.line())
            return summary

    async def _check_all(
        self, fetcher: PageFetcher, calls_of: dict[str, list[int]], summary: WatchSummary
    ) -> None:
        by_host: dict[str, list[str]] = {}
        for url in calls_of:
            by_host.setdefault(urlsplit(url).hostname or url, []).append(url)
        gate = asyncio.Semaphore(self.concurrency)

        async def one_site(urls: list[str]) -> None:
            async with gate:  # one request per site at a time: its URLs go one by one
                for url in urls:
                    try:
                        outcome, opened = await self.check(fetcher, url, calls_of[url])
                    except Exception:
                        log.exception("source watch: checking %s failed", url)
                        outcome, opened = Outcome.FAILED, 0
                    summary.checked += 1
                    summary.outcomes[outcome] += 1
                    summary.items_opened += opened

        async with asyncio.TaskGroup() as group:
            for urls in by_host.values():
                group.create_task(one_site(urls))

    async def check(
        self, fetcher: PageFetcher, url: str, call_ids: list[int]
    ) -> tuple[Outcome, int]:
        """Fetch one URL, record the check, raise attention items; (outcome, items opened)."""
        previous = await self.repo.last_check(url)
        fetched = await fetcher.fetch(url, previous)
        now = self.clock.now()
        if fetched.status is None or fetched.status >= 400:
            return await self._failed(url, call_ids, previous, fetched)
        if fetched.status == 304 and previous is not None and previous.fingerprint is not None:
            text = PageText(previous.fingerprint, None)
            stored = previous.text
        elif fetched.status == 304:  # a 304 to a request that asked nothing: treat as failing
            return await self._failed(url, call_ids, previous, fetched)
        else:
            text = await asyncio.to_thread(page_text, fetched)
            stored = bounded_text(text.lines) if text.lines is not None else None
        await self.repo.save_check(
            UrlCheck(
                url=url,
                status=fetched.status,
                final_url=fetched.final_url,
                checked_at=now,
                etag=fetched.etag
                or (previous.etag if fetched.status == 304 and previous else None),
                last_modified=fetched.last_modified
                or (previous.last_modified if fetched.status == 304 and previous else None),
                content_type=previous.content_type
                if fetched.status == 304 and previous is not None
                else fetched.content_type,
                fingerprint=text.fingerprint,
                text=stored,
                error="truncated" if fetched.truncated else None,
                consecutive_failures=0,
            )
        )
        if previous is None or previous.fingerprint is None:
            return Outcome.NEW, 0
        opened = 0
        outcome = Outcome.UNCHANGED
        if self._moved_away(url, previous, fetched):
            detail = {"final_url": fetched.final_url}
            opened += await self._raise(call_ids, "moved", url, detail)
            outcome = Outcome.MOVED
        if text.fingerprint != previous.fingerprint:
            detail = self._change_detail(previous, text, fetched)
            opened += await self._raise(call_ids, "changed", url, detail)
            if outcome == Outcome.UNCHANGED:
                outcome = Outcome.CHANGED
        return outcome, opened

    def _moved_away(self, url: str, previous: UrlCheck, fetched: Fetched) -> bool:
        """Now on another site than the one asked for, and it was not at the last check."""
        asked = urlsplit(fetcher_target(self.resolve, url)).hostname or ""
        now_at = urlsplit(fetched.final_url or "").hostname or ""
        if same_site(asked, now_at):
            return False
        before = urlsplit(previous.final_url or "").hostname or asked
        return same_site(asked, before)

    @staticmethod
    def _change_detail(previous: UrlCheck, text: PageText, fetched: Fetched) -> dict[str, Any]:
        if text.lines is None or previous.text is None:
            return {"binary": True, "content_type": fetched.content_type}
        changed, more = diff_lines(previous.text.splitlines(), bounded_text(text.lines).split("\n"))
        return {"diff": [[line.sign, line.text] for line in changed], "more": more}

    async def _failed(
        self, url: str, call_ids: list[int], previous: UrlCheck | None, fetched: Fetched
    ) -> tuple[Outcome, int]:
        failures = (previous.consecutive_failures if previous is not None else 0) + 1
        await self.repo.save_check(
            UrlCheck(
                url=url,
                status=fetched.status,
                final_url=fetched.final_url or (previous.final_url if previous else None),
                checked_at=self.clock.now(),
                etag=previous.etag if previous else None,
                last_modified=previous.last_modified if previous else None,
                content_type=previous.content_type if previous else None,
                fingerprint=previous.fingerprint if previous else None,
                text=previous.text if previous else None,
                error=fetched.error or f"HTTP {fetched.status}",
                consecutive_failures=failures,
            )
        )
        gone = fetched.status in GONE_STATUSES or failures >= FAILURES_BEFORE_GONE
        if not gone:
            return Outcome.FAILED, 0
        was_gone = previous is not None and (
            previous.status in GONE_STATUSES
            or previous.consecutive_failures >= FAILURES_BEFORE_GONE
        )
        if was_gone:
            return Outcome.GONE, 0  # already announced; an admin may have confirmed it since
        detail = {"status": fetched.status, "error": fetched.error, "failures": failures}
        return Outcome.GONE, await self._raise(call_ids, "gone", url, detail)

    async def _raise(self, call_ids: list[int], kind: str, url: str, detail: dict[str, Any]) -> int:
        """Note `detail` for `url` on each call's open item of `kind` (one item per call and
        kind; a second URL or a second change joins the open item)."""
        now = self.clock.now()
        opened = 0
        for call_id in call_ids:
            existing = await self.repo.open_item(call_id, kind)
            pages = dict(existing.detail.get("pages", {})) if existing is not None else {}
            earlier = pages.get(url, {})
            if "diff" in earlier and "diff" in detail:  # changed again before anyone looked
                merged = [*earlier["diff"], *detail["diff"]]
                detail = {
                    "diff": merged[:MAX_KEPT_DIFF_LINES],
                    "more": earlier["more"]
                    + detail["more"]
                    + max(0, len(merged) - MAX_KEPT_DIFF_LINES),
                }
            pages[url] = detail
            opened += await self.repo.raise_item(call_id, kind, {"pages": pages}, now)
        return opened


def fetcher_target(resolve: Resolver | None, url: str) -> str:
    return resolve(url) if resolve is not None else url
