"""Ask a human: a student's question becomes a ticket in the coordinators' chat, the answer comes
back through the bot, and nothing is left unanswered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram.methods import CloseForumTopic, CopyMessage, CreateForumTopic, SendMessage
from aiogram.types import Message, Update

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.roles import Role
from bot.fake_telegram import LocalChat, LocalSession, LocalTelegram, LocalUser
from bot.keyboards.callbacks import CardCb
from bot.keyboards.tickets import TicketCb
from bot.services import seed
from tests.conftest import ADMIN_ID, make_settings, onboard

WORK = LocalChat(id=-100123, type="supergroup", title="Coordinators", is_forum=True)
COORDINATOR = LocalUser(id=700001, first_name="Malika", username="malika_io", language_code="en")
STRANGER = LocalUser(id=700009, first_name="Bobur", username="bobur", language_code="en")

DAAD_CALL = {
    "external_id": "daad-test-2027",
    "programme": "daad",
    "status": "published",
    "levels": ["master"],
    "fields": "all",
    "funding": "full",
    "official_url": "https://www.daad.de/example",
    "source_url": "https://www.daad.de/example",
    "verified_on": "2026-11-01",
    "deadline_at": "2027-03-31T23:59:00+02:00",
    "countries": ["DE"],
    "texts": {
        lang: {"title": "DAAD Study Scholarships 2027", "summary": "Master's study in Germany."}
        for lang in ("en", "uz", "ru", "uz_Cyrl")
    },
}


@pytest.fixture(autouse=True)
def one_call_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue of one DAAD call, whatever the seed file holds."""
    monkeypatch.setattr(seed, "load_seed", lambda *args, **kwargs: [dict(DAAD_CALL)])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The work chat speaks the bot's default language; English keeps these assertions readable.
    return make_settings(tmp_path, coordinators_chat_id=WORK.id, default_locale="en")


@pytest.fixture
async def coordinator(app: App, clock: FakeClock) -> LocalUser:
    """Malika: a coordinator assigned to DAAD."""
    roles = app.repos.roles
    await roles.grant(COORDINATOR.id, Role.COORDINATOR, ADMIN_ID, clock.now())
    await app.db.execute(
        "INSERT INTO coordinator_programmes (user_id, programme_code) VALUES (?, 'daad')",
        (COORDINATOR.id,),
    )
    return COORDINATOR


@pytest.fixture
async def topic(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
) -> int:
    """Aziza asked "Which form do I fill?" about the DAAD call: the ticket's forum topic."""
    await ask_about_call(telegram, app, student, "Which form do I fill?")
    return topic_of(session)


async def call_id(app: App) -> int:
    return (await app.repos.calls.get_by_external_id("daad-test-2027")).id


async def ask_about_call(
    telegram: LocalTelegram, app: App, student: LocalUser, question: str, share: bool = False
) -> None:
    """Onboard, open the DAAD card, press "Ask a coordinator", write, answer the consent."""
    await onboard(telegram, student)
    card = CardCb(call_id=await call_id(app), source="m", page=0).pack()
    await telegram.press_data(student, card)
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, question)
    if "@username" in telegram.last_bot_text(student.id):
        await telegram.press(student, "Yes, show" if share else "No, first name only")


def sent_to(requests: list, chat_id: int, kind: type = SendMessage) -> list:
    return [r for r in requests if isinstance(r, kind) and r.chat_id == chat_id]


def work_texts(telegram: LocalTelegram) -> list[str]:
    return [m.text for m in telegram.transcript(WORK.id) if m.from_bot]


def topic_of(session: LocalSession) -> int:
    headers = [m for m in session.log(WORK.id).visible() if m.from_bot and "#1" in m.text]
    assert headers and headers[0].thread_id is not None
    return headers[0].thread_id


# -- FAQ --------------------------------------------------------------------------------------
async def test_faq_entry_answers_the_question_and_no_ticket_is_opened(
    telegram: LocalTelegram, app: App, student: LocalUser, admin: LocalUser, session: LocalSession
) -> None:
    await telegram.send(
        admin,
        "/faq add en daad How can I prove my English level? | IELTS 6.5 or TOEFL iBT 90 is enough.",
    )
    assert "добавлена" in telegram.last_bot_text(admin.id)  # the admin writes in Russian

    await ask_about_call(telegram, app, student, "Which English level certificate do I need?")

    offer = telegram.last_bot_text(student.id)
    assert "IELTS 6.5" in offer and "Did this answer your question?" in offer
    await telegram.press(student, "Yes, thank you")
    assert "Glad it helped" in telegram.last_bot_text(student.id)
    assert not [r for r in session.requests if isinstance(r, CreateForumTopic)]
    assert not sent_to(session.requests, WORK.id)
    assert await app.db.fetchval("SELECT COUNT(*) FROM tickets") == 0


