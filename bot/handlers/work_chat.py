"""The coordinators' chat: answers written in a ticket's topic (or as replies to it) go to the
student; `/close`, `/queue`, `/name`. Only coordinators and admins are heard; anyone else is
told once why the bot ignores them."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ContentType
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.db.tickets import TicketsRepo
from bot.domain.roles import Role
from bot.domain.tickets import Ticket, clean_display_name
from bot.filters import NOT_A_COMMAND, HasRole, Magic
from bot.i18n import _
from bot.services.tickets import TicketDesk, chat_link
from bot.texts import tickets as texts
from bot.texts.formatting import escape, split_message

log = logging.getLogger(__name__)

# Kinds of messages an answer can be; service messages (topic created, member joined…) are not.
RELAYABLE = {
    ContentType.TEXT,
    ContentType.PHOTO,
    ContentType.DOCUMENT,
    ContentType.VIDEO,
    ContentType.VOICE,
    ContentType.AUDIO,
    ContentType.ANIMATION,
    ContentType.STICKER,
    ContentType.VIDEO_NOTE,
    ContentType.LOCATION,
    ContentType.CONTACT,
}
WORK_COMMANDS = ("close", "queue", "name")


async def ticket_of(message: Message, tickets: TicketsRepo) -> Ticket | None:
    """The ticket a work-chat message belongs to: by the message it replies to, else by its
    topic (forum) or reply thread (plain supergroup)."""
    chat_id = message.chat.id
    reply = message.reply_to_message
    if reply is not None and reply.forum_topic_created is None:
        ticket = await tickets.by_work_message(chat_id, reply.message_id)
        if ticket is not None:
            return ticket
    thread = message.message_thread_id
    if thread is not None:
        return await tickets.by_topic(chat_id, thread) or await tickets.by_work_message(
            chat_id, thread
        )
    return None


class InTicket(Filter):
    async def __call__(self, message: Message, tickets: TicketsRepo) -> bool | dict[str, Any]:
        ticket = await ticket_of(message, tickets)
        return False if ticket is None else {"ticket": ticket}


async def close_ticket(
    message: Message, bot: Bot, tickets: TicketsRepo, ticket_desk: TicketDesk
) -> None:
    ticket = await ticket_of(message, tickets)
    if ticket is None:
        await message.reply(
            _("Send /close inside a ticket's topic, or as a reply to the ticket's message.")
        )
        return
    if not await ticket_desk.close(bot, ticket, message.from_user.id, by_student=False):  # type: ignore[union-attr]  # a staff member's message always has a sender
        await message.reply(_("Ticket #%(id)s is already closed.") % {"id": ticket.id})


async def queue(message: Message, tickets: TicketsRepo, clock: Clock, i18n: I18n) -> None:
    waiting = await tickets.not_closed()
    links = {
        t.id: chat_link(t.work_chat_id, t.topic_id or t.header_message_id)
        for t in waiting
        if t.work_chat_id is not None
    }
    text = texts.queue_text(waiting, clock.now(), i18n.current_locale, links)
    for part in split_message(text):
        await message.answer(part, disable_web_page_preview=True)


async def set_name(
    message: Message, command: CommandObject, tickets: TicketsRepo, clock: Clock
) -> None:
    user_id = message.from_user.id  # type: ignore[union-attr]  # a staff member's message always has a sender
    if not command.args:
        current = await tickets.display_name(user_id)
        if current:
            text = _("Students see your answers as from %(name)s. Change it with /name NAME.") % {
                "name": escape(current)
            }
        else:
            text = _(
                "Students see your answers as from “a coordinator”. Choose the first name they "
                "see with /name NAME, for example /name Malika."
            )
        await message.reply(text)
        return
    name = clean_display_name(command.args)
    if name is None:
        await message.reply(
            _("A name is one or two words of letters, up to 32 characters: /name Malika")
        )
        return
    await tickets.set_display_name(user_id, name, clock.now())
    await message.reply(
        _("✅ Students will see your answers as from %(name)s.") % {"name": escape(name)}
    )


async def answer(message: Message, ticket: Ticket, bot: Bot, ticket_desk: TicketDesk) -> None:
    await ticket_desk.relay_answer(bot, ticket, message)


async def answer_edited(
    message: Message, ticket: Ticket, bot: Bot, ticket_desk: TicketDesk
) -> None:
    await ticket_desk.relay_edit(bot, ticket, message)


async def not_a_coordinator(message: Message, tickets: TicketsRepo, clock: Clock) -> None:
    """Someone without a staff role writes in a ticket: ignored, told why the first time."""
    user = message.from_user
    if user is None or user.is_bot:
        return
    log.info("work chat: ignored message %s from non-staff user %s", message.message_id, user.id)
    if await tickets.tell_once(user.id, clock.now()):
        await message.reply(
            _(
                "Only coordinators can answer students here, so the bot does not forward your "
                "messages. An admin can give you the coordinator role with /roles."
            )
        )


def get_router(work_chat_id: int) -> Router:
    """The coordinators' chat (`COORDINATORS_CHAT_ID`), bound when the dispatcher is built."""
    router = Router(name="work_chat")
    router.message.filter(F.chat.id == work_chat_id)
    router.edited_message.filter(F.chat.id == work_chat_id)
    staff = Router(name="work_chat_staff")
    staff.message.filter(HasRole(Role.COORDINATOR))  # admins count as coordinators
    staff.edited_message.filter(HasRole(Role.COORDINATOR))
    others = Router(name="work_chat_others")
    others.message.filter(~HasRole(Role.COORDINATOR))  # a coordinator's stray /help is not theirs
    router.include_routers(staff, others)
    staff.message.register(close_ticket, Command("close"))
    staff.message.register(queue, Command("queue"))
    staff.message.register(set_name, Command("name"))
    staff.message.register(answer, InTicket(), NOT_A_COMMAND, Magic(F.content_type.in_(RELAYABLE)))
    staff.edited_message.register(answer_edited, InTicket(), NOT_A_COMMAND)
    others.message.register(not_a_coordinator, InTicket(), Magic(F.content_type.in_(RELAYABLE)))
    others.message.register(not_a_coordinator, Command(*WORK_COMMANDS))
    return router
