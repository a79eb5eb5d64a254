"""The student asks a coordinator: the question (text, photo or document), FAQ first, the
ticket, follow-ups, answers rated, replied to or closed; `/tickets` lists them."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.faq import FaqRepo
from bot.db.tickets import TicketsRepo
from bot.domain.profile import UserProfile
from bot.domain.tickets import MAX_OPEN_TICKETS, Ticket, best_faq_matches
from bot.filters import NOT_A_COMMAND, PRIVATE, Magic
from bot.handlers.ui import alert, show
from bot.i18n import _, _n
from bot.keyboards import builders
from bot.keyboards import tickets as kb
from bot.keyboards.tickets import AskCb, AskFlowCb, TicketCb
from bot.services.tickets import TicketDesk, message_kind
from bot.texts import tickets as texts

QUESTION_CONTENT = Magic(F.text | F.photo | F.document)


class TicketFlow(StatesGroup):
    question = State()  # data: ask_call_id
    faq = State()  # data: draft
    consent = State()  # data: draft
    open = State()  # data: ticket_id — what the student sends joins that ticket


class RepliesToTicket(Filter):
    """A Telegram reply to any message of a ticket in the student's chat; gives `ticket`."""

    async def __call__(self, message: Message, tickets: TicketsRepo) -> bool | dict[str, Any]:
        reply = message.reply_to_message
        if reply is None or message.from_user is None:
            return False
        ticket = await tickets.by_student_message(message.from_user.id, reply.message_id)
        return False if ticket is None else {"ticket": ticket}


