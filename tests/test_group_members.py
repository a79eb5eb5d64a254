"""Only people who talk to the bot in private are its users: members of the coordinators'
chat are not counted, not broadcast to, and the rows earlier versions made for them go."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aiogram.methods import CopyMessage

from bot.config import PROJECT_ROOT, Settings
from bot.db.connection import open_database
from bot.db.migrate import apply_migrations, migration_files
from bot.db.users import UsersRepo
from bot.fake_telegram import LocalChat, LocalTelegram, LocalUser
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, make_settings, onboard

WORK = LocalChat(id=-100123, type="supergroup", title="Coordinators", is_forum=True)
MEMBER = LocalUser(id=700009, first_name="Bobur", username="bobur", language_code="en")
MIGRATIONS = PROJECT_ROOT / "migrations"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, coordinators_chat_id=WORK.id, default_locale="en")


async def test_a_member_writing_in_the_work_chat_is_answered_but_never_becomes_a_user(
    app, telegram: LocalTelegram, admin: LocalUser, student: LocalUser, session
) -> None:
    await onboard(telegram, student)
    await speaks_english(app, admin)
    sent = await telegram.send(MEMBER, "/close", chat=WORK)
    assert "Only coordinators can answer" in sent[-1].text  # group updates still work
    await telegram.send(MEMBER, "Good morning!", chat=WORK)
    assert await UsersRepo(app.db).get(MEMBER.id) is None

    await telegram.send(admin, "/stats")
    table = telegram.last_bot_text(admin.id).split("<pre>")[1].splitlines()
    assert next(line for line in table if line.strip().startswith("all")).split()[1:] == [
        "2",
        "2",
        "0",
    ]

    await telegram.send(admin, "/broadcast")
    await telegram.send(admin, "News")
    await telegram.press(admin, "Everyone")
    assert "Recipients: 2 " in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "Confirm and send")
    await app.services.delivery.run_due()
    reached = {int(r.chat_id) for r in session.requests if isinstance(r, CopyMessage)}
    assert reached == {ADMIN_ID, student.id}


async def test_a_member_who_then_writes_in_private_becomes_a_user(
    app, telegram: LocalTelegram
) -> None:
    await telegram.send(MEMBER, "Good morning!", chat=WORK)
    await telegram.send(MEMBER, "/start")
    assert (await UsersRepo(app.db).get(MEMBER.id)) is not None


async def test_a_known_user_writing_in_the_group_keeps_their_row_untouched(
    app, telegram: LocalTelegram, student: LocalUser, clock
) -> None:
    await onboard(telegram, student)
    before = await UsersRepo(app.db).get(student.id)
    clock.advance(days=3)
    await telegram.send(student, "hello", chat=WORK)
    assert await UsersRepo(app.db).get(student.id) == before


async def test_migration_removes_rows_that_no_private_chat_made(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in migration_files(MIGRATIONS):
        if path.name < "0007":
            shutil.copy(path, before)
    db = await open_database(tmp_path / "m.sqlite3")
    await apply_migrations(db, before)

    async def user(uid: int, language: str | None = None, onboarded: int = 0) -> None:
        await db.execute(
            "INSERT INTO users (id, first_name, language, onboarded, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, 1, 1)",
            (uid, f"U{uid}", language, onboarded),
        )

    group_only = 1  # wrote in the coordinators' chat, nothing else
    group_blocked = 2  # ... and a broadcast to everyone failed on them
    onboarded = 3
    started = 4  # /start in private, language not chosen yet
    coordinator = 5  # staff, never wrote privately
    asker, saver, reached = 6, 7, 8
    for uid in range(1, 9):
        await user(uid)
    await db.execute("UPDATE users SET language = 'uz', onboarded = 1 WHERE id = ?", (onboarded,))
    await db.execute(
        "INSERT INTO fsm_states (key, state, data) VALUES (?, 'ProfileFlow:language', '{}'),"
        " (?, NULL, '{}')",
        (f"1000000001:{started}:{started}:0:default", f"1000000001:-100123:{group_only}:0:default"),
    )
    await db.execute(
        "INSERT INTO roles (user_id, role, granted_at) VALUES (?, 'coordinator', 1)",
        (coordinator,),
    )
    await db.execute(
        "INSERT INTO tickets (student_id, locale, created_at) VALUES (?, 'uz', 1)", (asker,)
    )
    await db.execute(
        "INSERT INTO outbox (user_id, kind, due_at, state, created_at, updated_at)"
        " VALUES (?, 'broadcast', 1, 'failed', 1, 1), (?, 'broadcast', 1, 'sent', 1, 1)",
        (group_blocked, reached),
    )
    await db.execute(
        "INSERT INTO notify_prefs (user_id, reminder_days, send_hour) VALUES (?, '', 10)",
        (saver,),
    )

    assert (await apply_migrations(db, MIGRATIONS))[0] == "0007_group_only_users.sql"
    left = {r[0] for r in await db.fetchall("SELECT id FROM users")}
    assert left == {onboarded, started, coordinator, asker, saver, reached}
    await db.close()


@pytest.mark.parametrize(
    "data", ["lvl:bachelor", "lang:ru", "fld:06", "fdone", "set:level", "tz:zone:2", "menu:home"]
)
async def test_a_students_button_pressed_in_a_group_has_expired_and_stores_nobody(
    app, telegram: LocalTelegram, data: str
) -> None:
    answers = await telegram.press_data(MEMBER, data, chat=WORK)
    texts = [getattr(m, "text", None) for m in answers]
    assert "This button has expired." in texts
    assert "Sorry, something went wrong on our side. Please try again." not in texts
    assert not any(getattr(m, "chat_id", None) == WORK.id for m in answers)  # no menu there
    assert await UsersRepo(app.db).get(MEMBER.id) is None
