"""/menu, /help, /about."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.profile import UserProfile
from bot.filters import PRIVATE, PRIVATE_PRESS
from bot.handlers.screens import show_menu
from bot.handlers.ui import show
from bot.i18n import _
from bot.keyboards import builders
from bot.keyboards.callbacks import MenuCb


def help_text() -> str:
    return "\n".join(
        [
            _("<b>How Imkon helps</b>"),
            _(
                "I keep a catalogue of Erasmus+, Fulbright, DAAD and El-Yurt Umidi calls and show "
                "the ones that fit your level and fields, nearest deadline first."
            ),
            "",
            _("/start — set up your profile"),
            _("/menu — main menu"),
            _("/calls — calls that match your profile"),
            _("/search — search by any word, in Latin or Cyrillic"),
            _("/my — saved calls, document checklists and deadline reminders"),
            _("/tickets — your questions to coordinators and their answers"),
            _("/settings — language, level, fields and filters"),
            _("/about — about this bot"),
            _("/privacy — what the bot stores about you; /export_me — a copy; /forget — delete it"),
            "",
            _("Tip: just send any word, for example <i>Germaniya</i>, to search."),
        ]
    )


async def menu(event: Message | CallbackQuery, state: FSMContext, profile: UserProfile) -> None:
    await state.set_state(None)
    if not profile.onboarded:
        await show(event, _("Let's set up your profile first: press /start."))
    else:
        await show_menu(event, profile)


async def help_(event: Message | CallbackQuery) -> None:
    await show(event, help_text(), builders.back_to_menu())


async def about(message: Message) -> None:
    await message.answer(
        _(
            "<b>Imkon</b> — exchange and scholarship calls for students of Uzbekistan.\n"
            "Every call shows its official page and the date we last checked it. "
            "Always confirm deadlines on the official page before applying."
        ),
        reply_markup=builders.back_to_menu(),
    )


def get_router() -> Router:
    router = Router(name="common")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.callback_query.register(menu, MenuCb.filter(F.action == "home"))
    router.message.register(menu, Command("menu"))
    router.callback_query.register(help_, MenuCb.filter(F.action == "help"))
    router.message.register(help_, Command("help"))
    router.message.register(about, Command("about"))
    return router
