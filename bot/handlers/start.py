"""/start and the profile questions: language, level, fields (onboarding and settings)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.commands import set_admin_menu
from bot.config import SUPPORTED_LOCALES, Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.roles import RolesRepo
from bot.db.users import UsersRepo
from bot.domain.profile import Field, UserProfile, toggle_field
from bot.domain.roles import Role
from bot.filters import PRIVATE, PRIVATE_PRESS
from bot.handlers.cards import show_card
from bot.handlers.screens import show_matches, show_menu, show_settings
from bot.handlers.states import ProfileFlow
from bot.handlers.ui import alert, show
from bot.i18n import _, suggest_locale
from bot.keyboards import builders
from bot.keyboards.callbacks import FieldCb, FieldsDoneCb, LangCb, LevelCb
from bot.texts.formatting import escape

LINKED_CALL = "open_call"  # FSM data: the call whose link a new student came through
# Shown before a language is chosen, so it speaks all four.
CHOOSE_LANGUAGE = "Tilni tanlang · Тилни танланг · Выберите язык · Choose your language"


async def start(
    message: Message, state: FSMContext, profile: UserProfile, settings: Settings
) -> None:
    await state.clear()
    if profile.onboarded:
        await message.answer(
            _("Welcome back, %(name)s! Your profile is saved.")
            % {"name": escape(profile.first_name)}
        )
        await show_menu(message, profile)
        return
    await state.set_state(ProfileFlow.language)
    await state.update_data(mode="onboarding")
    code = message.from_user.language_code if message.from_user else None
    suggested = suggest_locale(code, settings.default_locale)
    intro = _(
        "👋 Hello! I am <b>Imkon</b>. I help students from Uzbekistan find Erasmus+, "
        "Fulbright, DAAD and El-Yurt Umidi scholarships and exchanges."
    )
    await message.answer(
        f"{intro}\n\n{CHOOSE_LANGUAGE}", reply_markup=builders.languages(suggested)
    )


async def ask_level(event: Message | CallbackQuery, profile: UserProfile) -> None:
    await show(event, _("🎓 What level are you studying for?"), builders.levels(profile.level))


async def ask_fields(event: Message | CallbackQuery, profile: UserProfile) -> None:
    await show(
        event,
        _("📚 Which fields interest you? Choose one or more, then press <b>Done</b>."),
        builders.fields(profile.fields_mask),
    )


async def _mode(state: FSMContext) -> str:
    return (await state.get_data()).get("mode", "settings")


async def pick_language(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    bot: Bot,
    callback_data: LangCb,
    state: FSMContext,
    users: UsersRepo,
    calls: CallsRepo,
    roles: RolesRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    if callback_data.code not in SUPPORTED_LOCALES:
        alert(callback_answer, _("This button has expired."))
        return
    profile = await users.set_language(callback.from_user.id, callback_data.code)
    if await roles.has(profile.id, Role.ADMIN):  # the admin's own command menu follows
        await set_admin_menu(bot, i18n, users, profile.id, settings.default_locale)
    with i18n.use_locale(callback_data.code):  # the next screen is already in the new language
        if await _mode(state) == "onboarding":
            await state.set_state(ProfileFlow.level)
            linked = (await state.get_data()).get(LINKED_CALL)
            await state.update_data({LINKED_CALL: None})  # the card is shown once
            call = await calls.get(linked) if isinstance(linked, int) else None
            if (
                call is not None
                and call.is_open(clock.now())
                and isinstance(callback.message, Message)
            ):
                # Came through a call's link: its card first, the questions below it.
                await show_card(
                    callback,
                    bot,
                    call,
                    profile,
                    applications,
                    settings,
                    callback_data.code,
                    clock.now(),
                )
                await ask_level(callback.message, profile)
            else:
                await ask_level(callback, profile)
        else:
            await state.set_state(None)
            await show_settings(callback, profile, calls, callback_data.code, _("✅ Saved."))


async def pick_level(
    callback: CallbackQuery,
    callback_data: LevelCb,
    state: FSMContext,
    users: UsersRepo,
    calls: CallsRepo,
    i18n: I18n,
) -> None:
    profile = await users.set_level(callback.from_user.id, callback_data.level)
    if await _mode(state) == "onboarding":
        await state.set_state(ProfileFlow.fields)
        await ask_fields(callback, profile)
    else:
        await state.set_state(None)
        await show_settings(callback, profile, calls, i18n.current_locale, _("✅ Saved."))


async def toggle(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: FieldCb,
    users: UsersRepo,
    profile: UserProfile,
) -> None:
    if callback_data.code == "all":
        field = None
    elif callback_data.code in {f.value for f in Field}:
        field = Field(callback_data.code)
    else:
        alert(callback_answer, _("This button has expired."))
        return
    profile = await users.set_fields(
        callback.from_user.id, toggle_field(profile.fields_mask, field)
    )
    await ask_fields(callback, profile)


async def fields_done(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    users: UsersRepo,
    calls: CallsRepo,
    profile: UserProfile,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    if profile.fields_mask == 0:
        alert(callback_answer, _("Choose at least one field."))
        return
    if profile.level is None:  # an old keyboard pressed before the level was chosen
        await state.set_state(ProfileFlow.level)
        await state.update_data(mode="onboarding")
        await ask_level(callback, profile)
        return
    mode = await _mode(state)
    await state.set_state(None)
    profile = await users.mark_onboarded(callback.from_user.id)
    if mode == "onboarding":
        await show_matches(callback, profile, calls, clock, settings, i18n.current_locale)
    else:
        await show_settings(callback, profile, calls, i18n.current_locale, _("✅ Saved."))


def get_router() -> Router:
    router = Router(name="start")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.message.register(start, CommandStart())
    router.callback_query.register(pick_language, LangCb.filter())
    router.callback_query.register(pick_level, LevelCb.filter())
    router.callback_query.register(toggle, FieldCb.filter())
    router.callback_query.register(fields_done, FieldsDoneCb.filter())
    return router
