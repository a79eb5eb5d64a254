"""A student's own data: /privacy says what is stored, /export_me hands over a copy, /forget
deletes it (tickets stay for the coordinators, without the student)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery, SendDocument, SendMessage

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.privacy import FSM_TABLE, PERSON_COLUMNS, OnForget, PrivacyRepo, is_person_column
from bot.domain.roles import Role
from bot.fake_telegram import LocalChat, LocalSession, LocalTelegram, LocalUser
from bot.keyboards.applications import NotifyCb
from bot.keyboards.callbacks import CardCb
from bot.keyboards.privacy import ForgetCb
from tests.conftest import ADMIN_ID, TASHKENT, make_settings, onboard
from tests.support.factories import add_call, clear_catalogue

WORK = LocalChat(id=-100123, type="supergroup", title="Coordinators", is_forum=True)
COORDINATOR = LocalUser(id=700001, first_name="Malika", username="malika_io", language_code="en")
DEADLINE = datetime(2027, 1, 2, 18, 0, tzinfo=TASHKENT)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, coordinators_chat_id=WORK.id, default_locale="en")


@pytest.fixture
async def coordinator(app: App, clock: FakeClock) -> LocalUser:
    await app.repos.roles.grant(COORDINATOR.id, Role.COORDINATOR, ADMIN_ID, clock.now())
    return COORDINATOR


async def rows_naming(app: App, user_id: int) -> dict[str, int]:
    """How many rows name the user, per `table.column`, over every person column of the live
    schema (walked from sqlite_master, not from our registry), plus conversation states."""
    counts: dict[str, int] = {}
    tables = await app.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
    )
    for (table,) in tables:
        for (column,) in await app.db.fetchall("SELECT name FROM pragma_table_info(?)", (table,)):
            if is_person_column(table, column):
                counts[f"{table}.{column}"] = await app.db.fetchval(
                    f"SELECT count(*) FROM {table} WHERE {column} = ?", (user_id,)
                )
    keys = await app.db.fetchall(f"SELECT key FROM {FSM_TABLE}")
    counts[FSM_TABLE] = sum(1 for (key,) in keys if key.split(":")[2] == str(user_id))
    return counts


async def a_student_with_everything(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> int:
    """Onboarded; saved a call (reminders pending), ticked a document, subscribed to new
    calls, asked a coordinator (sharing the @username), tried a staff command, and has rows
    in the tables no student flow reaches yet. Returns the call's id."""
    await clear_catalogue(app)
    call_id = await add_call(app, title="DAAD EPOS Master", deadline=DEADLINE)
    await app.repos.applications.set_documents(call_id, ["cv", "transcript", "passport"])
    await onboard(telegram, student)
    await telegram.press_data(student, CardCb(call_id=call_id, source="m", page=0).pack())
    await telegram.press(student, "Save")
    await telegram.press(student, "Checklist")
    await telegram.press(student, "CV")
    await telegram.press_data(student, NotifyCb(action="sub", value=1).pack())
    await telegram.press_data(student, CardCb(call_id=call_id, source="m", page=0).pack())
    await telegram.press(student, "Ask a coordinator")
    await telegram.send(student, "Which form do I fill?")
    await telegram.press(student, "Yes, show")
    await telegram.send(student, "/stats")  # refused, and recorded for the admins
    now = int(clock.now().timestamp())
    for sql in (
        "INSERT INTO digest_entries (user_id, call_id, added_at) VALUES (?, ?, ?)",
        "INSERT INTO work_chat_notices (user_id, told_at) VALUES (?, ?)",
        "INSERT INTO coordinator_names (user_id, display_name, updated_at) VALUES (?, 'A', ?)",
    ):
        params = (student.id, call_id, now) if "digest" in sql else (student.id, now)
        await app.db.execute(sql, params)
    await app.db.execute(
        "INSERT INTO coordinator_programmes (user_id, programme_code) VALUES (?, 'daad')",
        (student.id,),
    )
    return call_id


async def confirm_forget(telegram: LocalTelegram, student: LocalUser) -> list:
    await telegram.send(student, "/forget")
    return await telegram.press(student, "Yes, delete everything")


# -- /privacy ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "level", "field", "heading", "stats_line"),
    [
        ("English", "Master", "ICT", "Your data in Imkon", "Admins see only counts in /stats"),
        ("Русский", "Магистратура", "ИКТ", "Ваши данные в Imkon", "/stats"),
        ("O‘zbekcha", "Magistratura", "AKT", "Imkon’dagi ma’lumotlaringiz", "/stats"),
        ("Ўзбекча", "Магистратура", "АКТ", "Имкондаги маълумотларингиз", "/stats"),
    ],
)
async def test_privacy_tells_the_student_in_their_language_what_is_stored(
    telegram: LocalTelegram,
    student: LocalUser,
    language: str,
    level: str,
    field: str,
    heading: str,
    stats_line: str,
) -> None:
    await onboard(telegram, student, language=language, level=level, fields=(field,))
    await telegram.send(student, "/privacy")
    text = telegram.last_bot_text(student.id)
    assert heading in text
    assert stats_line in text and "/forget" in text and "/export_me" in text
    if language != "English":
        assert "What the bot stores" not in text  # translated, not the English fallback


