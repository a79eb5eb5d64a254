"""The published calls of one catalogue version, held in memory for search.

A search must count every open call matching its words and show the first few by deadline.
Asked of SQLite, that is one primary-key probe and a sort per match — thousands for a common
word such as "erasmus" — which was most of a search's time (bench/queries.py). Here each
published call has a *rank*, its place in the product's order (dated calls by deadline, then
rolling calls; ties by id), and a set of calls is a Python integer with bit `rank` set for
each member. The calls still open at a moment are then one range of ranks (from the first
deadline after it to the end), a search is the AND of its words' sets with that range,
`int.bit_count` is the total, and the page is read off the lowest set bits, already in order.

What each word matches is asked of the FTS5 index itself (`"word"*` alone), so a search
finds exactly what the full MATCH expression found — the AND of its words' matches — and
remembered per word until the catalogue changes. `CallsRepo.search` reads the catalogue
version (migrations/0015) before every search and builds a new index when it has moved.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence

# Words remembered per catalogue version: a word's set costs the catalogue's size / 8 bytes.
TERMS_REMEMBERED = 4096


class OpenCallIndex:
    def __init__(self, version: int, published: Sequence[tuple[int, int | None]]) -> None:
        """`published`: (call id, deadline epoch or None) of every published call, in the
        product's order: deadline ascending, rolling (None) last, ties by id."""
        self.version = version
        self.ids = [call_id for call_id, _ in published]
        self.rank_of = {call_id: rank for rank, call_id in enumerate(self.ids)}
        # Dated calls come first, so rank n of a dated call is deadlines[n].
        self.deadlines = [deadline for _, deadline in published if deadline is not None]
        self._all = (1 << len(self.ids)) - 1
        self._terms: OrderedDict[str, int] = OrderedDict()

    def open_at(self, epoch: int) -> int:
        """The calls still open at `epoch`: deadline after it, or rolling."""
        first_open = bisect_right(self.deadlines, epoch)
        return self._all >> first_open << first_open

    def term(self, term: str) -> int | None:
        """The calls a search word matches, if that word was looked up in this version."""
        mask = self._terms.get(term)
        if mask is not None:
            self._terms.move_to_end(term)
        return mask

    def remember(self, term: str, call_ids: Iterable[int]) -> int:
        """Keep the set of published calls among `call_ids` (a word's FTS matches)."""
        bits = bytearray((len(self.ids) + 7) // 8)
        rank_of = self.rank_of
        for call_id in call_ids:
            rank = rank_of.get(call_id)
            if rank is not None:  # a draft or closed call, or one newer than this index
                bits[rank >> 3] |= 1 << (rank & 7)
        mask = int.from_bytes(bits, "little")
        self._terms[term] = mask
        while len(self._terms) > TERMS_REMEMBERED:
            self._terms.popitem(last=False)
        return mask

    def page(self, matches: int, offset: int, size: int) -> list[int]:
        """Call ids of the `size` matches after the first `offset`, in the product's order."""
        if offset > 0:
            # The lowest rank with `offset` matches below it, by bisection: a deep page costs
            # a few counts, not one step per skipped match.
            low, high = 0, matches.bit_length()
            while low < high:
                middle = (low + high) // 2
                if (matches & ((1 << middle) - 1)).bit_count() >= offset:
                    high = middle
                else:
                    low = middle + 1
            matches = matches >> low << low
        ids: list[int] = []
        while matches and len(ids) < size:
            lowest = matches & -matches
            matches ^= lowest
            ids.append(self.ids[lowest.bit_length() - 1])
        return ids
