"""Whatever Telegram delivers — any message in any chat, edited or forwarded, a file of random
bytes, a button with forged data, from a stranger or from someone halfway through a flow — the
bot answers without an unhandled error, and everything it sends is something Telegram accepts:
texts within 4096 characters, captions within 1024, alerts within 200, button data within 64
bytes, HTML of Telegram's subset with user text escaped (tests/support/telegram_checks.py).

One app serves a whole test (building one per example costs over a second); every example
gets fresh user ids, so no example sees another's profile or conversation state.
`make test` runs a bounded number of examples; `make fuzz` runs 10,000 per test."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import CreateForumTopic, SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message, User
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.config import SUPPORTED_LOCALES
from bot.domain.profile import Field, Level
from bot.domain.roles import Role
from bot.fake_telegram import BOT_USER, LocalChat, LocalSession, LocalTelegram, LocalUser
from bot.keyboards.admin import AdminCb, RoleCb
from bot.keyboards.callbacks import LangCb, LevelCb, SettingsCb
from bot.keyboards.tickets import AskCb
from tests.conftest import ADMIN_ID, NOW, make_settings
from tests.support.fuzz_strategies import (
    BEYOND_SQLITE_INTS,
    Content,
    callback_data,
    callback_data_classes,
    document_content,
    forward_origin,
    fuzz_settings,
    long_text,
    message_content,
    short_text,
    tricky_text,
)
from tests.support.telegram_checks import HtmlError, bot_api_violations, parse_telegram_html

T = TypeVar("T")

WORK = LocalChat(id=-100123, type="supergroup", title="Coordinators", is_forum=True)
GROUP = LocalChat(id=-4001, type="group", title="Class of 2027")
SUPERGROUP = LocalChat(id=-1004002, type="supergroup", title="Erasmus fans")
CHANNEL = Chat(id=-1004003, type="channel", title="University news")
APOLOGY = "Sorry, something went wrong on our side. Please try again."


class ErrorRecords(logging.Handler):
    """Every ERROR the bot logs: the error router logs each unhandled exception it catches."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def report(self) -> str:
        return "\n".join(
            f"{r.name}: {r.getMessage()}\n{self.format(r) if r.exc_info else ''}"
            for r in self.records
        )


@dataclass
class Harness:
    """One app on its own event loop, driven synchronously from Hypothesis examples."""

    runner: asyncio.Runner
    app: App
    session: LocalSession
    telegram: LocalTelegram
    errors: ErrorRecords
    apologies: frozenset[str]
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(7_000_000_001))
    topics: list[int] = field(default_factory=list)  # forum topics opened for tickets

    def record_topics(self, method: TelegramMethod[Any], result: Any) -> None:
        if isinstance(method, CreateForumTopic):
            self.topics.append(result.message_thread_id)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("Harness()")  # Hypothesis prints a failing example's arguments

    def run(self, coro: Awaitable[T]) -> T:
        return self.runner.run(coro)  # type: ignore[arg-type]

    def fresh_user(self, language_code: str | None = "en") -> LocalUser:
        number = next(self.ids)
        return LocalUser(id=number, first_name=f"User{number}", language_code=language_code)

    def check(self, story: Callable[[], Awaitable[object]]) -> list[TelegramMethod[Any]]:
        """Run `story`; fail on an error the error router caught, on the apology, or on any
        call Telegram would refuse. Returns the calls the story caused."""
        self.errors.records.clear()
        start = len(self.session.requests)
        self.run(story())
        sent = self.session.requests[start:]
        assert not self.errors.records, f"the error router was reached:\n{self.errors.report()}"
        apologies = [m for m in sent if getattr(m, "text", None) in self.apologies]
        assert not apologies, f"the user was told something went wrong: {apologies}"
        for api in sorted({method.__api_method__ for method in sent}):
            if currently_in_test_context():
                event(f"bot called {api}")  # shown by --hypothesis-show-statistics
        violations = [str(v) for method in sent for v in bot_api_violations(method)]
        assert not violations, "Telegram would refuse:\n" + "\n".join(violations)
        return sent


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    settings = make_settings(
        Path(tmp_path_factory.mktemp("fuzz")), coordinators_chat_id=WORK.id, default_locale="en"
    )
    session = LocalSession()
    errors = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(errors)
    with asyncio.Runner() as runner:
        app = runner.run(create_app(settings, clock=FakeClock(NOW), session=session))
        apologies = frozenset(app.i18n.gettext(APOLOGY, locale=loc) for loc in SUPPORTED_LOCALES)
        telegram = LocalTelegram(app.bot, app.dispatcher, session)
        harness = Harness(runner, app, session, telegram, errors, apologies)
        session.listeners.append(harness.record_topics)
        # A ticket waits in the coordinators' chat, so that messages in its topic relay.
        harness.run(enter(harness, "question: sent", harness.fresh_user()))
        try:
            yield harness
        finally:
            root.removeHandler(errors)
            runner.run(app.close())