async def test_help_and_the_command_menu_mention_the_data_commands(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    from bot.commands import commands_for

    await onboard(telegram, student)
    await telegram.send(student, "/help")
    help_text = telegram.last_bot_text(student.id)
    assert "/privacy" in help_text and "/export_me" in help_text and "/forget" in help_text
    for locale in ("uz", "uz_Cyrl", "ru", "en"):
        with app.i18n.context():
            menu = {c.command: c.description for c in commands_for(app.i18n, locale)}
        assert {"privacy", "export_me", "forget"} <= set(menu)
        if locale != "en":
            assert menu["forget"] != "Delete your data"


# -- /forget ----------------------------------------------------------------------------------
async def test_forget_deletes_every_personal_row_and_keeps_the_ticket_anonymised(
    app: App,
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    clock: FakeClock,
) -> None:
    await a_student_with_everything(app, telegram, student, clock)
    before = await rows_naming(app, student.id)
    deleted = {
        f"{table}.{column}"
        for (table, column), how in PERSON_COLUMNS.items()
        if how is OnForget.DELETE
    } | {FSM_TABLE}
    # The story above reaches every table /forget deletes from: the test proves each one.
    assert {name for name in deleted if before[name] == 0} == set()

    await confirm_forget(telegram, student)

    after = await rows_naming(app, student.id)
    assert {name: n for name, n in after.items() if n} == {}
    assert "Done" in telegram.last_bot_text(student.id)
    ticket = await app.db.fetchone("SELECT * FROM tickets")
    assert ticket["student_id"] == 0 and ticket["status"] == "closed"
    question = await app.db.fetchone(
        "SELECT author_id, text, student_message_id FROM ticket_messages"
    )
    assert tuple(question) == (0, "Which form do I fill?", None)
    work = [m.text for m in telegram.transcript(WORK.id) if m.from_bot]
    assert any("deleted their data" in text and "#1" in text for text in work)


async def test_a_coordinators_answer_to_a_forgotten_student_gets_a_clear_note(
    app: App,
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    session: LocalSession,
    clock: FakeClock,
) -> None:
    await a_student_with_everything(app, telegram, student, clock)
    topic = next(m.thread_id for m in telegram.transcript(WORK.id) if "#1" in m.text)
    await confirm_forget(telegram, student)
    seen = len(telegram.transcript(student.id))

    sent = await telegram.send(
        coordinator, "Fill the portal form.", chat=WORK, message_thread_id=topic
    )

    assert "deleted their data with /forget" in telegram.last_bot_text(WORK.id)
    assert [r for r in sent if getattr(r, "chat_id", None) in (student.id, 0)] == []
    assert len(telegram.transcript(student.id)) == seen


async def test_after_forget_the_next_start_onboards_anew(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    key = StorageKey(bot_id=app.bot.id, chat_id=student.id, user_id=student.id)
    storage = app.dispatcher.fsm.storage
    await storage.set_data(key, {"draft": "half-typed search"})
    await confirm_forget(telegram, student)
    assert await storage.get_data(key) == {}  # not served from a stale cache either

    await telegram.send(student, "/start")

    profile = await app.repos.users.get(student.id)
    assert profile is not None and not profile.onboarded and profile.language is None
    labels = [b.text for b in telegram.last_keyboard_message(student.id).buttons()]
    assert any("English" in label for label in labels)  # the language choice, step one
    await onboard(telegram, student, language="Русский", level="Магистратура", fields=("ИКТ",))
    assert (await app.repos.users.get(student.id)).language == "ru"


async def test_a_stale_or_forged_confirmation_deletes_nothing(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/forget")
    first = telegram.last_keyboard_message(student.id)
    await telegram.send(student, "/forget")  # a second confirmation replaces the first

    forged = await telegram.press_data(student, ForgetCb(action="yes", token=12345).pack())
    old = await telegram.press(student, "Yes, delete everything", message_id=first.message_id)
    stranger = LocalUser(id=100002, first_name="Bek")
    await onboard(telegram, stranger)
    latest = telegram.last_keyboard_message(student.id)
    other = await telegram.press_data(stranger, latest.buttons()[0].callback_data)
    clock.advance(timedelta(minutes=11))
    late = await telegram.press(student, "Yes, delete everything")

    for requests in (forged, old, other, late):
        popup = [r for r in requests if isinstance(r, AnswerCallbackQuery)][-1]
        assert "expired" in popup.text
    assert (await app.repos.users.get(student.id)).onboarded
    assert (await app.repos.users.get(stranger.id)).onboarded


async def test_cancel_keeps_everything(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/forget")
    await telegram.press(student, "Cancel")
    assert "Nothing was deleted" in telegram.last_bot_text(student.id)
    assert (await app.repos.users.get(student.id)).onboarded


async def test_staff_are_told_to_have_their_role_removed_first(
    app: App, telegram: LocalTelegram, admin: LocalUser, coordinator: LocalUser
) -> None:
    requests = await telegram.send(admin, "/forget")
    (told,) = [r for r in requests if isinstance(r, SendMessage)]
    assert "роль" in told.text  # the admin reads Russian (Telegram's language)
    assert await app.repos.users.get(admin.id) is not None
    assert await app.repos.roles.has(admin.id, Role.ADMIN)
    await telegram.send(coordinator, "/forget")
    assert "/roles" in telegram.last_bot_text(coordinator.id)
    assert telegram.last_keyboard_message(coordinator.id) is None  # nothing to confirm


# -- /export_me -------------------------------------------------------------------------------
async def test_export_is_json_with_profile_saved_calls_ticks_and_tickets(
    app: App,
    telegram: LocalTelegram,
    student: LocalUser,
    coordinator: LocalUser,
    clock: FakeClock,
) -> None:
    call_id = await a_student_with_everything(app, telegram, student, clock)
    topic = next(m.thread_id for m in telegram.transcript(WORK.id) if "#1" in m.text)
    await telegram.send(coordinator, "The portal form.", chat=WORK, message_thread_id=topic)
    await telegram.send(coordinator, "/close", chat=WORK, message_thread_id=topic)

    requests = await telegram.send(student, "/export_me")

    (document,) = [r for r in requests if isinstance(r, SendDocument)]
    assert document.document.filename.endswith(".json")
    export = json.loads(telegram.transcript(student.id)[-1].file_content)
    tables = export["tables"]
    assert export["user_id"] == student.id
    (profile,) = tables["users"]
    assert profile["username"] == "aziza" and profile["level"] == "master"
    assert profile["created_at"] == "2026-11-23T10:00:00+05:00"  # ISO, with the offset
    assert [s["call_id"] for s in tables["saved_calls"]] == [call_id]
    assert [t["doc_key"] for t in tables["checklist_ticks"]] == ["cv"]
    assert tables["notify_prefs"][0]["subscribed"] == 1
    assert any(p["state"] == "pending" for p in tables["outbox"])
    assert tables["tickets"][0]["student_id"] == student.id
    assert [m["text"] for m in tables["ticket_messages"]] == [
        "Which form do I fill?",
        "The portal form.",
    ]
    raw = telegram.transcript(student.id)[-1].file_content.decode()
    # The coordinator who answered and closed, and their chat, stay out of the student's copy.
    assert str(COORDINATOR.id) not in raw and str(WORK.id) not in raw
    assert tables["tickets"][0]["closed_by"] is None
    assert tables["ticket_privacy"][0]["share_username"] == 1
    assert set(tables) <= {t for t, _ in PERSON_COLUMNS} | {FSM_TABLE}


async def test_export_is_bounded(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    rows = [(student.id, n, "reminder", 0, 0, "sent", 0, 0) for n in range(1, 1101)]
    await app.db.executemany(
        "INSERT INTO outbox (user_id, call_id, kind, slot, due_at, state, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    await telegram.send(student, "/export_me")
    export = json.loads(telegram.transcript(student.id)[-1].file_content)
    assert len(export["tables"]["outbox"]) == 1000
    assert export["truncated_tables"] == ["outbox"]


# -- the registry covers the schema ----------------------------------------------------------
async def test_every_column_holding_a_persons_id_is_handled_by_forget_and_export(
    app: App,
) -> None:
    assert await PrivacyRepo(app.db).unregistered_person_columns() == []


async def test_a_new_table_with_a_user_id_is_caught(tmp_path: Path, clock: FakeClock) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(Path(__file__).parent.parent / "migrations", migrations)
    (migrations / "0999_new_personal.sql").write_text(
        "CREATE TABLE quiz_answers (user_id INTEGER NOT NULL, answer TEXT);\n"
        "CREATE TABLE referrals (inviter_student_id INTEGER, created_by INTEGER);\n"
    )
    settings = make_settings(tmp_path, migrations_path=migrations)
    app = await create_app(settings, clock=clock, session=LocalSession())
    try:
        missing = await PrivacyRepo(app.db).unregistered_person_columns()
    finally:
        await app.close()
    assert missing == [
        ("quiz_answers", "user_id"),
        ("referrals", "inviter_student_id"),
        ("referrals", "created_by"),
    ]
