"""Keyboards that depend only on the locale and a few plain arguments, built once.

A keyboard costs a pydantic model, a packed callback and a gettext lookup per button: the
main menu alone took about a third of a `/menu` update (bench/throughput.py). The result of
a builder decorated here is shared between updates, so it must never be changed in place:
build a new `InlineKeyboardMarkup` from its rows instead (as bot/handlers/my.py does).
tests/test_keyboard_memo.py fails when a handler changes a shared keyboard.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from aiogram.utils.i18n import get_i18n

P = ParamSpec("P")
R = TypeVar("R")

ENTRIES = 4096  # per builder: every locale × every argument a student can reach, with room

# Every memo, so that tests can check that nothing shared was changed.
MEMOS: list[dict[tuple[Hashable, ...], Any]] = []


def per_locale(builder: Callable[P, R]) -> Callable[P, R]:
    """Memoise `builder` on (the current locale, its positional arguments)."""
    memo: dict[tuple[Hashable, ...], R] = {}
    MEMOS.append(memo)

    @wraps(builder)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            raise TypeError(f"{builder.__name__}: pass arguments by position")
        key = (get_i18n().current_locale, *args)
        found = memo.get(key)
        if found is None:
            if len(memo) >= ENTRIES:
                memo.clear()
            found = memo[key] = builder(*args, **kwargs)
        return found

    return wrapper