async def test_faq_that_does_not_help_escalates_the_question(
    telegram: LocalTelegram, app: App, student: LocalUser, admin: LocalUser, session: LocalSession
) -> None:
    await telegram.send(admin, "/faq add en all How can I prove my English level? | IELTS 6.5.")
    await ask_about_call(telegram, app, student, "Which English level certificate do I need?")
    await telegram.press(student, "No, ask a coordinator")
    if "@username" in telegram.last_bot_text(student.id):
        await telegram.press(student, "No, first name only")
    assert "#1" in telegram.last_bot_text(student.id)
    assert any("English level certificate" in text for text in work_texts(telegram))


async def test_faq_in_another_language_is_not_offered(
    telegram: LocalTelegram, app: App, student: LocalUser, admin: LocalUser
) -> None:
    await telegram.send(admin, "/faq add ru daad How can I prove my English level? | IELTS.")
    await ask_about_call(telegram, app, student, "Which English level certificate do I need?")
    assert "#1" in telegram.last_bot_text(student.id)


async def test_admin_lists_and_deletes_faq_entries(
    telegram: LocalTelegram, admin: LocalUser
) -> None:
    await telegram.send(admin, "/faq add en daad Visa? | Apply at the embassy.")
    await telegram.send(admin, "/faq list")
    assert "Visa?" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "/faq delete 1")
    assert "удалена" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "/faq add xx daad Visa? | nope")
    assert "Неизвестный язык" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "/faq add en harvard Visa? | nope")
    assert "Неизвестная программа" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "/faq list")
    assert "Visa?" not in telegram.last_bot_text(admin.id)


async def test_student_typing_faq_command_is_refused_and_logged(
    telegram: LocalTelegram, app: App, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/faq add en all Hack? | yes")
    assert "only for the international office staff" in telegram.last_bot_text(student.id)
    assert await app.db.fetchval("SELECT COUNT(*) FROM faq_entries") == 0
    assert (
        await app.db.fetchval(
            "SELECT COUNT(*) FROM access_denials WHERE user_id = ?", (student.id,)
        )
        == 1
    )


# -- escalation ---------------------------------------------------------------------------------
async def test_question_opens_a_forum_topic_that_mentions_the_assigned_coordinator(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
) -> None:
    await ask_about_call(telegram, app, student, "Can I apply in my last bachelor year?")

    topics = [r for r in session.requests if isinstance(r, CreateForumTopic)]
    assert len(topics) == 1
    assert topics[0].chat_id == WORK.id
    assert topics[0].name.startswith("#1 · DAAD · Can I apply")
    header, question = [m for m in telegram.transcript(WORK.id) if m.from_bot][:2]
    assert header.thread_id == question.thread_id == 500
    assert "Ticket #1" in header.text and "DAAD Study Scholarships 2027" in header.text
    assert f'<a href="tg://user?id={coordinator.id}">coordinator</a>' in header.text
    assert "Aziza" in header.text and "@aziza" not in header.text  # username not shared
    assert "Can I apply in my last bachelor year?" in question.text
    told = telegram.last_bot_text(student.id)
    assert "#1" in told and "24 hours" in told


async def test_student_who_agrees_shows_username_and_is_asked_only_once(
    telegram: LocalTelegram, app: App, student: LocalUser, coordinator: LocalUser
) -> None:
    await ask_about_call(telegram, app, student, "First question about housing?", share=True)
    assert "@aziza" in work_texts(telegram)[0]
    await telegram.send(student, "/menu")
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, "A general question about visas")
    assert "#2" in telegram.last_bot_text(student.id)  # no consent question the second time


async def test_general_question_from_the_menu_goes_to_the_work_chat(
    telegram: LocalTelegram, app: App, student: LocalUser, session: LocalSession
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/menu")
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, "Do you help with recommendation letters?")
    await telegram.press(student, "No, first name only")
    topic = next(r for r in session.requests if isinstance(r, CreateForumTopic))
    assert topic.name == "#1 · general · Do you help with recommendation letters?"
    header = work_texts(telegram)[0]
    assert "general question" in header and "No coordinator is assigned" in header