# -- asking -----------------------------------------------------------------------------------
async def ask(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AskCb,
    state: FSMContext,
    calls: CallsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    title = None
    if callback_data.call_id:
        call = await calls.get(callback_data.call_id)
        if call is None or not call.is_open(clock.now()):
            alert(callback_answer, _("This call is closed or no longer available."))
            return
        title = call.text(i18n.current_locale).title
    await state.set_state(TicketFlow.question)
    await state.update_data(ask_call_id=callback_data.call_id or None, draft=None)
    # A new message, so that the call card stays above as the question's context.
    if isinstance(callback.message, Message):
        await callback.message.answer(texts.ask_prompt(title), reply_markup=kb.cancel_question())
    else:
        await callback.bot.send_message(  # type: ignore[union-attr]  # aiogram mounts the bot on every update it feeds
            callback.from_user.id, texts.ask_prompt(title), reply_markup=kb.cancel_question()
        )


async def reply_to_ticket(
    message: Message, ticket: Ticket, state: FSMContext, bot: Bot, ticket_desk: TicketDesk
) -> None:
    await _add_to_ticket(message, ticket, state, bot, ticket_desk)


async def question_received(
    message: Message,
    state: FSMContext,
    bot: Bot,
    calls: CallsRepo,
    tickets: TicketsRepo,
    faq: FaqRepo,
    profile: UserProfile,
    ticket_desk: TicketDesk,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    call_id = data.get("ask_call_id")
    existing = await tickets.open_for(message.chat.id, call_id)
    if existing is not None:  # the same subject is still open: this is a follow-up
        await _add_to_ticket(message, existing, state, bot, ticket_desk)
        return
    if await tickets.count_not_closed(message.chat.id) >= MAX_OPEN_TICKETS:
        await state.set_state(None)
        await message.answer(
            _n(
                "You already have %(n)s open question. Please wait for the answer or close it "
                "in /tickets before asking a new one.",
                "You already have %(n)s open questions. Please wait for the answers or close "
                "some in /tickets before asking a new one.",
                MAX_OPEN_TICKETS,
            )
            % {"n": MAX_OPEN_TICKETS},
            reply_markup=builders.back_to_menu(),
        )
        return
    kind, text, file_id = message_kind(message)
    draft = {
        "kind": kind,
        "text": text,
        "file_id": file_id,
        "message_id": message.message_id,
        "call_id": call_id,
    }
    await state.update_data(draft=draft)
    programme = None
    if call_id:
        call = await calls.get(call_id)
        programme = call.programme.code if call else None
    matches = []
    if text:
        candidates = await faq.candidates(i18n.current_locale, programme)
        matches = best_faq_matches(text, candidates)
    if matches:
        await state.set_state(TicketFlow.faq)
        await message.answer(texts.faq_offer_text(matches), reply_markup=kb.faq_offer())
        return
    await _before_escalation(message, state, bot, profile, ticket_desk, i18n)


async def question_not_supported(message: Message) -> None:
    await message.answer(
        _("Please send your question as text, or as a photo or a document with a caption."),
        reply_markup=kb.cancel_question(),
    )


async def cancel(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data(draft=None, ask_call_id=None)
    await show(callback, _("Cancelled. Nothing was sent."), builders.back_to_menu())


async def faq_helped(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data(draft=None, ask_call_id=None)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await callback.message.answer(  # type: ignore[union-attr]  # the button's own message: set on a press in a chat
        _("🎉 Glad it helped! You can always ask a coordinator from the menu."),
        reply_markup=builders.back_to_menu(),
    )


async def faq_did_not_help(
    callback: CallbackQuery,
    state: FSMContext,
    bot: Bot,
    profile: UserProfile,
    ticket_desk: TicketDesk,
    i18n: I18n,
) -> None:
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    await _before_escalation(callback, state, bot, profile, ticket_desk, i18n)


async def consent_given(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AskFlowCb,
    state: FSMContext,
    bot: Bot,
    tickets: TicketsRepo,
    clock: Clock,
    ticket_desk: TicketDesk,
    i18n: I18n,
) -> None:
    await tickets.set_username_consent(
        callback.from_user.id, callback_data.action == "share", clock.now()
    )
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    callback_answer.text = _("✅ Saved.")
    await _escalate(callback, state, bot, ticket_desk, i18n)


async def stale_flow_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    alert(callback_answer, _("This button has expired."))


async def _before_escalation(
    event: Message | CallbackQuery,
    state: FSMContext,
    bot: Bot,
    profile: UserProfile,
    ticket_desk: TicketDesk,
    i18n: I18n,
) -> None:
    """Ask once whether coordinators may see the @username (only if there is one)."""
    if profile.username and await ticket_desk.tickets.username_consent(profile.id) is None:
        await state.set_state(TicketFlow.consent)
        await bot.send_message(profile.id, texts.consent_text(), reply_markup=kb.username_consent())
        return
    await _escalate(event, state, bot, ticket_desk, i18n)


async def _escalate(
    event: Message | CallbackQuery,
    state: FSMContext,
    bot: Bot,
    ticket_desk: TicketDesk,
    i18n: I18n,
) -> None:
    draft = (await state.get_data()).get("draft")
    student_id = event.from_user.id  # type: ignore[union-attr]  # a student's message or press always has a sender
    if not draft:
        await state.set_state(None)
        await bot.send_message(
            student_id,
            _("This question has expired. Press “Ask a coordinator” again."),
            reply_markup=builders.back_to_menu(),
        )
        return
    ticket_id = await ticket_desk.open_ticket(bot, student_id, draft, i18n.current_locale)
    await state.set_state(TicketFlow.open)
    await state.update_data(ticket_id=ticket_id, draft=None, ask_call_id=None)
    sent = await bot.send_message(
        student_id,
        texts.ticket_opened_text(ticket_id, ticket_desk.settings.ticket_reannounce_hours),
        reply_markup=kb.ticket_opened(ticket_id),
    )
    await ticket_desk.tickets.remember_student_message(student_id, sent.message_id, ticket_id)


# -- follow-ups -------------------------------------------------------------------------------
async def followup(
    message: Message,
    state: FSMContext,
    bot: Bot,
    tickets: TicketsRepo,
    ticket_desk: TicketDesk,
) -> None:
    ticket_id = (await state.get_data()).get("ticket_id")
    ticket = await tickets.get(ticket_id) if ticket_id else None
    if ticket is None or ticket.student_id != message.chat.id:
        await state.set_state(None)
        await message.answer(_("Here is the menu."), reply_markup=builders.main_menu())
        return
    await _add_to_ticket(message, ticket, state, bot, ticket_desk)


async def _add_to_ticket(
    message: Message, ticket: Ticket, state: FSMContext, bot: Bot, ticket_desk: TicketDesk
) -> None:
    if ticket.is_closed:
        await state.set_state(None)
        await message.answer(
            _("Ticket #%(id)s is already closed. Ask again to open a new one.") % {"id": ticket.id},
            reply_markup=kb.closed_actions(ticket.id, can_rate=False),
        )
        return
    await ticket_desk.add_question(bot, ticket, message)
    await state.set_state(TicketFlow.open)
    await state.update_data(ticket_id=ticket.id)
    sent = await message.answer(
        texts.followup_added_text(ticket.id), reply_markup=kb.ticket_opened(ticket.id)
    )
    await ticket_desk.tickets.remember_student_message(
        ticket.student_id, sent.message_id, ticket.id
    )


# -- answers: rate, reply, close ----------------------------------------------------------------
class OwnTicket(Filter):
    """The ticket a button points at, only if it is the pressing student's own; other data
    (old, forged, someone else's) falls through to the "button expired" answer."""

    async def __call__(
        self, callback: CallbackQuery, tickets: TicketsRepo
    ) -> bool | dict[str, Any]:
        try:
            data = TicketCb.unpack(callback.data or "")
        except (TypeError, ValueError):
            return False
        ticket = await tickets.get(data.ticket_id)
        if ticket is None or ticket.student_id != callback.from_user.id:
            return False
        return {"ticket": ticket}


async def rate(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: TicketCb,
    ticket: Ticket,
    bot: Bot,
    ticket_desk: TicketDesk,
) -> None:
    if ticket.answered_at is None:
        alert(callback_answer, _("There is no answer to rate yet."))
        return
    await ticket_desk.rated(bot, ticket, 1 if callback_data.action == "up" else -1)
    if isinstance(callback.message, Message):
        markup = (
            kb.closed_actions(ticket.id, can_rate=False)
            if ticket.is_closed
            else kb.answer_actions(ticket.id, rated=True)
        )
        await callback.message.edit_reply_markup(reply_markup=markup)
    callback_answer.text = _("Thank you for the rating!")


async def write_to_ticket(
    callback: CallbackQuery, callback_answer: CallbackAnswer, ticket: Ticket, state: FSMContext
) -> None:
    if ticket.is_closed:
        alert(
            callback_answer,
            _("Ticket #%(id)s is already closed. Ask again to open a new one.") % {"id": ticket.id},
        )
        return
    await state.set_state(TicketFlow.open)
    await state.update_data(ticket_id=ticket.id)
    await callback.message.answer(  # type: ignore[union-attr]  # the button's own message: set on a press in a chat
        _("✍️ Write your message for ticket #%(id)s: text, a photo or a document.")
        % {"id": ticket.id},
        reply_markup=kb.ticket_opened(ticket.id),
    )


async def close_by_student(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    ticket: Ticket,
    state: FSMContext,
    bot: Bot,
    ticket_desk: TicketDesk,
) -> None:
    if (await state.get_data()).get("ticket_id") == ticket.id:
        await state.set_state(None)
    if not await ticket_desk.close(bot, ticket, callback.from_user.id, by_student=True):
        alert(callback_answer, _("This ticket is already closed."))
        return
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    can_rate = ticket.answered_at is not None and ticket.rating is None
    await bot.send_message(
        callback.from_user.id,
        texts.closed_for_student(ticket.id, by_coordinator=False, can_rate=can_rate),
        reply_markup=kb.closed_actions(ticket.id, can_rate),
    )


async def my_tickets(
    message: Message, tickets: TicketsRepo, profile: UserProfile, settings: Settings, i18n: I18n
) -> None:
    mine = await tickets.of_student(message.chat.id)
    text = texts.student_ticket_list(mine, i18n.current_locale, profile.zone(settings.tz))
    await show(message, text, kb.my_tickets([t.id for t in mine if not t.is_closed]))


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please answer with the buttons above 👆"))


def get_router() -> Router:
    router = Router(name="tickets")
    router.message.filter(PRIVATE)
    router.callback_query.register(ask, AskCb.filter())
    router.message.register(reply_to_ticket, RepliesToTicket(), NOT_A_COMMAND)
    router.message.register(
        question_received, StateFilter(TicketFlow.question), QUESTION_CONTENT, NOT_A_COMMAND
    )
    router.message.register(question_not_supported, StateFilter(TicketFlow.question), NOT_A_COMMAND)
    router.callback_query.register(cancel, AskFlowCb.filter(F.action == "cancel"))
    router.callback_query.register(
        faq_helped, StateFilter(TicketFlow.faq), AskFlowCb.filter(F.action == "helped")
    )
    router.callback_query.register(
        faq_did_not_help, StateFilter(TicketFlow.faq), AskFlowCb.filter(F.action == "escalate")
    )
    router.callback_query.register(
        consent_given,
        StateFilter(TicketFlow.consent),
        AskFlowCb.filter(F.action.in_({"share", "noshare"})),
    )
    router.callback_query.register(stale_flow_button, AskFlowCb.filter())
    router.message.register(followup, StateFilter(TicketFlow.open), NOT_A_COMMAND)
    router.callback_query.register(rate, TicketCb.filter(F.action.in_({"up", "down"})), OwnTicket())
    router.callback_query.register(
        write_to_ticket, TicketCb.filter(F.action.in_({"reply", "write"})), OwnTicket()
    )
    router.callback_query.register(
        close_by_student, TicketCb.filter(F.action == "close"), OwnTicket()
    )
    router.message.register(my_tickets, Command("tickets"))
    router.message.register(
        use_the_buttons, StateFilter(TicketFlow.faq, TicketFlow.consent), NOT_A_COMMAND
    )
    return router
