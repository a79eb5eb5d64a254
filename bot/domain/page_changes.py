"""What changed on an official page: visible-text lines, their fingerprint, a short diff, and
the dates in it (en / ru / uz forms) so an admin sees at once whether a deadline moved."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MAX_DIFF_LINES = 24
MAX_LINE_CHARS = 300

_SPACE = re.compile(r"\s+")


def visible_lines(text: str) -> list[str]:
    """Lines with whitespace collapsed; empty lines dropped."""
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def fingerprint_text(lines: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def fingerprint_bytes(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True, slots=True)
class DiffLine:
    sign: str  # "-" removed, "+" added
    text: str


def diff_lines(
    before: list[str], after: list[str], limit: int = MAX_DIFF_LINES
) -> tuple[list[DiffLine], int]:
    """The changed lines (removed, then added, hunk by hunk), at most `limit` of them, each cut
    to MAX_LINE_CHARS; and how many more changed lines were left out."""
    changed: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changed.extend(DiffLine("-", _cut(line)) for line in before[i1:i2])
        changed.extend(DiffLine("+", _cut(line)) for line in after[j1:j2])
    return changed[:limit], max(0, len(changed) - limit)


def _cut(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


# -- dates ---------------------------------------------------------------------------------

_EN_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# Russian (genitive and nominative) and Uzbek Cyrillic share stems: январ-я / январ-ь / январ.
_CYR_MONTHS = (
    r"январ[ьяе]?|феврал[ьяе]?|март[аео]?|апрел[ьяе]?|ма[йяе]|июн[ьяе]?|июл[ьяе]?"
    r"|август[аео]?|сентябр[ьяе]?|октябр[ьяе]?|ноябр[ьяе]?|декабр[ьяе]?"
)
_UZ_MONTHS = r"yanvar|fevral|mart|aprel|may|iyun|iyul|avgust|sentabr|sentyabr|oktabr|noyabr|dekabr"
_MONTH = rf"(?:{_EN_MONTHS}|{_CYR_MONTHS}|{_UZ_MONTHS})"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_YEAR = r"(?:19|20)\d\d"
_YEAR_WORD = r"(?:\s*(?:г\.|года|год|yil|йил)(?:\b|(?=\s|$)))?"
_SEP = r"(?:\s+|\s*-\s*|\.\s*)"  # "15 January", "15-yanvar", "15. Januar"

DATE_PATTERN = re.compile(
    "|".join(
        (
            # 2027-01-15, 2027/01/15
            rf"\b{_YEAR}[-/.](?:0?[1-9]|1[0-2])[-/.]{_DAY}\b",
            # 15.01.2027, 15/01/27, 01-15-2027
            rf"\b{_DAY}[./-](?:0?[1-9]|1[0-2])[./-](?:{_YEAR}|\d\d)\b",
            # 2027-yil 15-yanvar, 2027 йил 15 январ
            rf"\b{_YEAR}\s*-?\s*(?:yil|йил)\w*\s+{_DAY}{_SEP}{_MONTH}\w*",
            # 15 January 2027, 15 января 2027 г., 15-yanvar
            rf"\b{_DAY}(?:st|nd|rd|th)?{_SEP}(?:of\s+)?{_MONTH}(?![^\W\d_]{{3,}})\w*\.?"
            rf"(?:,?\s*{_YEAR}{_YEAR_WORD})?",
            # January 15, 2027 / January 15
            rf"\b{_MONTH}\w*\.?\s+{_DAY}(?:st|nd|rd|th)?\b(?:,?\s*{_YEAR}\b)?",
            # January 2027, январь 2027
            rf"\b{_MONTH}\w*\.?\s+{_YEAR}\b{_YEAR_WORD}",
        )
    ),
    re.IGNORECASE,
)


def find_dates(text: str) -> list[tuple[int, int]]:
    """Spans of the dates in `text`, in order, never overlapping."""
    return [match.span() for match in DATE_PATTERN.finditer(text) if match.end() > match.start()]


def highlight_dates(
    text: str, escape: Callable[[str], str], start: str = "<b>", end: str = "</b>"
) -> str:
    """`text` escaped by `escape`, every date in it wrapped in start/end."""
    parts: list[str] = []
    position = 0
    for begin, finish in find_dates(text):
        parts.append(escape(text[position:begin]))
        parts.append(start + escape(text[begin:finish]) + end)
        position = finish
    parts.append(escape(text[position:]))
    return "".join(parts)


def same_site(first: str, second: str) -> bool:
    """Whether two host names are one site: equal, but for a leading "www."."""

    def bare(host: str) -> str:
        host = host.lower().rstrip(".")
        return host[4:] if host.startswith("www.") else host

    return bare(first) == bare(second)
