"""/broadcast: the admin sends a message, picks an audience, sees the count and a preview,
confirms; the delivery service copies it to every active recipient. Pause / Resume / Cancel
buttons sit on the progress message (refreshed by the scheduler, bot/services/broadcasts.py)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.db.calls import CallsRepo
from bot.filters import Magic
from bot.handlers.admin.states import BroadcastFlow
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import broadcast as kb
from bot.keyboards.admin import AdminCb
from bot.keyboards.broadcast import BcCb
from bot.services.broadcasts import Broadcasts
from bot.texts import broadcast as texts


async def ask_for_message(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(BroadcastFlow.message)
    await state.set_data({})
    text = _(
        "Send me the message to broadcast: text (formatting is kept), a photo or a document"
        " with a caption. It will be copied as it is."
    )
    await show(event, text)


async def take_message(message: Message, state: FSMContext) -> None:
    if message.text and message.text.startswith("/"):
        await state.clear()
        await message.answer(_("Broadcast cancelled."))
        return
    await state.update_data(from_chat=message.chat.id, message_id=message.message_id)
    await state.set_state(BroadcastFlow.segment)
    await message.answer(_("Who should receive it?"), reply_markup=kb.segments())


async def unsupported_message(message: Message) -> None:
    await message.answer(_("Please send text, a photo or a document with a caption."))


async def choose_value(callback: CallbackQuery, callback_data: BcCb, calls: CallsRepo) -> None:
    programmes = await calls.programmes() if callback_data.arg == "prog" else []
    await show(callback, _("Choose:"), kb.segment_values(callback_data.arg, programmes))


async def show_count_and_preview(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: BcCb,
    state: FSMContext,
    broadcasts: Broadcasts,
    clock: Clock,
    bot: Bot,
    calls: CallsRepo,
) -> None:
    data = await state.get_data()
    segment, _sep, value = callback_data.arg.partition("=")
    programmes = await calls.programmes() if segment == "prog" else []
    if "message_id" not in data or not kb.is_offered(segment, value, programmes):
        alert(callback_answer, _("This button has expired."))
        return
    count = await broadcasts.repo.count(segment, value, clock.now())
    await state.update_data(segment=segment, value=value)
    # The copy first: should Telegram refuse it (a 429), the segment buttons are still there.
    try:
        await bot.copy_message(callback.from_user.id, data["from_chat"], data["message_id"])
    except TelegramBadRequest as error:
        if "not found" not in error.message:
            raise
        # The admin deleted the message they had sent to broadcast: ask for it again.
        await state.set_state(BroadcastFlow.message)
        await state.set_data({})
        await show(
            callback,
            _("The message to broadcast is gone (was it deleted?). Send it again, please."),
        )
        return
    await show(callback, _("Preview of the broadcast:"))
    await bot.send_message(
        callback.from_user.id,
        texts.recipients(count),
        reply_markup=kb.confirm(),
    )


async def abort(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, _("Broadcast cancelled."))


async def confirm(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    state: FSMContext,
    broadcasts: Broadcasts,
    clock: Clock,
    bot: Bot,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    if "segment" not in data or "message_id" not in data:
        alert(callback_answer, _("This button has expired."))
        return
    await state.clear()
    job_id, _count = await broadcasts.start(
        callback.from_user.id,
        data["from_chat"],
        data["message_id"],
        data["segment"],
        data["value"],
        i18n.current_locale,
    )
    payload, counts = await broadcasts.status(job_id)
    progress = await bot.send_message(
        callback.from_user.id,
        texts.progress(job_id, payload, counts, clock.now()),
        reply_markup=kb.progress_keyboard(job_id, False),
    )
    await broadcasts.attach_progress(job_id, progress.chat.id, progress.message_id)


async def control(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: BcCb,
    broadcasts: Broadcasts,
    clock: Clock,
) -> None:
    payload, _counts = await broadcasts.status(callback_data.job_id)
    if not payload or payload.get("reported"):
        alert(callback_answer, _("This broadcast has already finished."))
        return
    if callback_data.action == "pause":
        await broadcasts.pause(callback_data.job_id)
        note = _("Paused.")
    elif callback_data.action == "resume":
        await broadcasts.resume(callback_data.job_id)
        note = _("Resumed.")
    else:
        await broadcasts.cancel(callback_data.job_id)
        note = _("Cancelled.")
    callback_answer.text = note
    await broadcasts.refresh_progress()


def get_router() -> Router:
    router = Router(name="admin_broadcast")
    router.callback_query.register(ask_for_message, AdminCb.filter(F.action == "broadcast"))
    router.message.register(ask_for_message, Command("broadcast"))
    router.message.register(
        take_message, StateFilter(BroadcastFlow.message), Magic(F.text | F.photo | F.document)
    )
    router.message.register(unsupported_message, StateFilter(BroadcastFlow.message))
    router.callback_query.register(choose_value, BcCb.filter(F.action == "seg"))
    router.callback_query.register(show_count_and_preview, BcCb.filter(F.action == "pick"))
    router.callback_query.register(abort, BcCb.filter(F.action == "abort"))
    router.callback_query.register(confirm, BcCb.filter(F.action == "confirm"))
    router.callback_query.register(
        control, BcCb.filter(F.action.in_({"pause", "resume", "cancel"}))
    )
    return router
