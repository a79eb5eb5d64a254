"""The ticket desk: brings a student's question to the coordinators' chat (a forum topic, or a
header message whose replies form the thread), relays coordinators' answers back, closes
tickets, and re-announces the ones left waiting (`TicketDesk.reannounce`, a scheduled job).

Work-chat texts are written in the bot's default language; the student's in theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.enums import ContentType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup, Message, ReactionTypeEmoji, ReplyParameters
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.roles import RolesRepo
from bot.db.tickets import TicketsRepo
from bot.db.users import UsersRepo
from bot.domain.privacy import FORGOTTEN_STUDENT_ID
from bot.domain.tickets import Ticket, needs_reannouncement, topic_title
from bot.i18n import _
from bot.keyboards import tickets as kb
from bot.texts import privacy as privacy_texts
from bot.texts import tickets as texts
from bot.texts.formatting import (
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    message_html,
    split_message,
)
from bot.texts.programmes import programme_name

log = logging.getLogger(__name__)

REANNOUNCE_JOB_ID = "tickets.reannounce"


def message_kind(message: Message) -> tuple[str, str | None, str | None]:
    """(kind, text or caption, file id) of a student's or coordinator's message."""
    if message.text is not None:
        return "text", message.text, None
    if message.photo:
        return "photo", message.caption, message.photo[-1].file_id
    if message.document is not None:
        return "document", message.caption, message.document.file_id
    return "other", message.caption, None


# Media whose copy can carry a caption (and so the answer's header).
CAPTIONED = {
    ContentType.PHOTO,
    ContentType.DOCUMENT,
    ContentType.VIDEO,
    ContentType.AUDIO,
    ContentType.ANIMATION,
    ContentType.VOICE,
}


def answer_with_header(header: str, message: Message) -> str | None:
    """The header and the message's own text or caption as one HTML text, or None when the
    message cannot carry it (no caption possible, or over Telegram's limit). The limit is
    checked on the HTML, which is never shorter than what Telegram counts."""
    if message.text is not None:
        limit = TELEGRAM_TEXT_LIMIT
    elif message.content_type in CAPTIONED:
        limit = TELEGRAM_CAPTION_LIMIT
    else:
        return None
    try:
        body = message_html(message)
    except UnicodeDecodeError:  # an entity that splits a surrogate pair: the body is copied
        return None
    composed = f"{header}\n\n{body}" if body else header
    return composed if len(composed) <= limit else None


def chat_link(chat_id: int, message_id: int | None) -> str | None:
    """https://t.me/c/… link to a message of a supergroup (works for its members)."""
    text = str(chat_id)
    if message_id is None or not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


class TicketDesk:
    def __init__(
        self,
        tickets: TicketsRepo,
        roles: RolesRepo,
        calls: CallsRepo,
        users: UsersRepo,
        settings: Settings,
        clock: Clock,
        i18n: I18n,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.i18n = i18n
        self.tickets = tickets
        self.roles = roles
        self.calls = calls
        self.users = users
        # Learned from Telegram making a topic, or refusing to: the chat is not a forum.
        self.work_chat_is_forum: bool | None = None

    @contextmanager
    def _locale(self, locale: str) -> Iterator[None]:
        with self.i18n.context(), self.i18n.use_locale(locale):
            yield

    def work_locale(self) -> str:
        return self.settings.default_locale

    async def about(self, ticket: Ticket, locale: str) -> str:
        """What the ticket is about, escaped: `DAAD · <call title>` or "general question"."""
        call = await self.calls.get(ticket.call_id) if ticket.call_id else None
        with self._locale(locale):
            if call is None:
                return texts.subject(ticket.programme_code and ticket.programme_code.upper(), None)
            return texts.subject(programme_name(call.programme), call.text(locale).title)

    async def _assigned(self, ticket: Ticket, locale: str) -> dict[int, str]:
        """Coordinators assigned to the ticket's programme, with names to mention them by."""
        ids = await self.roles.coordinators_for(ticket.programme_code)
        names = await self.tickets.display_names(ids)
        with self._locale(locale):
            return {uid: names.get(uid) or _("coordinator") for uid in ids}

    # -- into the work chat ------------------------------------------------------------------
    def _thread(self, ticket: Ticket) -> dict[str, Any]:
        """Where a message about `ticket` goes in the work chat."""
        if ticket.topic_id is not None:
            return {"message_thread_id": ticket.topic_id}
        if ticket.header_message_id is not None:
            return {
                "reply_parameters": ReplyParameters(
                    message_id=ticket.header_message_id, allow_sending_without_reply=True
                )
            }
        return {}

    async def post(self, bot: Bot, ticket_id: int) -> bool:
        """Bring a ticket to the work chat (header, then its questions). True when done;
        False leaves it for the next run of the scheduled job."""
        chat_id = self.settings.coordinators_chat_id
        ticket = await self.tickets.get(ticket_id)
        if ticket is None or ticket.is_closed:
            return False
        if chat_id is None:
            log.warning("COORDINATORS_CHAT_ID is not set: ticket #%s waits", ticket_id)
            return False
        try:
            if not ticket.posted:
                await self._post_header(bot, ticket, chat_id)
                ticket = await self.tickets.get(ticket_id)
            await self.mirror_questions(bot, ticket)  # type: ignore[arg-type]  # re-read right after posting: still there
        except TelegramAPIError as error:
            log.warning("ticket #%s not posted to the work chat: %s", ticket_id, error)
            return False
        return True

    async def _post_header(self, bot: Bot, ticket: Ticket, chat_id: int) -> None:
        student = await self.users.get(ticket.student_id)
        name = student.first_name if student else ""
        shares = await self.tickets.username_consent(ticket.student_id)
        username = student.username if student and shares else None
        locale = self.work_locale()
        assigned = await self._assigned(ticket, locale)
        about = await self.about(ticket, locale)
        # A topic made on an earlier, interrupted attempt is reused, never made twice.
        topic_id = ticket.topic_id if ticket.work_chat_id == chat_id else None
        if topic_id is None and self.work_chat_is_forum is not False:
            with self._locale(locale):
                title = topic_title(
                    ticket.id,
                    ticket.programme_code and ticket.programme_code.upper(),
                    ticket.first_text,
                    _("general"),
                )
            try:
                topic = await bot.create_forum_topic(chat_id, title)
                topic_id = topic.message_thread_id
                self.work_chat_is_forum = True
                await self.tickets.set_topic(ticket.id, chat_id, topic_id)
            except TelegramBadRequest as error:
                if "forum" not in error.message.lower() and "topic" not in error.message.lower():
                    raise
                log.info("work chat is not a forum (%s): plain threads", error.message)
                self.work_chat_is_forum = False
        with self._locale(locale):
            header = texts.ticket_header(
                ticket, name, username, about, assigned, forum=topic_id is not None
            )
        sent = await bot.send_message(
            chat_id, header, message_thread_id=topic_id, disable_web_page_preview=True
        )
        await self.tickets.set_posted(
            ticket.id, chat_id, topic_id, sent.message_id, self.clock.now()
        )

    async def mirror_questions(self, bot: Bot, ticket: Ticket) -> None:
        """Copy the student's messages not yet in the work chat into the ticket's thread."""
        chat_id = ticket.work_chat_id
        if chat_id is None:
            return
        student = await self.users.get(ticket.student_id)
        name = student.first_name if student else ""
        rows = await self.tickets.questions_not_mirrored(ticket.id)
        first_id = await self.tickets.first_question_id(ticket.id)
        for row in rows:
            followup = row["id"] != first_id
            message_id = None
            if row["kind"] != "text":
                try:
                    copied = await bot.copy_message(
                        chat_id,
                        ticket.student_id,
                        row["student_message_id"],
                        **self._thread(ticket),
                    )
                    message_id = copied.message_id
                except TelegramBadRequest as error:  # deleted by the student meanwhile
                    log.info("ticket #%s: attachment not copied: %s", ticket.id, error.message)
            if message_id is None:
                with self._locale(self.work_locale()):
                    text = row["text"] or ""
                    if row["kind"] != "text":
                        gone = _("(the attachment is no longer available)")
                        text = f"{text}\n{gone}".strip()
                    body = texts.mirrored_question(name, text, followup)
                for part in split_message(body):
                    sent = await bot.send_message(
                        chat_id, part, disable_web_page_preview=True, **self._thread(ticket)
                    )
                    message_id = message_id or sent.message_id
            assert message_id is not None  # split_message yields at least one part
            await self.tickets.set_work_message(row["id"], chat_id, message_id)

    async def open_ticket(
        self, bot: Bot, student_id: int, draft: dict[str, Any], locale: str
    ) -> int:
        """A new ticket from the student's question (`draft`: kind, text, file_id, message_id,
        call_id), brought to the work chat at once if it can be. Returns its number."""
        call = await self.calls.get(draft["call_id"]) if draft.get("call_id") else None
        ticket_id = await self.tickets.open_ticket(
            student_id,
            call.id if call else None,
            call.programme.code if call else None,
            locale,
            self.clock.now(),
            question=draft,
        )
        await self.post(bot, ticket_id)
        return ticket_id

    async def add_question(self, bot: Bot, ticket: Ticket, message: Message) -> None:
        """A student's message joins `ticket`: stored, then mirrored if the ticket is posted."""
        kind, text, file_id = message_kind(message)
        now = self.clock.now()
        await self.tickets.add_message(
            ticket.id,
            "question",
            ticket.student_id,
            kind,
            text,
            file_id,
            now,
            student_message_id=message.message_id,
        )
        await self.tickets.mark_waiting(ticket.id, now)
        await self.post(bot, ticket.id)

    # -- back to the student -----------------------------------------------------------------
    async def relay_answer(self, bot: Bot, ticket: Ticket, message: Message) -> None:
        """Copy a coordinator's message to the student, in context, with rate/reply/close."""
        coordinator = message.from_user.id  # type: ignore[union-attr]  # coordinators' messages in the work chat always have a sender
        work_chat = message.chat.id
        if ticket.student_id == FORGOTTEN_STUDENT_ID:  # the student ran /forget
            await message.reply(privacy_texts.answer_to_forgotten_student(ticket.id))
            return
        if ticket.is_closed:
            await message.reply(texts.ticket_is_closed_work(ticket.id))
            return
        name = await self.tickets.display_name(coordinator)
        about = await self.about(ticket, ticket.locale)
        last_question = await self.tickets.last_question_message_id(ticket.id)
        try:
            with self._locale(ticket.locale):
                header = texts.answer_header(ticket, name, about)
                markup = kb.answer_actions(ticket.id, rated=ticket.rating is not None)
            reply_to = (
                ReplyParameters(message_id=last_question, allow_sending_without_reply=True)
                if last_question
                else None
            )
            copied_id, header_id = await self._deliver_answer(
                bot, ticket.student_id, message, header, markup, reply_to
            )
        except TelegramForbiddenError:
            await self.users.set_active(ticket.student_id, False)
            await message.reply(texts.answer_delivered_blocked(ticket.id))
            return
        except (TelegramRetryAfter, TelegramBadRequest) as error:
            log.warning("answer to ticket #%s not delivered: %s", ticket.id, error)
            await message.reply(texts.answer_delivery_failed(ticket.id))
            return
        now = self.clock.now()
        kind, text, file_id = message_kind(message)
        await self.tickets.add_message(
            ticket.id,
            "answer",
            coordinator,
            kind,
            text,
            file_id,
            now,
            student_message_id=copied_id,
            work_chat_id=work_chat,
            work_message_id=message.message_id,
        )
        if header_id is not None:
            await self.tickets.remember_student_message(ticket.student_id, header_id, ticket.id)
        await self.tickets.mark_answered(ticket.id, now)
        try:  # a quiet "delivered" mark on the coordinator's message
            await bot.set_message_reaction(
                work_chat, message.message_id, [ReactionTypeEmoji(emoji="👌")]
            )
        except TelegramAPIError:
            pass

    async def _deliver_answer(
        self,
        bot: Bot,
        student_id: int,
        message: Message,
        header: str,
        markup: InlineKeyboardMarkup,
        reply_to: ReplyParameters | None,
    ) -> tuple[int, int | None]:
        """The answer as one message, header and body together, so that a failure leaves the
        student nothing half-sent and a resend one header. Returns the ids of the student's
        copy and of the header when it is a message of its own.

        Only a body that cannot carry the header (a sticker, a location, a text or caption
        too long for both) is copied alone, and the header follows as a reply to it: a header
        whose body never arrived would promise an answer that is not there."""
        composed = answer_with_header(header, message)
        if composed is not None and message.text is not None:
            sent = await bot.send_message(
                student_id,
                composed,
                reply_markup=markup,
                reply_parameters=reply_to,
                link_preview_options=message.link_preview_options,
            )
            return sent.message_id, sent.message_id
        if composed is not None:
            copied = await bot.copy_message(
                student_id,
                message.chat.id,
                message.message_id,
                caption=composed,
                reply_markup=markup,
                reply_parameters=reply_to,
            )
            return copied.message_id, copied.message_id
        copied = await bot.copy_message(
            student_id,
            message.chat.id,
            message.message_id,
            reply_markup=markup,
            reply_parameters=reply_to,
        )
        try:
            sent = await bot.send_message(
                student_id,
                header,
                reply_parameters=ReplyParameters(
                    message_id=copied.message_id, allow_sending_without_reply=True
                ),
            )
        except TelegramAPIError as error:  # the answer itself arrived: that is what counts
            log.warning("header of an answer not sent to %s: %s", student_id, error)
            return copied.message_id, None
        return copied.message_id, sent.message_id

    async def relay_edit(self, bot: Bot, ticket: Ticket, message: Message) -> None:
        """A coordinator corrected an answer: correct the student's copy (text or caption)."""
        copy_id = await self.tickets.answer_copy(message.chat.id, message.message_id)
        if copy_id is None or ticket.is_closed or ticket.student_id == FORGOTTEN_STUDENT_ID:
            return
        try:
            text: str | None = message_html(message) or None
        except UnicodeDecodeError:  # an entity that splits a surrogate pair
            text = None
        # The copy that carries the answer's header keeps it (it is remembered as a header).
        if await self.tickets.is_student_message(ticket.student_id, copy_id):
            name = await self.tickets.display_name(message.from_user.id)  # type: ignore[union-attr]
            about = await self.about(ticket, ticket.locale)
            with self._locale(ticket.locale):
                text = answer_with_header(texts.answer_header(ticket, name, about), message)
        with self._locale(ticket.locale):
            markup = kb.answer_actions(ticket.id, rated=ticket.rating is not None)
        if text is None:
            return
        try:
            if message.text is not None:
                await bot.edit_message_text(
                    text, chat_id=ticket.student_id, message_id=copy_id, reply_markup=markup
                )
            else:
                await bot.edit_message_caption(
                    chat_id=ticket.student_id,
                    message_id=copy_id,
                    caption=text,
                    reply_markup=markup,
                )
        except TelegramAPIError as error:  # not modified, too old, blocked…
            log.info("edit of ticket #%s answer not relayed: %s", ticket.id, error)

    async def close(self, bot: Bot, ticket: Ticket, by: int, by_student: bool) -> bool:
        """Close a ticket and tell the other side; False if it was closed already."""
        if not await self.tickets.close(ticket.id, by, self.clock.now()):
            return False
        if ticket.work_chat_id is not None:
            name = None if by_student else await self.tickets.display_name(by)
            with self._locale(self.work_locale()):
                note = texts.closed_in_work_chat(ticket.id, by_student, name)
            try:
                await bot.send_message(ticket.work_chat_id, note, **self._thread(ticket))
                if ticket.topic_id is not None:
                    await bot.close_forum_topic(ticket.work_chat_id, ticket.topic_id)
            except TelegramAPIError as error:
                log.warning("work chat not told about closed ticket #%s: %s", ticket.id, error)
        if not by_student:
            can_rate = ticket.answered_at is not None and ticket.rating is None
            with self._locale(ticket.locale):
                text = texts.closed_for_student(ticket.id, True, can_rate)
                markup = kb.closed_actions(ticket.id, can_rate)
            try:
                sent = await bot.send_message(ticket.student_id, text, reply_markup=markup)
                await self.tickets.remember_student_message(
                    ticket.student_id, sent.message_id, ticket.id
                )
            except TelegramForbiddenError:
                await self.users.set_active(ticket.student_id, False)
            except TelegramAPIError as error:
                log.warning("student of ticket #%s not told it closed: %s", ticket.id, error)
        return True

    async def students_left(self, bot: Bot, ticket_ids: tuple[int, ...]) -> None:
        """Tell each ticket's thread that its student ran /forget (and so it was closed)."""
        for ticket_id in ticket_ids:
            ticket = await self.tickets.get(ticket_id)
            if ticket is None or ticket.work_chat_id is None:
                continue
            with self._locale(self.work_locale()):
                note = privacy_texts.student_left_work_chat(ticket.id)
            try:
                await bot.send_message(ticket.work_chat_id, note, **self._thread(ticket))
                if ticket.topic_id is not None:
                    await bot.close_forum_topic(ticket.work_chat_id, ticket.topic_id)
            except TelegramAPIError as error:
                log.warning("work chat not told ticket #%s lost its student: %s", ticket.id, error)

    async def rated(self, bot: Bot, ticket: Ticket, rating: int) -> None:
        await self.tickets.rate(ticket.id, rating)
        if ticket.work_chat_id is None:
            return
        with self._locale(self.work_locale()):
            note = texts.rated_in_work_chat(ticket.id, rating)
        try:
            await bot.send_message(ticket.work_chat_id, note, **self._thread(ticket))
        except TelegramAPIError as error:
            log.warning("rating of ticket #%s not shown in the work chat: %s", ticket.id, error)

    # -- the scheduled job -------------------------------------------------------------------
    async def reannounce(self, bot: Bot) -> int:
        """Post tickets that never reached the work chat, then announce again the ones that
        waited too long (at most once a day each). Returns how many were announced."""
        if self.settings.coordinators_chat_id is None:
            return 0
        for ticket in await self.tickets.unposted():
            await self.post(bot, ticket.id)
        now = self.clock.now()
        after = timedelta(hours=self.settings.ticket_reannounce_hours)
        announced = 0
        for ticket in await self.tickets.waiting():
            if not ticket.posted or not needs_reannouncement(ticket, now, after):
                continue
            assigned = await self._assigned(ticket, self.work_locale())
            with self._locale(self.work_locale()):
                age = texts.fmt_age(now - ticket.waiting_since, self.work_locale())  # type: ignore[operator]  # waiting() returns only tickets with waiting_since set
                text = texts.reannouncement(ticket, age, assigned)
            try:
                await bot.send_message(ticket.work_chat_id, text, **self._thread(ticket))  # type: ignore[arg-type]  # a posted ticket has its work chat
            except TelegramRetryAfter as error:
                log.warning("re-announcement paused by Telegram for %ss", error.retry_after)
                break  # the next run carries on; nothing is marked
            except TelegramAPIError as error:
                log.warning("ticket #%s not re-announced: %s", ticket.id, error)
                continue
            await self.tickets.mark_announced(ticket.id, now)
            announced += 1
        return announced


def register_jobs(scheduler: Any, desk: TicketDesk, bot: Bot) -> None:
    """Hourly run of the re-announcement (each ticket is announced at most once a day).

    `scheduler` is an APScheduler 3 AsyncIOScheduler; memory job store, fixed id."""
    scheduler.add_job(
        desk.reannounce,
        "interval",
        hours=1,
        id=REANNOUNCE_JOB_ID,
        replace_existing=True,
        kwargs={"bot": bot},
        coalesce=True,
        max_instances=1,
    )