async def test_without_a_forum_the_ticket_is_a_header_message_and_replies_answer_it(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
) -> None:
    plain = LocalChat(id=WORK.id, type="supergroup", title="Coordinators", is_forum=False)
    session.fail_next(LocalSession.bad_request("the chat is not a forum"), method=CreateForumTopic)
    await ask_about_call(telegram, app, student, "Is the stipend taxed?")

    header = next(m for m in telegram.transcript(WORK.id) if m.from_bot and "#1" in m.text)
    assert header.thread_id is None
    assert "Reply to this message" in header.text
    question = sent_to(session.requests, WORK.id)[-1]
    assert question.reply_parameters.message_id == header.message_id

    sent = await telegram.send(
        coordinator,
        "No, it is not taxed.",
        chat=plain,
        reply_to_message=session.as_message(header),
    )
    assert len(sent_to(sent, student.id)) == 1  # header and answer in one message
    assert "No, it is not taxed." in telegram.last_bot_text(student.id)
    # once known, the bot does not try topics again
    await telegram.send(student, "/menu")
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, "And a general one?")
    assert len([r for r in session.requests if isinstance(r, CreateForumTopic)]) == 1


# -- answers ------------------------------------------------------------------------------------
async def test_coordinator_answers_in_the_topic_and_the_student_gets_text_and_photo(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    topic: int,
) -> None:
    await telegram.send(coordinator, "/name Malika", chat=WORK, message_thread_id=topic)
    assert "Malika" in telegram.last_bot_text(WORK.id)

    sent = await telegram.send(
        coordinator, "Fill the DAAD portal form.", chat=WORK, message_thread_id=topic
    )
    assert len(sent_to(sent, student.id)) == 1  # header and answer in one message
    answer = telegram.transcript(student.id)[-1]
    header, body = answer.text.split("\n\n")
    assert "Answer to your question #1" in header and "from Malika" in header
    assert "DAAD Study Scholarships 2027" in header  # in context
    assert body == "Fill the DAAD portal form."
    assert [b.text for b in answer.buttons()][:2] == ["👍", "👎"]

    sent = await telegram.send_photo(
        coordinator, "This box, see the screenshot", chat=WORK, message_thread_id=topic
    )
    copies = sent_to(sent, student.id, CopyMessage)
    assert len(copies) == 1
    assert telegram.transcript(student.id)[-1].kind == "photo"
    caption = telegram.transcript(student.id)[-1].text
    assert "Answer to your question #1" in caption  # the header is the photo's caption
    assert caption.endswith("\n\nThis box, see the screenshot")
    everything = " ".join(m.text for m in telegram.transcript(student.id))
    assert "malika_io" not in everything and str(coordinator.id) not in everything
    status = await app.db.fetchval("SELECT status FROM tickets WHERE id = 1")
    assert status == "answered"


async def test_without_a_chosen_name_the_student_sees_a_coordinator(
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    topic: int,
) -> None:
    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    header = telegram.transcript(student.id)[-1]
    assert "from a coordinator" in header.text and "Malika" not in header.text


async def test_non_coordinator_in_the_work_chat_is_ignored_and_told_once(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    topic: int,
) -> None:
    first = await telegram.send(STRANGER, "I think the red one", chat=WORK, message_thread_id=topic)
    second = await telegram.send(STRANGER, "Or green?", chat=WORK, message_thread_id=topic)
    third = await telegram.send(STRANGER, "/close", chat=WORK, message_thread_id=topic)

    assert not sent_to(first + second + third, student.id, CopyMessage)
    assert len(sent_to(first, WORK.id)) == 1
    assert "Only coordinators can answer" in sent_to(first, WORK.id)[0].text
    assert not sent_to(second + third, WORK.id)
    assert await app.db.fetchval("SELECT status FROM tickets WHERE id = 1") == "open"


async def test_coordinators_chatting_outside_tickets_are_not_relayed(
    telegram: LocalTelegram,
    coordinator: LocalUser,
    topic: int,
) -> None:
    sent = await telegram.send(coordinator, "Good morning, team!", chat=WORK)
    assert sent == []  # the General topic is the coordinators' own: nothing relayed or said


