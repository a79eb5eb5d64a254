"""/search, the Search button, and plain text outside any flow."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.domain.profile import UserProfile
from bot.filters import NOT_A_COMMAND, PRIVATE, PRIVATE_PRESS, Magic
from bot.handlers.screens import show_search
from bot.handlers.states import SearchFlow
from bot.handlers.ui import show
from bot.i18n import _
from bot.keyboards import builders
from bot.keyboards.callbacks import MenuCb

MAX_QUERY_LENGTH = 200


async def _search(
    message: Message,
    query: str,
    state: FSMContext,
    calls: CallsRepo,
    clock: Clock,
    zone: ZoneInfo,
    i18n: I18n,
) -> None:
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    await state.set_state(None)
    await state.update_data(search_query=query)
    await show_search(message, query, calls, clock, zone, i18n.current_locale)


async def ask_query(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(SearchFlow.query)
    await show(
        event,
        _(
            "🔍 Send a word or phrase, for example <i>magistratura</i>, <i>Германия</i> or <i>IELTS</i>."
        ),
        builders.back_to_menu(),
    )


async def search_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    if command.args and command.args.strip():
        zone = profile.zone(settings.tz)
        await _search(message, command.args, state, calls, clock, zone, i18n)
    else:
        await ask_query(message, state)


async def search_button(callback: CallbackQuery, state: FSMContext) -> None:
    await ask_query(callback, state)


async def search_text(
    message: Message,
    state: FSMContext,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    zone = profile.zone(settings.tz)
    await _search(message, message.text or "", state, calls, clock, zone, i18n)


def get_router() -> Router:
    router = Router(name="search")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.message.register(search_command, Command("search"))
    router.callback_query.register(search_button, MenuCb.filter(F.action == "search"))
    router.message.register(
        search_text, StateFilter(SearchFlow.query, None), Magic(F.text), NOT_A_COMMAND
    )
    return router
