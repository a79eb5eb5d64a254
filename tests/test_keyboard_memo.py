"""The two speed workarounds in bot/keyboards, and what they rely on.

- Keyboards built once per locale are shared between updates (bot/keyboards/memo.py): a
  handler that changed one in place would change it for every student after it.
- Our InlineKeyboardBuilder reads aiogram's private `_markup` instead of deep-copying it
  (bot/keyboards/inline.py): it must build exactly what aiogram's own builder builds.
"""

from __future__ import annotations

from aiogram.utils import keyboard as aiogram_keyboard

from bot.fake_telegram import LocalTelegram, LocalUser
from bot.keyboards.callbacks import LangCb
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.keyboards.memo import MEMOS
from tests.support.journeys import everyday_journey


def shared_keyboards() -> dict[tuple[int, tuple[object, ...]], str]:
    return {
        (number, key): markup.model_dump_json()
        for number, memo in enumerate(MEMOS)
        for key, markup in memo.items()
    }


async def test_a_journey_never_changes_a_keyboard_other_students_share(
    telegram: LocalTelegram,
) -> None:
    first, second = LocalUser(id=5001, first_name="A"), LocalUser(id=5002, first_name="B")
    await everyday_journey(telegram, first)
    before = shared_keyboards()
    assert before  # the journey went through memoised keyboards
    await everyday_journey(telegram, second)
    after = shared_keyboards()
    changed = [key for key, dumped in before.items() if key in after and after[key] != dumped]
    assert not changed, changed


def test_our_builder_builds_what_aiogram_builds() -> None:
    def fill(builder: aiogram_keyboard.InlineKeyboardBuilder) -> None:
        for code in ("uz", "uz_Cyrl", "ru", "en", "xx"):
            builder.button(text=code, callback_data=LangCb(code=code))
        builder.row()
        builder.adjust(2, 1)

    ours, theirs = InlineKeyboardBuilder(), aiogram_keyboard.InlineKeyboardBuilder()
    fill(ours)
    fill(theirs)
    assert ours.as_markup() == theirs.as_markup()
    assert ours.export() == theirs.export()