# -- follow-ups -----------------------------------------------------------------------------------
async def test_follow_ups_join_the_open_ticket(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    topic: int,
) -> None:
    await telegram.send(student, "Also, is there an interview?")
    assert "Added to ticket #1" in telegram.last_bot_text(student.id)
    mirrored = telegram.transcript(WORK.id)[-1]
    assert mirrored.thread_id == topic and "Also, is there an interview?" in mirrored.text
    sent = await telegram.send_photo(student, "my form")
    assert sent_to(sent, WORK.id, CopyMessage)[0].message_thread_id == topic

    # asking again about the same call while the ticket is open continues it too
    card = CardCb(call_id=await call_id(app), source="m", page=0).pack()
    await telegram.press_data(student, card)
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, "One more thing about the deadline")
    assert "Added to ticket #1" in telegram.last_bot_text(student.id)
    assert len([r for r in session.requests if isinstance(r, CreateForumTopic)]) == 1
    assert await app.db.fetchval("SELECT COUNT(*) FROM tickets") == 1
    assert await app.db.fetchval("SELECT COUNT(*) FROM ticket_messages") == 4


async def test_student_replies_to_the_answer_and_it_joins_the_ticket(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    topic: int,
) -> None:
    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    await telegram.send(student, "/menu")  # leaves the ticket; a Telegram reply still finds it
    answer = telegram.transcript(student.id)[-3]
    assert answer.text.endswith("\n\nThe blue one.")
    await telegram.send(
        student, "Thanks, and where do I send it?", reply_to_message=session.as_message(answer)
    )
    assert "Added to ticket #1" in telegram.last_bot_text(student.id)
    assert "where do I send it?" in telegram.transcript(WORK.id)[-1].text
    assert await app.db.fetchval("SELECT status FROM tickets WHERE id = 1") == "open"


# -- closing and rating --------------------------------------------------------------------------
async def test_student_rates_the_answer_and_the_coordinator_closes_the_ticket(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    topic: int,
) -> None:
    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    await telegram.press(student, "👍")
    assert await app.db.fetchval("SELECT rating FROM tickets WHERE id = 1") == 1
    assert "👍" in telegram.last_bot_text(WORK.id)
    assert "👍" not in [b.text for b in telegram.transcript(student.id)[-1].buttons()]

    sent = await telegram.send(coordinator, "/close", chat=WORK, message_thread_id=topic)
    assert any(isinstance(r, CloseForumTopic) and r.message_thread_id == topic for r in sent)
    assert "closed by the coordinator" in telegram.last_bot_text(student.id)
    assert await app.db.fetchval("SELECT status FROM tickets WHERE id = 1") == "closed"

    again = await telegram.send(coordinator, "One more note", chat=WORK, message_thread_id=topic)
    assert not sent_to(again, student.id, CopyMessage)
    assert "is closed" in telegram.last_bot_text(WORK.id)


async def test_student_closes_the_ticket_and_coordinators_are_told(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    topic: int,
) -> None:
    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    await telegram.press(student, "Close")
    assert "#1 is closed" in telegram.last_bot_text(student.id)
    assert "The student closed ticket #1" in " ".join(work_texts(telegram))
    await telegram.press(student, "👎")
    assert await app.db.fetchval("SELECT rating FROM tickets WHERE id = 1") == -1
    await telegram.send(student, "/tickets")
    listing = telegram.last_bot_text(student.id)
    assert "#1" in listing and "closed" in listing


async def test_another_students_forged_rating_is_refused(
    telegram: LocalTelegram,
    app: App,
    coordinator: LocalUser,
    topic: int,
) -> None:
    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    intruder = LocalUser(id=100002, first_name="Eve", language_code="en")
    sent = await telegram.press_data(intruder, TicketCb(action="down", ticket_id=1).pack())
    assert any(getattr(r, "show_alert", False) for r in sent)
    assert await app.db.fetchval("SELECT rating FROM tickets WHERE id = 1") is None
    await telegram.press_data(intruder, TicketCb(action="close", ticket_id=1).pack())
    assert await app.db.fetchval("SELECT status FROM tickets WHERE id = 1") == "answered"


async def test_tickets_lists_the_students_questions_with_status(
    telegram: LocalTelegram, app: App, student: LocalUser, coordinator: LocalUser
) -> None:
    await telegram.send(student, "/tickets")  # before choosing a language: Uzbek
    assert "savol bermagansiz" in telegram.last_bot_text(student.id)
    await ask_about_call(telegram, app, student, "Which form do I fill?")
    await telegram.send(student, "/tickets")
    listing = telegram.last_bot_text(student.id)
    assert "#1" in listing and "waiting for a coordinator" in listing
    assert "Write to #1" in telegram.transcript(student.id)[-1].buttons()[0].text


