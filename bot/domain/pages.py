"""One page of a list of calls, as the catalogue screens show it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.calls import Call


@dataclass(frozen=True, slots=True)
class Page:
    calls: list[Call]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
