"""Keyboards of the student's eligibility facts: one question at a time, always skippable."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.domain.eligibility import CEFR, NO_GERMAN, Condition, EnglishTest
from bot.i18n import _
from bot.keyboards.callbacks import FactCb, MenuCb, SettingsCb
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.texts.eligibility import TEST_NAMES, fact_label


def question(condition: Condition) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    fact = condition.value
    if condition is Condition.ENGLISH:
        for test in EnglishTest:
            kb.button(text=TEST_NAMES[test], callback_data=FactCb(fact=fact, value=test.value))
    elif condition is Condition.GERMAN:
        for level in CEFR:
            kb.button(text=level, callback_data=FactCb(fact=fact, value=level))
        kb.button(text=_("No German"), callback_data=FactCb(fact=fact, value=NO_GERMAN))
    elif condition is Condition.CITIZENSHIP:
        kb.button(text=_("Yes"), callback_data=FactCb(fact=fact, value="yes"))
        kb.button(text=_("No"), callback_data=FactCb(fact=fact, value="no"))
    kb.button(text=_("⏭ Skip"), callback_data=FactCb(fact=fact, value="skip"))
    kb.adjust(3)
    return kb.as_markup()


def facts_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for condition in Condition:
        kb.button(
            text="✏️ " + fact_label(condition),
            callback_data=FactCb(fact=condition.value, value="ask"),
        )
    kb.button(text=_("⬅️ Settings"), callback_data=MenuCb(action="settings"))
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(action="home"))
    kb.adjust(1)
    return kb.as_markup()


def back_to_settings() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🧾 My facts"), callback_data=SettingsCb(item="facts"))
    return kb.as_markup()
