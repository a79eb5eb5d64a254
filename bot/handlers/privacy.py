"""/privacy, /forget and /export_me: what the bot stores about a student, a copy of it, and
its deletion (after a confirmation whose button works once, for a short while)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.clock import Clock, from_epoch, to_epoch
from bot.config import Settings
from bot.db.fsm_storage import SQLiteStorage
from bot.db.privacy import PrivacyRepo
from bot.domain.ids import MAX_ID
from bot.domain.privacy import export_document, export_json
from bot.domain.profile import UserProfile
from bot.filters import PRIVATE, PRIVATE_PRESS
from bot.handlers.ui import alert
from bot.keyboards import builders
from bot.keyboards.privacy import ForgetCb, confirm_forget
from bot.services.tickets import TicketDesk
from bot.texts import privacy as texts

CONFIRMATION_LIFETIME = timedelta(minutes=10)
TOKEN = "forget_token"
ISSUED_AT = "forget_issued_at"


async def show_privacy(message: Message) -> None:
    await message.answer(texts.privacy_text(), reply_markup=builders.back_to_menu())


async def forget(message: Message, state: FSMContext, privacy: PrivacyRepo, clock: Clock) -> None:
    if await privacy.has_staff_role(message.chat.id):
        await message.answer(texts.staff_cannot_forget())
        return
    token = secrets.randbelow(MAX_ID) + 1
    await state.update_data({TOKEN: token, ISSUED_AT: to_epoch(clock.now())})
    await message.answer(texts.forget_confirmation(), reply_markup=confirm_forget(token))


async def _take_token(state: FSMContext, token: int, clock: Clock) -> bool:
    """Whether `token` is the live one of this chat; a live token is used up."""
    data = await state.get_data()
    issued = data.get(ISSUED_AT)
    live = (
        data.get(TOKEN) == token
        and isinstance(issued, int)
        and clock.now() - from_epoch(issued) <= CONFIRMATION_LIFETIME
    )
    if TOKEN in data:
        data.pop(TOKEN)
        data.pop(ISSUED_AT, None)
        await state.set_data(data)
    return live


async def _close_confirmation(callback: CallbackQuery, text: str) -> None:
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=None)


async def confirm_forget_pressed(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ForgetCb,
    state: FSMContext,
    privacy: PrivacyRepo,
    clock: Clock,
    bot: Bot,
    fsm_storage: BaseStorage,
    ticket_desk: TicketDesk,
) -> None:
    user_id = callback.from_user.id
    if not await _take_token(state, callback_data.token, clock):
        alert(callback_answer, texts.forget_expired())
        return
    if callback_data.action != "yes":
        await _close_confirmation(callback, texts.forget_cancelled())
        return
    result = await privacy.forget(user_id, clock.now())
    if not result.done:
        await _close_confirmation(callback, texts.staff_cannot_forget())
        return
    if isinstance(fsm_storage, SQLiteStorage):
        fsm_storage.forget_user(user_id)
    await _close_confirmation(callback, texts.forgotten())
    await ticket_desk.students_left(bot, result.closed_ticket_ids)


async def export_me(
    message: Message, privacy: PrivacyRepo, profile: UserProfile, clock: Clock, settings: Settings
) -> None:
    user_id = message.chat.id
    rows = await privacy.personal_rows(user_id)
    now, zone = clock.now(), profile.zone(settings.tz)
    # Up to a thousand rows a table: shaping and encoding stay off the event loop.
    payload = await asyncio.to_thread(
        lambda: export_json(export_document(user_id, rows.tables, rows.truncated, now, zone))
    )
    await message.answer_document(
        BufferedInputFile(payload, filename=f"imkon-my-data-{user_id}.json"),
        caption=texts.export_caption(),
    )


def get_router() -> Router:
    router = Router(name="privacy")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.message.register(show_privacy, Command("privacy"))
    router.message.register(forget, Command("forget"))
    router.message.register(export_me, Command("export_me"))
    router.callback_query.register(
        confirm_forget_pressed, ForgetCb.filter(F.action.in_({"yes", "no"}))
    )
    return router
