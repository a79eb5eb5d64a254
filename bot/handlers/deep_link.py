"""`/start c<id>`: someone opened a call's shared link (`https://t.me/<bot>?start=c<id>`).

A returning student lands on the card at once. A new one picks a language first, lands on the
card right after it, and the level and field questions follow; the call that brought them is
recorded once for /stats. A payload that names no open call gets a short answer, then the
menu (a new student: the usual /start).
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.users import UsersRepo
from bot.domain.links import parse_call_payload
from bot.domain.profile import UserProfile
from bot.filters import PRIVATE
from bot.handlers.cards import show_card
from bot.handlers.screens import show_menu
from bot.handlers.start import LINKED_CALL, start
from bot.i18n import _


async def open_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    profile: UserProfile,
    bot: Bot,
    users: UsersRepo,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    now = clock.now()
    call_id = parse_call_payload(command.args)
    call = None if call_id is None else await calls.get(call_id)
    if call is None or not call.is_open(now):
        await message.answer(_("This link leads to no open call."))
        if profile.onboarded:
            await state.clear()
            await show_menu(message, profile)
        else:
            await start(message, state, profile, settings)
        return
    if profile.onboarded:
        await state.clear()
        await show_card(
            message,
            bot,
            call,
            profile,
            applications,
            settings,
            i18n.current_locale,
            now,
        )
        return
    await users.record_arrival(profile.id, call.id)
    await start(message, state, profile, settings)  # the language first, then the card
    await state.update_data({LINKED_CALL: call.id})


def get_router() -> Router:
    router = Router(name="deep_link")
    router.message.filter(PRIVATE)
    router.message.register(open_link, CommandStart(deep_link=True))
    return router
