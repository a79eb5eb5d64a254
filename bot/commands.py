"""The command menu Telegram shows, per language. Failure here never stops the bot."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n

from bot.i18n import __

log = logging.getLogger(__name__)

COMMANDS = [
    ("start", __("Set up your profile")),
    ("menu", __("Main menu")),
    ("calls", __("Calls that match you")),
    ("search", __("Search the catalogue")),
    ("my", __("My applications: saved calls and reminders")),
    ("tickets", __("My questions to coordinators")),
    ("settings", __("Language, level, fields, filters")),
    ("help", __("How to use the bot")),
    ("about", __("About Imkon")),
]

# Telegram passes two-letter codes; "uz" cannot say which script, so it gets Latin.
TELEGRAM_LANGUAGE_OF_LOCALE = {"uz": "uz", "ru": "ru", "en": "en"}


def commands_for(i18n: I18n, locale: str) -> list[BotCommand]:
    with i18n.use_locale(locale):
        return [BotCommand(command=name, description=str(text)) for name, text in COMMANDS]


async def register_commands(bot: Bot, i18n: I18n, default_locale: str) -> None:
    try:
        with i18n.context():
            await bot.set_my_commands(commands_for(i18n, default_locale))
            for locale, code in TELEGRAM_LANGUAGE_OF_LOCALE.items():
                await bot.set_my_commands(commands_for(i18n, locale), language_code=code)
    except Exception as error:
        log.warning("could not register bot commands, serving anyway: %s", error)
