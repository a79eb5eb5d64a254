"""Texts of tickets: what the student reads and what coordinators read in the work chat.

Everything a student or a coordinator wrote is escaped here before it meets our HTML.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.tickets import FaqEntry, Ticket, TicketStatus, first_words
from bot.i18n import LANGUAGE_NAMES, _, _n
from bot.texts.formatting import escape, fmt_datetime, fmt_number


def status_label(status: TicketStatus) -> str:
    return {
        TicketStatus.OPEN: _("⏳ waiting for a coordinator"),
        TicketStatus.ANSWERED: _("💬 answered"),
        TicketStatus.CLOSED: _("✅ closed"),
    }[status]


def fmt_age(age: timedelta, locale: str) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        minutes = max(1, int(age.total_seconds() // 60))
        return _n("%(n)s minute", "%(n)s minutes", minutes) % {"n": fmt_number(minutes, locale)}
    if hours < 48:
        return _n("%(n)s hour", "%(n)s hours", hours) % {"n": fmt_number(hours, locale)}
    days = hours // 24
    return _n("%(n)s day", "%(n)s days", days) % {"n": fmt_number(days, locale)}


def mention(user_id: int, name: str) -> str:
    return f'<a href="tg://user?id={user_id}">{escape(name)}</a>'


def subject(programme: str | None, call_title: str | None) -> str:
    if call_title:
        return (
            f"{escape(programme or '')} · {escape(call_title)}" if programme else escape(call_title)
        )
    return _("general question")


# -- the student's side ----------------------------------------------------------------------
def ask_prompt(call_title: str | None) -> str:
    about = (
        _("Your question will be about: <b>%(title)s</b>.") % {"title": escape(call_title)}
        if call_title
        else _("Ask anything about the programmes, documents or deadlines.")
    )
    return "\n".join(
        [
            _("💬 <b>Ask a coordinator</b>"),
            about,
            "",
            _(
                "Write your question in one message. You can also send a photo or a document "
                "(for example a screenshot of a form) with a caption."
            ),
        ]
    )


def faq_offer_text(entries: list[FaqEntry]) -> str:
    lines = [_("📚 <b>Maybe this answers your question:</b>")]
    for entry in entries:
        lines += ["", f"❓ <b>{escape(entry.question)}</b>", escape(entry.answer)]
    lines += ["", _("Did this answer your question?")]
    return "\n".join(lines)


def consent_text() -> str:
    return _(
        "One more thing (asked only once): may the coordinators see your Telegram @username? "
        "They always see your first name. Your question is answered here, in this chat, either way."
    )


def ticket_opened_text(ticket_id: int, hours: int) -> str:
    return "\n".join(
        [
            _("✅ Your question was sent to the coordinators as ticket <b>#%(id)s</b>.")
            % {"id": ticket_id},
            _n(
                "They usually answer within %(hours)s hour; the answer will come here.",
                "They usually answer within %(hours)s hours; the answer will come here.",
                hours,
            )
            % {"hours": hours},
            _(
                "Anything else you send now is added to this ticket. /tickets shows your "
                "questions, /menu takes you back."
            ),
        ]
    )


def followup_added_text(ticket_id: int) -> str:
    return _("➕ Added to ticket #%(id)s.") % {"id": ticket_id}


def answer_header(ticket: Ticket, name: str | None, about: str) -> str:
    who = escape(name) if name else _("a coordinator")
    return "\n".join(
        [
            _("💬 <b>Answer to your question #%(id)s</b> (%(about)s)")
            % {"id": ticket.id, "about": about},
            _("from %(name)s, international office:") % {"name": who},
        ]
    )


def closed_for_student(ticket_id: int, by_coordinator: bool, can_rate: bool) -> str:
    text = (
        _("✅ Ticket #%(id)s was closed by the coordinator.")
        if by_coordinator
        else _("✅ Ticket #%(id)s is closed. Thank you!")
    ) % {"id": ticket_id}
    if can_rate:
        text += "\n" + _("Was the answer helpful?")
    return text


def student_ticket_list(tickets: list[Ticket], locale: str, tz: ZoneInfo) -> str:
    if not tickets:
        return _("You have not asked the coordinators anything yet.")
    lines = [_("<b>Your questions to the coordinators</b>")]
    for ticket in tickets:
        preview = escape(first_words(ticket.first_text or "…", 50))
        lines.append(
            f"\n<b>#{ticket.id}</b> · {status_label(ticket.status)}\n"
            f"{fmt_datetime(ticket.created_at, locale, tz)} · <i>{preview}</i>"
        )
    return "\n".join(lines)


# -- the coordinators' side (work chat) ---------------------------------------------------------
def ticket_header(
    ticket: Ticket,
    student_name: str,
    username: str | None,
    about: str,
    assigned: dict[int, str],
    forum: bool,
) -> str:
    who = escape(student_name) or _("Student")
    who += f" · @{escape(username)}" if username else " · " + _("username not shared")
    if assigned:
        routed = _("Assigned: %(names)s") % {
            "names": ", ".join(mention(uid, name) for uid, name in assigned.items())
        }
    else:
        routed = _("No coordinator is assigned to this programme: anyone may answer.")
    how = (
        _("Write in this topic to answer the student; /close closes the ticket.")
        if forum
        else _("Reply to this message to answer the student; /close as a reply closes the ticket.")
    )
    return "\n".join(
        [
            _("🆕 <b>Ticket #%(id)s</b> · %(about)s") % {"id": ticket.id, "about": about},
            f"👤 {who}",
            f"🌐 {LANGUAGE_NAMES.get(ticket.locale, ticket.locale)}",
            routed,
            "",
            how,
        ]
    )


def mirrored_question(student_name: str, text: str, followup: bool) -> str:
    label = _("➕ Follow-up from %(name)s:") if followup else _("❓ %(name)s asks:")
    who = escape(student_name) or _("Student")
    return f"<b>{label % {'name': who}}</b>\n{escape(text)}"


def reannouncement(ticket: Ticket, age: str, assigned: dict[int, str]) -> str:
    text = _("⏰ Ticket #%(id)s has waited %(age)s for an answer.") % {
        "id": ticket.id,
        "age": age,
    }
    if assigned:
        text += "\n" + ", ".join(mention(uid, name) for uid, name in assigned.items())
    return text


def queue_text(
    tickets: list[Ticket], now: datetime, locale: str, links: dict[int, str | None]
) -> str:
    if not tickets:
        return _("🎉 No open tickets.")
    lines = [
        _n(
            "<b>%(n)s open ticket</b>, oldest first:",
            "<b>%(n)s open tickets</b>, oldest first:",
            len(tickets),
        )
        % {"n": fmt_number(len(tickets), locale)}
    ]
    for ticket in tickets:
        number = f"#{ticket.id}"
        link = links.get(ticket.id)
        if link:
            number = f'<a href="{link}">{number}</a>'
        lines.append(
            f"{number} · {fmt_age(now - ticket.created_at, locale)} · "
            f"{escape((ticket.programme_code or '—').upper())} · {status_label(ticket.status)} · "
            f"<i>{escape(first_words(ticket.first_text or '…', 40))}</i>"
        )
    return "\n".join(lines)


def answer_delivered_blocked(ticket_id: int) -> str:
    return _("⚠️ Not delivered: the student of ticket #%(id)s has blocked the bot.") % {
        "id": ticket_id
    }


def answer_delivery_failed(ticket_id: int) -> str:
    return _(
        "⚠️ Telegram did not deliver this to the student of ticket #%(id)s. "
        "Please send it again in a minute."
    ) % {"id": ticket_id}


def ticket_is_closed_work(ticket_id: int) -> str:
    return _("Ticket #%(id)s is closed; the student will not receive this.") % {"id": ticket_id}


def closed_in_work_chat(ticket_id: int, by_student: bool, name: str | None) -> str:
    if by_student:
        return _("✅ The student closed ticket #%(id)s.") % {"id": ticket_id}
    if not name:
        return _("✅ Ticket #%(id)s was closed by the coordinator.") % {"id": ticket_id}
    return _("✅ Ticket #%(id)s closed by %(name)s.") % {"id": ticket_id, "name": escape(name)}


def rated_in_work_chat(ticket_id: int, rating: int) -> str:
    return _("The student rated the answer to ticket #%(id)s: %(mark)s") % {
        "id": ticket_id,
        "mark": "👍" if rating > 0 else "👎",
    }
