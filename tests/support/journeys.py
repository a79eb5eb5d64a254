"""A student's everyday journey through the bot, for tests that look at what it touched."""

from __future__ import annotations

from bot.fake_telegram import LocalTelegram, LocalUser
from tests.conftest import onboard


async def everyday_journey(telegram: LocalTelegram, student: LocalUser) -> None:
    """Onboard, open and save the first call, tick its checklist, look at My applications,
    change fields in the settings, and search."""
    await onboard(telegram, student)
    await telegram.send(student, "/calls")
    await telegram.press(student, "1.")
    await telegram.press(student, "Save")
    await telegram.press(student, "Checklist")
    await telegram.send(student, "/menu")
    await telegram.press(student, "My applications")
    await telegram.send(student, "/settings")
    await telegram.press(student, "Fields")
    await telegram.press(student, "Done")
    await telegram.send(student, "daad")  # a search
