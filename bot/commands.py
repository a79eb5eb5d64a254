"""The command menus Telegram shows: the students' per language, an admin's own (the students'
plus the admin desk's), and the coordinators' chat's. Failure here never stops the bot."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from babel.support import LazyProxy

from bot.db.roles import RolesRepo
from bot.db.users import UsersRepo
from bot.domain.roles import Role
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
    ("privacy", __("What the bot stores about you")),
    ("export_me", __("Get a copy of your data")),
    ("forget", __("Delete your data")),
]

ADMIN_COMMANDS = [
    ("admin", __("Admin desk: calls, import and export")),
    ("broadcast", __("Send an announcement to students")),
    ("stats", __("Statistics")),
    ("roles", __("Admins and coordinators")),
    ("faq", __("Answers to frequent questions")),
]

WORK_CHAT_COMMANDS = [
    ("queue", __("Open questions, oldest first")),
    ("name", __("The name students see for you")),
    ("close", __("Close the question of this thread")),
]

# Telegram passes two-letter codes; "uz" cannot say which script, so it gets Latin.
TELEGRAM_LANGUAGE_OF_LOCALE = {"uz": "uz", "ru": "ru", "en": "en"}


def _bot_commands(entries: list[tuple[str, LazyProxy]]) -> list[BotCommand]:
    """The entries in the current locale."""
    return [BotCommand(command=name, description=str(text)) for name, text in entries]


def commands_for(
    i18n: I18n, locale: str, extra: list[tuple[str, LazyProxy]] | None = None
) -> list[BotCommand]:
    with i18n.use_locale(locale):
        return _bot_commands([*COMMANDS, *(extra or [])])


async def register_commands(bot: Bot, i18n: I18n, default_locale: str) -> None:
    try:
        with i18n.context():
            await bot.set_my_commands(commands_for(i18n, default_locale))
            for locale, code in TELEGRAM_LANGUAGE_OF_LOCALE.items():
                await bot.set_my_commands(commands_for(i18n, locale), language_code=code)
    except Exception as error:
        log.warning("could not register bot commands, serving anyway: %s", error)


async def refresh_staff_menu(
    bot: Bot, i18n: I18n, roles: RolesRepo, users: UsersRepo, user_id: int, default_locale: str
) -> None:
    """An admin's private chat shows the admin commands too, in the admin's language; anyone
    else's falls back to the students' menu (Telegram keeps a chat's menu until deleted)."""
    if await roles.has(user_id, Role.ADMIN):
        await set_admin_menu(bot, i18n, users, user_id, default_locale)
        return
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=user_id))
    except Exception as error:
        log.warning("could not reset the command menu of user %s: %s", user_id, error)


async def set_admin_menu(
    bot: Bot, i18n: I18n, users: UsersRepo, user_id: int, default_locale: str
) -> None:
    """The students' commands and the admin desk's, in the admin's own language."""
    try:
        profile = await users.get(user_id)
        locale = profile.language if profile and profile.language else default_locale
        with i18n.context():
            commands = commands_for(i18n, locale, ADMIN_COMMANDS)
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=user_id))
    except Exception as error:  # e.g. "chat not found": the admin has not opened the bot yet
        log.warning("could not set the command menu of staff member %s: %s", user_id, error)


async def register_staff_commands(
    bot: Bot,
    i18n: I18n,
    roles: RolesRepo,
    users: UsersRepo,
    default_locale: str,
    coordinators_chat_id: int | None,
) -> None:
    """At start-up: every admin's menu, and the coordinators' chat's (in the default language:
    the chat is shared)."""
    for user_id in await roles.members(Role.ADMIN):
        await set_admin_menu(bot, i18n, users, user_id, default_locale)
    if coordinators_chat_id is None:
        return
    try:
        with i18n.context(), i18n.use_locale(default_locale):
            commands = _bot_commands(WORK_CHAT_COMMANDS)
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=coordinators_chat_id))
    except Exception as error:
        log.warning("could not set the coordinators' chat command menu: %s", error)
