"""After the student routers (none of which takes an admin command or button): whoever reaches
here with one is not an admin (or pressed a button that no longer exists)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.clock import Clock
from bot.db.roles import RolesRepo
from bot.domain.roles import Role
from bot.filters import Magic, refuse
from bot.i18n import _
from bot.keyboards.admin import ADMIN_PREFIXES

ADMIN_COMMANDS = ("admin", "roles", "stats", "broadcast")


async def refuse_command(
    message: Message, command: CommandObject, roles: RolesRepo, clock: Clock
) -> None:
    if message.from_user and await roles.has(message.from_user.id, Role.ADMIN):
        await message.answer(_("The admin desk works in the private chat with the bot."))
        return
    await refuse(message, roles, clock, f"/{command.command}")


def _is_admin_button(data: str | None) -> bool:
    return data is not None and data.split(":", 1)[0] in ADMIN_PREFIXES


async def refuse_button(callback: CallbackQuery, roles: RolesRepo, clock: Clock) -> None:
    if await roles.has(callback.from_user.id, Role.ADMIN):
        await callback.answer(_("This button has expired."), show_alert=True)
        return
    await refuse(callback, roles, clock, callback.data)


def get_router() -> Router:
    router = Router(name="admin_refusal")
    router.message.register(refuse_command, Command(*ADMIN_COMMANDS))
    router.callback_query.register(
        refuse_button,
        Magic(F.data.func(_is_admin_button)),
        flags={"callback_answer": {"disabled": True}},  # refuse() answers it, with the alert
    )
    return router
