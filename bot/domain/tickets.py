"""Tickets (questions escalated to coordinators) and FAQ matching: plain rules, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.translit import fold

TOPIC_TITLE_LIMIT = 128  # Telegram's limit for a forum topic name
DISPLAY_NAME_LIMIT = 32
MAX_OPEN_TICKETS = 5  # per student: beyond this, answers are awaited before new questions


class TicketStatus(StrEnum):
    OPEN = "open"  # waiting for a coordinator
    ANSWERED = "answered"  # a coordinator answered; waiting for the student (or nothing)
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    student_id: int
    call_id: int | None
    programme_code: str | None
    locale: str
    status: TicketStatus
    work_chat_id: int | None
    topic_id: int | None
    header_message_id: int | None
    rating: int | None
    created_at: datetime
    waiting_since: datetime | None
    answered_at: datetime | None
    announced_at: datetime | None
    closed_at: datetime | None
    first_text: str = ""  # the text of the first question (for titles and lists)

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED

    @property
    def posted(self) -> bool:
        """True once the ticket has its header in the coordinators' chat."""
        return self.header_message_id is not None


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: int
    lang: str
    programme_code: str | None
    question: str
    answer: str


def first_words(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width - 1)
    return text[: cut if cut > width // 2 else width - 1].rstrip(" ,.;:") + "…"


def topic_title(ticket_id: int, programme: str | None, text: str, general: str) -> str:
    """`#12 · DAAD · How do I prove my…`, within Telegram's 128 characters."""
    head = f"#{ticket_id} · {programme or general}"
    words = first_words(text, TOPIC_TITLE_LIMIT - len(head) - 3) if text.strip() else ""
    return f"{head} · {words}" if words else head


def needs_reannouncement(ticket: Ticket, now: datetime, after: timedelta) -> bool:
    """An open ticket whose student has waited `after` is announced again, at most daily."""
    if ticket.status != TicketStatus.OPEN or ticket.waiting_since is None:
        return False
    if now - ticket.waiting_since < after:
        return False
    if ticket.announced_at is None:
        return True
    return now - ticket.announced_at >= max(after, timedelta(days=1))


def clean_display_name(raw: str) -> str | None:
    """A coordinator's chosen first name: one or two words, letters, spaces, hyphens."""
    name = " ".join(raw.split())
    if not name or len(name) > DISPLAY_NAME_LIMIT:
        return None
    if not all(ch.isalpha() or ch in " -‘’'" for ch in name):
        return None
    return name


# -- FAQ matching ---------------------------------------------------------------------------
# Words that say nothing about the topic of a question, folded to Latin (see translit.fold).
STOP_WORDS = frozenset(
    """
    the and for are you your what when where how who which can could should would does
    with from this that have has will not but about into there their them then than
    please need want know question help
    men sen biz siz ular uchun qanday qachon qayerda nima kerak bilan yoki ham bu shu
    mumkin qilish qilsa bormi yoq iltimos savol haqida
    kak chto gde kogda kto eto dlya ili mne menya nado nujno mojno pojaluysta vopros
    est net uje tak chtobi esli pri
    """.split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def terms(text: str) -> frozenset[str]:
    words = _WORD.findall(fold(text))
    return frozenset(w for w in words if len(w) >= 3 and w not in STOP_WORDS and not w.isdigit())


def same_word(a: str, b: str) -> bool:
    """Two forms of one word, judged by a shared beginning: Uzbek adds suffixes (vizani,
    vizaga), Russian changes endings (визы, визу). Short words need less, long ones more."""
    shorter = min(len(a), len(b))
    need = 3 if shorter <= 4 else min(5, max(4, shorter - 2))
    return a[:need] == b[:need]


def faq_score(question: str, entry_question: str) -> float:
    """Share of the shorter side's words found in the other side: 0 (nothing) to 1."""
    asked, known = terms(question), terms(entry_question)
    if not asked or not known:
        return 0.0
    small, large = (asked, known) if len(asked) <= len(known) else (known, asked)
    found = sum(1 for word in small if any(same_word(word, other) for other in large))
    return found / len(small)


def best_faq_matches(
    question: str, entries: list[FaqEntry], limit: int = 3, threshold: float = 0.5
) -> list[FaqEntry]:
    scored = [(faq_score(question, e.question), e) for e in entries]
    scored = [(s, e) for s, e in scored if s >= threshold]
    scored.sort(key=lambda pair: (-pair[0], pair[1].id))
    return [e for _, e in scored[:limit]]