# -- who sends ---------------------------------------------------------------------------------
PERSONAS = ["stranger", "student", "admin", "coordinator"]


async def become(harness: Harness, persona: str, user: LocalUser) -> None:
    """Make `user` a stranger (never seen), an onboarded student, an admin or a coordinator."""
    app = harness.app
    if persona == "stranger":
        return
    users = app.repos.users
    await users.touch(user.id, user.first_name, user.username, user.language_code, NOW)
    await users.update(
        user.id, language="en", level=Level.MASTER, fields_mask=Field.ICT.bit, onboarded=1
    )
    if persona in ("admin", "coordinator"):
        role = Role.ADMIN if persona == "admin" else Role.COORDINATOR
        await app.repos.roles.grant(user.id, role, ADMIN_ID, NOW)


def new_message(
    harness: Harness,
    chat: Chat,
    sender: User | None,
    content: Content,
    **extra: Any,
) -> Message:
    harness.session.files.update(content.files)
    return Message(
        message_id=harness.session.new_message_id(),
        date=datetime.now(UTC),
        chat=chat,
        from_user=sender,
        sender_chat=chat if sender is None else None,
        **content.fields,
        **extra,
    )


CHAT_KINDS = ["private", "private", "private", "group", "supergroup", "work", "channel"]


@st.composite
def message_updates(draw: st.DrawFn) -> dict[str, Any]:
    """Where and how a message arrives: the chat, new or edited, forwarded, in a topic."""
    return {
        "chat": draw(st.sampled_from(CHAT_KINDS)),
        "edited": draw(st.sampled_from([False, False, False, True])),
        "forward": (draw(st.sampled_from([False, False, True])) and draw(forward_origin())) or None,
        "thread": draw(st.none() | st.integers(1, 600) | st.just("a ticket's topic")),
        "content": draw(message_content),
    }


async def deliver_message(
    harness: Harness, user: LocalUser, how: dict[str, Any]
) -> list[TelegramMethod[Any]]:
    chat_kind = how["chat"]
    local = {"private": LocalChat(id=user.id), "group": GROUP, "supergroup": SUPERGROUP}.get(
        chat_kind, WORK
    )
    extra: dict[str, Any] = {}
    if how["forward"] is not None:
        extra["forward_origin"] = how["forward"]
    if how["edited"]:
        extra["edit_date"] = int(datetime.now(UTC).timestamp())
    if chat_kind == "channel":
        message = new_message(harness, CHANNEL, None, how["content"], **extra)
        kind = "edited_channel_post" if how["edited"] else "channel_post"
        return await harness.telegram.deliver(**{kind: message})
    harness.session.chat_types[local.id] = local
    if local.type == "supergroup" and how["thread"] is not None:
        thread = how["thread"]
        if isinstance(thread, str):
            thread = harness.topics[-1] if harness.topics else None
        extra["message_thread_id"] = thread
        extra["is_topic_message"] = True
    message = new_message(harness, local.as_chat(), user.as_user(), how["content"], **extra)
    kind = "edited_message" if how["edited"] else "message"
    return await harness.telegram.deliver(**{kind: message})


async def press(
    harness: Harness, user: LocalUser, data: str, where: str = "keyboard"
) -> list[TelegramMethod[Any]]:
    """A press of a button carrying `data`: on the newest keyboard of the private chat, on a
    message too old for the bot to touch (Telegram then sends an InaccessibleMessage), or in
    a group."""
    telegram = harness.telegram
    if where == "group":
        return await telegram.press_data(user, data, chat=SUPERGROUP)
    if where == "inaccessible":
        query = CallbackQuery(
            id=f"fuzz-{next(harness.ids)}",
            from_user=user.as_user(),
            chat_instance=str(user.id),
            message=InaccessibleMessage(chat=LocalChat(id=user.id).as_chat(), message_id=1, date=0),
            data=data,
        )
        return await telegram.deliver(callback_query=query)
    return await telegram.press_data(user, data)