# -- nothing left unanswered ----------------------------------------------------------------------
async def test_unanswered_ticket_is_reannounced_after_24_hours_once_a_day(
    telegram: LocalTelegram,
    app: App,
    coordinator: LocalUser,
    clock: FakeClock,
    settings: Settings,
    topic: int,
) -> None:

    async def run() -> int:
        return await app.services.ticket_desk.reannounce(app.bot)

    clock.advance(hours=23)
    assert await run() == 0
    clock.advance(hours=2)
    assert await run() == 1
    reminder = telegram.transcript(WORK.id)[-1]
    assert reminder.thread_id == topic and "#1" in reminder.text and "25" in reminder.text
    assert f"tg://user?id={coordinator.id}" in reminder.text
    clock.advance(hours=5)
    assert await run() == 0  # once a day
    clock.advance(hours=20)
    assert await run() == 1

    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    clock.advance(days=3)
    assert await run() == 0  # answered tickets wait for nobody


async def test_ticket_that_could_not_reach_the_work_chat_is_posted_by_the_job(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    session: LocalSession,
    clock: FakeClock,
    settings: Settings,
) -> None:
    session.fail_next(LocalSession.retry_after(30), method=CreateForumTopic)
    await ask_about_call(telegram, app, student, "Which form do I fill?")
    assert "#1" in telegram.last_bot_text(student.id)  # the student still gets a number
    assert not work_texts(telegram)
    clock.advance(hours=1)
    await app.services.ticket_desk.reannounce(app.bot)
    texts = work_texts(telegram)
    assert "Ticket #1" in texts[0] and "Which form do I fill?" in texts[1]


# -- restart and escaping -------------------------------------------------------------------------
@pytest.fixture
async def restarted(
    settings: Settings, clock: FakeClock, session: LocalSession
) -> AsyncIterator[LocalTelegram]:
    """A factory-made second app on the same database file, as after a restart."""
    apps: list[App] = []

    async def start() -> LocalTelegram:
        second = await create_app(settings, clock=clock, session=session)
        apps.append(second)
        return LocalTelegram(second.bot, second.dispatcher, session)

    yield start  # type: ignore[misc]
    for second in apps:
        await second.close()


async def test_answers_find_their_ticket_after_a_restart(
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    restarted,
    topic: int,
) -> None:
    header = next(m for m in telegram.transcript(WORK.id) if m.from_bot)

    after = await restarted()
    sent = await after.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    assert len(sent_to(sent, student.id)) == 1
    # a plain reply to the header finds it too
    sent = await after.send(
        coordinator, "And sign it.", chat=WORK, reply_to_message=session.as_message(header)
    )
    assert len(sent_to(sent, student.id)) == 1
    answer = telegram.transcript(student.id)[-1]
    sent = await after.send(student, "Signed, thanks!", reply_to_message=session.as_message(answer))
    assert sent_to(sent, WORK.id)[0].message_thread_id == topic


async def test_html_in_the_question_and_name_is_escaped_in_the_work_chat(
    telegram: LocalTelegram, app: App, coordinator: LocalUser, session: LocalSession
) -> None:
    student = LocalUser(id=100003, first_name="<i>Ali</i>", language_code="en")
    await ask_about_call(telegram, app, student, "<b>Is</b> 5 < 6 & <a href='x'>ok</a>?")
    header, question = [m.text for m in telegram.transcript(WORK.id) if m.from_bot][:2]
    assert "&lt;i&gt;Ali&lt;/i&gt;" in header and "<i>Ali</i>" not in header
    assert "&lt;b&gt;Is&lt;/b&gt; 5 &lt; 6 &amp; &lt;a href='x'&gt;ok&lt;/a&gt;?" in question
    assert "<b>Is</b>" not in question


