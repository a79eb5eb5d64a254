"""A call's shared link: `https://t.me/<bot>?start=c<id>` opens its card, for a new student
after the language question and before the level and field ones; the call that brought each
new student is counted once in /stats."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import App
from bot.db.users import UsersRepo
from bot.domain.profile import CallStatus
from bot.fake_telegram import LocalTelegram, LocalUser
from tests.admin_helpers import speaks_english
from tests.conftest import NOW, onboard
from tests.support.factories import add_call, days

LINK = "https://t.me/imkon_local_bot?start=c{}"


async def came_via(app: App, user_id: int) -> int | None:
    return await app.db.fetchval("SELECT came_via_call_id FROM users WHERE id = ?", (user_id,))


@pytest.fixture
async def call_id(app: App) -> int:
    return await add_call(app, title="Robotics & AI <master>", deadline=NOW + days(40))


async def test_a_new_student_picks_a_language_then_lands_on_the_card_then_the_questions(
    app: App, telegram: LocalTelegram, student: LocalUser, call_id: int
) -> None:
    await telegram.send(student, f"/start c{call_id}")
    assert "Choose your language" in telegram.last_bot_text(student.id)
    assert await came_via(app, student.id) == call_id

    await telegram.press(student, "English")
    bot_messages = [m for m in telegram.transcript(student.id) if m.from_bot]
    card, question = bot_messages[-2], bot_messages[-1]
    assert "Robotics &amp; AI &lt;master&gt;" in card.text  # the card, in English, escaped
    assert any("Share" in b.text for b in card.buttons())
    assert "What level are you studying for?" in question.text  # below the card

    await telegram.press(student, "Master")
    await telegram.press(student, "ICT")
    await telegram.press(student, "Done")
    assert "Calls for you" in telegram.last_bot_text(student.id)
    assert (await UsersRepo(app.db).get(student.id)).onboarded  # type: ignore[union-attr]
    assert card.text.startswith("🎓")  # the card stays in the chat above the questions


async def test_a_returning_student_lands_on_the_card_at_once_and_is_not_counted(
    app: App, telegram: LocalTelegram, student: LocalUser, call_id: int
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, f"/start c{call_id}")
    text = telegram.last_bot_text(student.id)
    assert text.startswith("🎓 <b>Robotics &amp; AI")
    assert "Deadline" in text
    assert await came_via(app, student.id) is None


async def test_the_share_button_shares_the_deep_link_with_the_title(
    telegram: LocalTelegram, student: LocalUser, call_id: int
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, f"/start c{call_id}")
    _message, button = telegram.find_button(student.id, "Share")
    assert button.url is not None
    parts = urlsplit(button.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", "/share/url")
    query = parse_qs(parts.query)
    assert query["url"] == [LINK.format(call_id)]
    assert query["text"] == ["Robotics & AI <master>"]


async def test_the_card_opened_from_a_list_has_the_share_button_too(
    telegram: LocalTelegram, student: LocalUser, call_id: int
) -> None:
    await onboard(telegram, student)
    await telegram.press(student, "Robotics")
    _message, button = telegram.find_button(student.id, "Share")
    assert button.url is not None and f"start%3Dc{call_id}" in button.url


@pytest.mark.parametrize(
    "payload",
    ["c", "c12x", "c99999999999999999999", "x12", "c0", "c007", "c-5", "c１２", "C12", "c 12"],
)
async def test_a_malformed_payload_gets_a_short_answer_and_the_menu(
    app: App, telegram: LocalTelegram, student: LocalUser, payload: str
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, f"/start {payload}")
    texts = [m.text for m in telegram.transcript(student.id) if m.from_bot][-3:]
    assert "This link leads to no open call." in texts
    assert "Main menu" in texts[-1]


@pytest.mark.parametrize("kind", ["unknown", "closed", "draft", "past deadline"])
async def test_a_link_to_no_open_call_gets_a_short_answer_and_the_menu(
    app: App, telegram: LocalTelegram, student: LocalUser, kind: str
) -> None:
    target = {
        "unknown": lambda: 999_999,
        "closed": lambda: add_call(app, status=CallStatus.CLOSED, deadline=NOW + days(5)),
        "draft": lambda: add_call(app, status=CallStatus.DRAFT, deadline=NOW + days(5)),
        "past deadline": lambda: add_call(app, deadline=NOW - days(1)),
    }[kind]()
    call_id = target if isinstance(target, int) else await target
    await onboard(telegram, student)
    await telegram.send(student, f"/start c{call_id}")
    texts = [m.text for m in telegram.transcript(student.id) if m.from_bot][-2:]
    assert texts[0] == "This link leads to no open call."
    assert "Main menu" in texts[1]


async def test_a_new_student_with_a_dead_link_is_told_so_in_their_language_and_onboards(
    app: App, telegram: LocalTelegram
) -> None:
    newcomer = LocalUser(id=100777, first_name="Oleg", language_code="ru")
    await telegram.send(newcomer, "/start c12x")
    texts = [m.text for m in telegram.transcript(newcomer.id) if m.from_bot]
    assert texts[0] == "Эта ссылка не ведёт к открытому конкурсу."
    assert "Choose your language" in texts[1]
    assert await came_via(app, newcomer.id) is None


async def test_stats_count_each_new_student_once_under_the_call_that_brought_them(
    app: App, telegram: LocalTelegram, admin: LocalUser, call_id: int
) -> None:
    other = await add_call(app, title="Physics in Bonn", deadline=NOW + days(20))
    first, second, third = (LocalUser(id=200000 + n) for n in range(3))
    await telegram.send(first, f"/start c{call_id}")
    await telegram.send(first, f"/start c{call_id}")  # again: still one arrival
    await telegram.send(first, f"/start c{other}")  # another link later: the first counts
    await telegram.send(second, f"/start c{call_id}")
    await telegram.send(third, f"/start c{other}")
    returning = LocalUser(id=200010)
    await onboard(telegram, returning)
    await telegram.send(returning, f"/start c{other}")  # not new: not counted

    await speaks_english(app, admin)
    await telegram.send(admin, "/stats")
    text = telegram.last_bot_text(admin.id)
    section = text.split("New students by the call whose link they opened:")[1]
    table = section.split("</pre>")[0].strip().splitlines()
    assert [line.split()[0] for line in table] == [f"#{call_id}", f"#{other}"]
    assert [line.split()[-1] for line in table] == ["2", "1"]
    assert "Robotics &amp; AI" in table[0]


async def test_a_student_who_finished_onboarding_is_never_attributed_later(
    app: App, telegram: LocalTelegram, student: LocalUser, call_id: int
) -> None:
    users = UsersRepo(app.db)
    await onboard(telegram, student)
    assert await users.record_arrival(student.id, call_id) is False
    assert await came_via(app, student.id) is None