# -- flows a user can be in the middle of --------------------------------------------------------
# Each is entered through the dispatcher, as the user would: (persona, steps).
FLOWS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "onboarding: language": ("stranger", [("send", "/start")]),
    "onboarding: level": ("stranger", [("send", "/start"), ("press", LangCb(code="en").pack())]),
    "onboarding: fields": (
        "stranger",
        [
            ("send", "/start"),
            ("press", LangCb(code="ru").pack()),
            ("press", LevelCb(level=Level.BACHELOR).pack()),
        ],
    ),
    "student: main menu": ("student", [("send", "/menu")]),
    "student: my applications": ("student", [("send", "/my")]),
    "settings: fields": ("student", [("press", SettingsCb(item="fields").pack())]),
    "search: typing a query": ("student", [("send", "/search")]),
    "question: typing it": ("student", [("press", AskCb(call_id=0).pack())]),
    "question: sent": (
        "student",
        [("press", AskCb(call_id=0).pack()), ("send", "How do I apply for DAAD?")],
    ),
    "admin: desk": ("admin", [("send", "/admin")]),
    "admin: new call wizard": ("admin", [("press", AdminCb(action="new").pack())]),
    "admin: broadcast": ("admin", [("send", "/broadcast")]),
    "admin: granting a role": (
        "admin",
        [("press", RoleCb(user_id=0, action="add", arg=Role.COORDINATOR.value).pack())],
    ),
}


async def enter(harness: Harness, flow: str, user: LocalUser) -> None:
    persona, steps = FLOWS[flow]
    await become(harness, persona, user)
    for kind, payload in steps:
        if kind == "send":
            await harness.telegram.send(user, payload)
        else:
            await harness.telegram.press_data(user, payload)


# A step of a story: a message, a forged button, or one of the buttons the bot last showed.
steps = st.one_of(
    st.tuples(st.just("message"), message_updates()),
    st.tuples(st.just("forged"), callback_data),
    st.tuples(st.just("button"), st.integers(1, 40)),
    st.tuples(st.just("button"), st.integers(1, 40)),
)


async def take(harness: Harness, user: LocalUser, step: tuple[str, Any]) -> None:
    kind, payload = step
    if kind == "message":
        await deliver_message(harness, user, payload)
    elif kind == "forged":
        await press(harness, user, payload)
    else:
        shown = harness.telegram.last_keyboard_message(user.id)
        buttons = [b for b in shown.buttons() if b.callback_data] if shown else []
        event("a step pressed a button the bot showed" if buttons else "no button to press")
        if buttons:
            button = buttons[(payload - 1) % len(buttons)]
            await harness.telegram.press_data(user, button.callback_data, message=shown)


# -- the properties ------------------------------------------------------------------------------
@fuzz_settings()
@given(
    persona=st.sampled_from(PERSONAS),
    data=callback_data,
    where=st.sampled_from(["keyboard", "keyboard", "inaccessible", "group"]),
)
def test_any_button_data_from_anyone_is_answered_within_telegrams_rules(
    harness: Harness, persona: str, data: str, where: str
) -> None:
    user = harness.fresh_user()
    harness.run(become(harness, persona, user))
    sent = harness.check(lambda: press(harness, user, data, where))
    assert sent, f"the press of {data!r} got no answer at all"


@fuzz_settings()
@given(persona=st.sampled_from(PERSONAS), how=message_updates())
def test_any_message_in_any_chat_is_handled_within_telegrams_rules(
    harness: Harness, persona: str, how: dict[str, Any]
) -> None:
    user = harness.fresh_user(language_code=None)
    harness.run(become(harness, persona, user))
    harness.check(lambda: deliver_message(harness, user, how))


@fuzz_settings(share=0.7)
@given(flow=st.sampled_from(sorted(FLOWS)), story=st.lists(steps, min_size=1, max_size=4))
def test_unrelated_updates_in_the_middle_of_a_flow_are_handled(
    harness: Harness, flow: str, story: list[tuple[str, Any]]
) -> None:
    user = harness.fresh_user()
    harness.check(lambda: enter(harness, flow, user))

    async def play() -> None:
        for step in story:
            await take(harness, user, step)

    harness.check(play)


@fuzz_settings(share=0.5)
@given(persona=st.sampled_from(["admin", "admin", "student"]), content=document_content())
def test_any_file_sent_privately_is_answered_within_telegrams_rules(
    harness: Harness, persona: str, content: Content
) -> None:
    """An admin's file goes to the catalogue importer; a student's gets a short answer."""
    user = harness.fresh_user()
    harness.run(become(harness, persona, user))
    how = {"chat": "private", "edited": False, "forward": None, "thread": None}
    sent = harness.check(lambda: deliver_message(harness, user, {**how, "content": content}))
    assert sent, "a file got no answer at all"


# Ids beyond SQLite's 64-bit integers once raised OverflowError in the handler that looked
# them up; every such button must now get the same kind answer as any expired one.
INT_CLASSES = [
    cls
    for cls in callback_data_classes()
    if any(info.annotation is int for info in cls.model_fields.values())
]