async def test_russian_student_reads_russian_while_the_work_chat_keeps_its_language(
    telegram: LocalTelegram,
    app: App,
    coordinator: LocalUser,
    session: LocalSession,
) -> None:
    student = LocalUser(id=100004, first_name="Дилшод", language_code="ru")
    await onboard(telegram, student)
    await app.repos.users.update(student.id, language="ru")  # as chosen in /settings
    card = CardCb(call_id=await call_id(app), source="m", page=0).pack()
    await telegram.press_data(student, card)
    await telegram.press(student, "Спросить координатора")
    await telegram.send(student, "Нужен ли перевод диплома?")
    assert "обращение <b>#1</b>" in telegram.last_bot_text(student.id)
    assert "Ticket #1" in work_texts(telegram)[0]  # the coordinators' chat: default language

    await telegram.send(
        coordinator, "Yes, notarised.", chat=WORK, message_thread_id=topic_of(session)
    )
    header = telegram.transcript(student.id)[-1]
    assert "Ответ на ваш вопрос #1" in header.text


async def test_answer_to_a_student_who_blocked_the_bot_is_reported_in_the_topic(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    topic: int,
) -> None:
    session.fail_next(LocalSession.blocked(), method=SendMessage, chat_id=student.id)
    await telegram.send(coordinator, "The blue one.", chat=WORK, message_thread_id=topic)
    assert "blocked the bot" in telegram.last_bot_text(WORK.id)
    assert await app.db.fetchval("SELECT status FROM tickets WHERE id = 1") == "open"


def answer_headers(telegram: LocalTelegram, student: LocalUser) -> int:
    return sum(
        "Answer to your question #1" in m.text
        for m in telegram.transcript(student.id)
        if m.from_bot
    )


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ("text", SendMessage),
        ("photo", CopyMessage),
        ("long text", CopyMessage),  # too long to share a message with the header
    ],
)
async def test_an_answer_telegram_refuses_leaves_nothing_and_a_resend_has_one_header(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    topic: int,
    answer: str,
    refused: type,
) -> None:
    async def send() -> None:
        if answer == "photo":
            await telegram.send_photo(coordinator, "This box.", chat=WORK, message_thread_id=topic)
        else:
            text = "Fill box 7. " * (340 if answer == "long text" else 1)
            await telegram.send(coordinator, text, chat=WORK, message_thread_id=topic)

    before = len(telegram.transcript(student.id))
    session.fail_next(
        LocalSession.bad_request("message to copy not found"), method=refused, chat_id=student.id
    )
    await send()
    assert "did not deliver this" in telegram.last_bot_text(WORK.id)
    assert len(telegram.transcript(student.id)) == before  # not even a header

    await send()
    assert answer_headers(telegram, student) == 1
    bodies = [
        m
        for m in telegram.transcript(student.id)
        if "Fill box 7." in m.text or "This box." in m.text
    ]
    assert len(bodies) == 1
    assert await app.db.fetchval("SELECT status FROM tickets WHERE id = 1") == "answered"


async def test_a_long_answer_comes_first_and_its_header_replies_to_it(
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    topic: int,
) -> None:
    text = "Fill box 7. " * 340
    sent = await telegram.send(coordinator, text, chat=WORK, message_thread_id=topic)
    body, header = telegram.transcript(student.id)[-2:]
    assert body.text == text
    assert "Answer to your question #1" in header.text
    header_send = sent_to(sent, student.id)[-1]
    assert header_send.reply_parameters.message_id == body.message_id
    assert "👍" in [b.text for b in body.buttons()]


async def test_a_student_cannot_open_more_than_five_questions_at_once(
    telegram: LocalTelegram, app: App, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    tickets = app.repos.tickets
    for _ in range(5):  # five questions about the call are still open
        await tickets.open_ticket(student.id, await call_id(app), "daad", "en", clock.now())
    await telegram.send(student, "/menu")
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, "A sixth, general question")
    assert "already have 5 open questions" in telegram.last_bot_text(student.id)
    assert await app.db.fetchval("SELECT COUNT(*) FROM tickets") == 5


async def test_coordinator_corrects_an_answer_and_the_students_copy_follows(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    topic: int,
) -> None:
    await telegram.send(coordinator, "The bleu one.", chat=WORK, message_thread_id=topic)
    original = telegram.transcript(WORK.id)[-1]
    edited = Message(
        message_id=original.message_id,
        date=datetime.now(UTC),
        edit_date=int(datetime.now(UTC).timestamp()),
        chat=WORK.as_chat(),
        from_user=coordinator.as_user(),
        text="The blue one.",
        message_thread_id=topic,
    )
    await app.dispatcher.feed_update(app.bot, Update(update_id=10_000, edited_message=edited))
    answer = telegram.transcript(student.id)[-1]
    assert answer.text.endswith("\n\nThe blue one.")
    assert "Answer to your question #1" in answer.text  # the header stays
    assert "👍" in [b.text for b in answer.buttons()]


