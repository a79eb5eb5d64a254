"""/settings: language, level, fields and filters of the saved profile."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.domain.profile import UserProfile
from bot.filters import PRIVATE, PRIVATE_PRESS
from bot.handlers.screens import show_facet_menu, show_settings
from bot.handlers.start import ask_fields, ask_level
from bot.handlers.states import ProfileFlow
from bot.handlers.ui import alert, show
from bot.i18n import _, suggest_locale
from bot.keyboards import builders
from bot.keyboards.callbacks import MenuCb, SettingsCb


async def settings_menu(
    event: Message | CallbackQuery,
    state: FSMContext,
    profile: UserProfile,
    calls: CallsRepo,
    i18n: I18n,
) -> None:
    await state.set_state(None)
    await show_settings(event, profile, calls, i18n.current_locale)


async def settings_item(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: SettingsCb,
    state: FSMContext,
    profile: UserProfile,
    calls: CallsRepo,
    settings: Settings,
    i18n: I18n,
) -> None:
    item = callback_data.item
    if item == "facets":
        await show_facet_menu(callback, profile, calls, i18n.current_locale)
        return
    if item not in {"language", "level", "fields"}:
        alert(callback_answer, _("This button has expired."))
        return
    await state.set_state(getattr(ProfileFlow, item))
    await state.update_data(mode="settings")
    if item == "language":
        current = profile.language or suggest_locale(None, settings.default_locale)
        await show(callback, _("🌐 Choose your language:"), builders.languages(current))
    elif item == "level":
        await ask_level(callback, profile)
    else:
        await ask_fields(callback, profile)


def get_router() -> Router:
    router = Router(name="settings")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.callback_query.register(settings_menu, MenuCb.filter(F.action == "settings"))
    router.message.register(settings_menu, Command("settings"))
    router.callback_query.register(settings_item, SettingsCb.filter())
    return router