@pytest.mark.parametrize("cls", INT_CLASSES, ids=lambda cls: cls.__prefix__)
def test_callback_ids_beyond_64_bits_are_answered_kindly(
    harness: Harness, cls: type[CallbackData]
) -> None:
    for persona, huge in itertools.product(("student", "admin"), BEYOND_SQLITE_INTS):
        user = harness.fresh_user()
        harness.run(become(harness, persona, user))
        values = [
            str(huge) if info.annotation is int else _plain_value(info)
            for info in cls.model_fields.values()
        ]
        data = cls.__separator__.join([cls.__prefix__, *values])
        harness.check(partial(press, harness, user, data))


def _plain_value(info: Any) -> str:
    default = info.default
    if isinstance(default, bool):
        return str(int(default))
    if default not in (None, ...) and not callable(default):
        return str(getattr(default, "value", default))
    return "view" if info.annotation is str else "1"


# -- the checker itself ------------------------------------------------------------------------
@fuzz_settings()
@given(short_text)
def test_escaped_user_text_passes_the_html_check_and_reads_the_same(text: str) -> None:
    from bot.texts.formatting import escape

    assert parse_telegram_html(f"<b>{escape(text)}</b>") == text


@pytest.mark.parametrize(
    "html",
    [
        "a < b",
        "Tom & Jerry",
        "1 > 0",
        "<b>bold",
        "<b><i>crossed</b></i>",
        "<br>",
        "<div>x</div>",
        "<a>no href</a>",
        "<span>no class</span>",
        "<code><b>x</b></code>",
        '<code class="language-py">outside pre</code>',
        '<a href="x"><a href="y">nested</a></a>',
        "&nbsp;",
        "</b>",
    ],
)
def test_the_html_check_refuses_what_telegram_refuses_or_garbles(html: str) -> None:
    with pytest.raises(HtmlError):
        parse_telegram_html(html)


def test_the_html_check_accepts_telegrams_own_examples() -> None:
    text = (
        "<b>bold</b>, <strong>bold</strong> <i>italic <u>underline <s>strike</s></u></i>"
        ' <span class="tg-spoiler">spoiler</span> <a href="http://www.example.com/">link</a>'
        ' <tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> <code>x &lt; y</code>'
        ' <pre><code class="language-python">print(1)</code></pre>'
        " <blockquote expandable>quote</blockquote> &#x1F600; &quot;"
    )
    assert "x < y" in parse_telegram_html(text)


def test_every_callback_prefix_is_fuzzed() -> None:
    prefixes = {cls.__prefix__ for cls in callback_data_classes()}
    assert {"menu", "card", "adm", "admw", "admb", "tk", "ntf", "save"} <= prefixes
    assert BOT_USER.username  # commands are also sent as /cmd@<bot username>


@fuzz_settings(share=0.3)
@given(question=long_text | tricky_text)
def test_any_question_reaches_the_coordinators_within_telegrams_rules(
    harness: Harness, question: str
) -> None:
    """A question of any length and characters is mirrored into the coordinators' chat."""
    user = harness.fresh_user()
    harness.check(lambda: enter(harness, "question: typing it", user))
    sent = harness.check(lambda: harness.telegram.send(user, question))
    assert sent


def test_a_one_line_question_of_ampersands_reaches_the_coordinators_in_valid_parts(
    harness: Harness,
) -> None:
    """Found by the fuzz: a line longer than a message was cut at 4096 characters of its
    escaped HTML, through the middle of an "&amp;", and Telegram refuses the part."""
    user = harness.fresh_user()
    harness.check(lambda: enter(harness, "question: typing it", user))
    sent = harness.check(lambda: harness.telegram.send(user, "Fees & grants " + "&" * 5000))
    to_work = [m for m in sent if isinstance(m, SendMessage) and m.chat_id == WORK.id]
    visible = "".join(parse_telegram_html(m.text) for m in to_work)
    assert visible.count("&") == 5001  # every ampersand reached the coordinators


def test_the_roles_screen_pages_its_buttons_when_the_staff_outgrows_a_keyboard(
    harness: Harness,
) -> None:
    """Found by the fuzz: /roles put a button per staff member in one keyboard, and Telegram
    refuses a keyboard of more than 100 buttons."""
    admin = harness.fresh_user()
    harness.run(become(harness, "admin", admin))
    for _ in range(120):
        harness.run(become(harness, "coordinator", harness.fresh_user()))
    harness.check(lambda: harness.telegram.send(admin, "/roles"))
    pressed_forward = 0
    while True:
        shown = harness.telegram.last_keyboard_message(admin.id)
        assert shown is not None
        labels = [b.text for b in shown.buttons()]
        if "▶️" not in labels:
            break
        harness.check(lambda: harness.telegram.press(admin, "▶️"))
        pressed_forward += 1
    assert pressed_forward >= 120 // 8  # every member is reachable, a page at a time