async def test_the_reannouncement_job_registers_hourly_under_a_fixed_id(
    app: App, clock: FakeClock, settings: Settings
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.services.tickets import REANNOUNCE_JOB_ID, register_jobs

    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.start(paused=True)  # nothing runs; the job store is live
    try:
        register_jobs(scheduler, app.services.ticket_desk, app.bot)
        register_jobs(scheduler, app.services.ticket_desk, app.bot)  # a restart
        jobs = scheduler.get_jobs()
        assert [job.id for job in jobs] == [REANNOUNCE_JOB_ID]
        assert jobs[0].trigger.interval.total_seconds() == 3600
    finally:
        scheduler.shutdown(wait=False)


async def test_a_coordinators_stray_command_in_a_topic_is_neither_relayed_nor_refused(
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    topic: int,
) -> None:
    sent = await telegram.send(coordinator, "/help", chat=WORK, message_thread_id=topic)
    assert sent_to(sent, student.id, CopyMessage) == []
    assert sent_to(sent, WORK.id) == []


async def test_a_topic_made_before_telegram_refused_the_header_is_reused_not_duplicated(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    session: LocalSession,
    clock: FakeClock,
    settings: Settings,
) -> None:
    session.fail_next(
        LocalSession.retry_after(60), method=SendMessage, chat_id=WORK.id
    )  # longer than a handler sleeps off
    await ask_about_call(telegram, app, student, "Which form do I fill?")
    assert not work_texts(telegram)
    clock.advance(minutes=5)
    await app.services.ticket_desk.reannounce(app.bot)
    assert len([r for r in session.requests if isinstance(r, CreateForumTopic)]) == 1
    header, question = [m for m in telegram.transcript(WORK.id) if m.from_bot]
    assert header.thread_id == question.thread_id == 500


async def test_a_screenshot_of_a_form_with_a_caption_is_a_question(
    telegram: LocalTelegram,
    app: App,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/menu")
    await telegram.press(student, "Ask a coordinator")
    sent = await telegram.send_document(
        student, "form.pdf", b"%PDF-1.4 fake", caption="Is box 7 <required>?"
    )
    assert not sent_to(sent, WORK.id, CopyMessage)  # the consent question comes first
    sent = await telegram.press(student, "No, first name only")
    topic = next(r for r in sent if isinstance(r, CreateForumTopic))
    assert topic.name == "#1 · general · Is box 7 <required>?"  # a topic name is plain text
    copies = sent_to(sent, WORK.id, CopyMessage)
    assert len(copies) == 1 and copies[0].from_chat_id == student.id
    assert copies[0].message_thread_id == 500
    assert telegram.transcript(WORK.id)[-1].kind == "document"


async def test_an_faq_entry_of_another_programme_is_not_offered(
    telegram: LocalTelegram, app: App, student: LocalUser, admin: LocalUser
) -> None:
    await telegram.send(
        admin, "/faq add en fulbright Which English certificate is needed? | TOEFL."
    )
    await ask_about_call(telegram, app, student, "Which English certificate is needed?")
    assert "#1" in telegram.last_bot_text(student.id)  # straight to a ticket: DAAD call


async def test_a_deleted_attachment_does_not_block_the_ticket(
    telegram: LocalTelegram, app: App, student: LocalUser, topic: int, session: LocalSession
) -> None:
    session.fail_next(
        LocalSession.bad_request("message to copy not found"), method=CopyMessage, chat_id=WORK.id
    )
    await telegram.send_photo(student, "my diploma")
    mirrored = telegram.transcript(WORK.id)[-1]
    assert mirrored.thread_id == topic
    assert "my diploma" in mirrored.text and "no longer available" in mirrored.text
    assert (
        await app.db.fetchval("SELECT COUNT(*) FROM ticket_messages WHERE work_message_id IS NULL")
        == 0
    )


async def test_after_a_question_the_student_moving_on_searches_instead_of_adding_to_the_ticket(
    telegram: LocalTelegram, app: App, student: LocalUser, coordinator: LocalUser, topic: int
) -> None:
    before = len(work_texts(telegram))
    await telegram.send(student, "/calls")
    await telegram.send(student, "Germany")
    assert "Results for «Germany»" in telegram.last_bot_text(student.id)
    assert len(work_texts(telegram)) == before  # nothing more went to the work chat
