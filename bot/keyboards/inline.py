"""aiogram's InlineKeyboardBuilder without its deep copies.

aiogram's builder deep-copies the whole markup on every `button()`, `row()` and `adjust()`
(quadratic in buttons, and pydantic's deepcopy is slow): the 13-button fields keyboard took
about 20 ms to build, most of an update's handling time (see `make bench`). The buttons are
built here and never changed afterwards, so copying the rows keeps the builder's behaviour.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils import keyboard


class InlineKeyboardBuilder(keyboard.InlineKeyboardBuilder):
    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]
