"""Keyboards that depend only on the locale and a few plain arguments, built once.

A keyboard costs a pydantic model, a packed callback and a gettext lookup per button: the
main menu alone took about a third of a `/menu` update (bench/throughput.py). The result of
a builder decorated here is shared between updates, so it must never be changed in place:
build a new `InlineKeyboardMarkup` from its rows instead (as bot/handlers/my.py does).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar

from aiogram.utils.i18n import get_i18n

P = ParamSpec("P")
R = TypeVar("R")

ENTRIES = 4096  # per builder: every locale × every argument a student can reach, with room


def per_locale(builder: Callable[P, R]) -> Callable[P, R]:
    """Memoise `builder` on (the current locale, its positional arguments)."""

    @lru_cache(maxsize=ENTRIES)
    def built(locale: str, *args: Hashable) -> R:
        return builder(*args)  # type: ignore[arg-type, call-arg]  # P.args, taken apart so that lru_cache can hash them

    @wraps(builder)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            raise TypeError(f"{builder.__name__}: pass arguments by position")
        return built(get_i18n().current_locale, *args)

    return wrapper
