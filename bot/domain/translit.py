"""Folding text for search so that Uzbek Latin and Cyrillic, any case and any apostrophe
variant of o‘/g‘ reach the same index terms.

Everything is folded *to Latin*: Cyrillic Uzbek (and Russian) is transliterated with the
official 1995 Uzbek Latin rules, apostrophes are dropped, case is folded.
"""

from __future__ import annotations

import re

APOSTROPHES = "'`‘’ʻʼ´′"  # ' ` ‘ ’ ʻ ʼ ´ ′
VOWELS_CYR = "аеёиоуэюяўыАЕЁИОУЭЮЯЎЫ"

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "x", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ў": "o", "қ": "q", "ғ": "g", "ҳ": "h",
}  # fmt: skip

_WORD = re.compile(r"\w+", re.UNICODE)


def _transliterate(text: str) -> str:
    out: list[str] = []
    previous = ""
    for char in text:
        lower = char.lower()
        if lower == "е" and (not previous.isalpha() or previous in VOWELS_CYR):
            out.append("ye")  # Европа -> Yevropa, as Uzbek Latin writes it
        else:
            out.append(_CYR_TO_LAT.get(lower, lower))
        previous = char
    return "".join(out)


def fold(text: str) -> str:
    """Lower-case Latin form of `text` with o‘/g‘ apostrophes removed."""
    for mark in APOSTROPHES:
        text = text.replace(mark, "")
    return _transliterate(text).casefold()


def search_terms(query: str) -> list[str]:
    """Index terms of a user's query (folded words, longest first is not needed)."""
    return _WORD.findall(fold(query))


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every word must appear, as a prefix. None if no words."""
    terms = search_terms(query)
    if not terms:
        return None
    return " AND ".join(fts_term(term) for term in terms[:10])


def fts_term(term: str) -> str:
    """One folded word as an FTS5 prefix query, quoted so that it cannot be syntax."""
    return f'"{term}"*'
