"""Stories of staff roles: admins manage them, students are refused everywhere."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, DeleteMyCommands, SetMyCommands
from aiogram.types import BotCommandScopeChat, MessageOriginUser, User

from bot.commands import register_staff_commands
from bot.db.roles import RolesRepo
from bot.db.staff import StaffRepo
from bot.db.users import UsersRepo
from bot.domain.profile import CallStatus
from bot.domain.roles import Role
from bot.fake_telegram import LocalSession
from bot.keyboards.admin import (
    AdmCallCb,
    AdmEditCb,
    AdminCb,
    ImportCb,
    RoleCb,
    WizCb,
)
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, onboard

REFUSAL = "only for the international office staff"


async def denials(app) -> list[tuple[int, str]]:
    rows = await app.db.fetchall("SELECT user_id, action FROM access_denials ORDER BY id")
    return [(r["user_id"], r["action"]) for r in rows]


@pytest.mark.parametrize("command", ["/admin", "/roles", "/stats"])
async def test_student_typing_an_admin_command_is_refused_and_logged(
    app, telegram, student, command
):
    await onboard(telegram, student)
    await telegram.send(student, command)
    assert REFUSAL in telegram.last_bot_text(student.id)
    assert await denials(app) == [(student.id, command)]


FORGED = [
    AdminCb(action="menu"),
    AdminCb(action="new"),
    AdminCb(action="drafts"),
    AdminCb(action="calls"),
    AdminCb(action="import"),
    AdminCb(action="export_csv"),
    AdminCb(action="export_xlsx"),
    AdminCb(action="template"),
    AdminCb(action="stats"),
    AdminCb(action="stats_csv"),
    AdminCb(action="roles"),
    AdmCallCb(call_id=1, action="view"),
    AdmCallCb(call_id=1, action="edit"),
    AdmCallCb(call_id=1, action="publish"),
    AdmCallCb(call_id=1, action="fallback", arg="en"),
    AdmCallCb(call_id=1, action="close"),
    AdmCallCb(call_id=1, action="reopen"),
    AdmCallCb(call_id=1, action="history"),
    AdmEditCb(call_id=1, step="deadline_at"),
    AdmEditCb(call_id=1, step="verified_on"),
    WizCb(step="programme", value="daad"),
    ImportCb(import_id=1, action="apply"),
    RoleCb(user_id=100001, action="grant", arg="admin"),
    RoleCb(user_id=ADMIN_ID, action="revoke", arg="admin"),
    RoleCb(user_id=0, action="add", arg="admin"),
]


@pytest.mark.parametrize("data", FORGED, ids=lambda cb: cb.pack())
async def test_student_forging_an_admin_button_is_refused_and_nothing_changes(
    app, telegram, student, data
):
    await onboard(telegram, student)
    before = [(c.id, c.status, c.verified_on) for c in await app.repos.calls.list_all()]
    sent = await telegram.press_data(student, data.pack())
    answers = [m for m in sent if isinstance(m, AnswerCallbackQuery)]
    assert answers and REFUSAL in answers[-1].text
    assert await denials(app) == [(student.id, data.pack())]
    after = [(c.id, c.status, c.verified_on) for c in await app.repos.calls.list_all()]
    assert after == before
    roles = RolesRepo(app.db)
    assert await roles.roles_of(student.id) == set()
    assert await roles.has(ADMIN_ID, Role.ADMIN)


async def test_student_cannot_publish_a_draft_by_forging_the_button(app, telegram, student):
    calls = app.repos.calls
    call = (await calls.list_all())[0]
    await calls.set_status(call.id, CallStatus.DRAFT, app.clock.now())
    await onboard(telegram, student)
    await telegram.press_data(student, AdmCallCb(call_id=call.id, action="publish").pack())
    assert (await calls.get(call.id)).status == CallStatus.DRAFT


async def test_coordinator_is_not_an_admin(app, telegram, student):
    await RolesRepo(app.db).grant(student.id, Role.COORDINATOR, ADMIN_ID, app.clock.now())
    await onboard(telegram, student)
    await telegram.send(student, "/admin")
    assert REFUSAL in telegram.last_bot_text(student.id)


async def test_admin_grants_coordinator_by_id_and_assigns_programmes(app, telegram, admin, student):
    await onboard(telegram, student)
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    assert str(ADMIN_ID) in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "Add coordinator")
    await telegram.send(admin, "not a number")
    assert "as digits" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, str(student.id))
    screen = telegram.last_bot_text(admin.id)
    assert "Role granted: coordinator" in screen and "Aziza" in screen
    await telegram.press(admin, "DAAD")
    await telegram.press(admin, "Fulbright")
    await telegram.press(admin, "Fulbright")  # tapped twice: taken away again
    staff = StaffRepo(app.db)
    assert await staff.programmes_of(student.id) == {"daad"}
    await telegram.press(admin, "Roles")
    assert "Aziza" in telegram.last_bot_text(admin.id)
    assert "DAAD" in telegram.last_bot_text(admin.id)
    roles = RolesRepo(app.db)
    assert await roles.roles_of(student.id) == {Role.COORDINATOR}
    changes = await app.db.fetchall("SELECT change FROM role_changes ORDER BY id")
    assert [r["change"] for r in changes] == [
        "grant coordinator",
        "programme +daad",
        "programme +fulbright",
        "programme -fulbright",
    ]


async def test_admin_grants_admin_by_forwarded_message_and_revokes_it(
    app, telegram, admin, student
):
    await onboard(telegram, student)
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    await telegram.press(admin, "Add admin")
    origin = MessageOriginUser(
        date=app.clock.now(), sender_user=User(id=student.id, is_bot=False, first_name="Aziza")
    )
    await telegram.send(admin, "hello", forward_origin=origin)
    roles = RolesRepo(app.db)
    assert await roles.has(student.id, Role.ADMIN)
    # the new admin now reaches the desk
    await speaks_english(app, student)
    await telegram.send(student, "/admin")
    assert "Admin desk" in telegram.last_bot_text(student.id)
    await telegram.press(admin, "Remove admin")
    assert not await roles.has(student.id, Role.ADMIN)
    await telegram.send(student, "/admin")
    assert REFUSAL in telegram.last_bot_text(student.id)


async def test_admin_cannot_remove_their_own_admin_role(app, telegram, admin):
    await speaks_english(app, admin)
    sent = await telegram.press_data(
        admin, RoleCb(user_id=ADMIN_ID, action="revoke", arg="admin").pack()
    )
    answer = [m for m in sent if isinstance(m, AnswerCallbackQuery)][-1]
    assert "cannot remove your own" in answer.text
    assert await RolesRepo(app.db).has(ADMIN_ID, Role.ADMIN)


async def test_a_student_sending_a_catalogue_file_imports_nothing(app, telegram, student):
    from tests.test_admin_import import GOOD_AND_BAD, csv_bytes

    await onboard(telegram, student)
    calls = app.repos.calls
    before = await calls.count()
    await telegram.send_document(student, "calls.csv", csv_bytes(GOOD_AND_BAD))
    assert "checked" not in telegram.last_bot_text(student.id)
    assert await calls.count() == before
    assert await app.db.fetchval("SELECT count(*) FROM pending_imports") == 0


async def test_cancel_in_the_roles_prompt_grants_nothing(app, telegram, admin, student):
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    await telegram.press(admin, "Add admin")
    await telegram.send(admin, "/cancel")
    assert "Cancelled." in telegram.last_bot_text(admin.id)
    await telegram.send(admin, str(student.id))  # no longer waiting for an id
    assert not await RolesRepo(app.db).has(student.id, Role.ADMIN)


async def test_commands_still_work_while_the_roles_prompt_waits(app, telegram, admin):
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    await telegram.press(admin, "Add admin")
    await telegram.send(admin, "/admin")
    assert "Admin desk" in telegram.last_bot_text(admin.id)
    origin = MessageOriginUser(
        date=app.clock.now(), sender_user=User(id=4242, is_bot=False, first_name="X")
    )
    await telegram.send_photo(admin, "", forward_origin=origin)  # the prompt is gone
    assert not await RolesRepo(app.db).has(4242, Role.ADMIN)


async def test_a_forwarded_photo_names_the_user_too(app, telegram, admin):
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    await telegram.press(admin, "Add coordinator")
    origin = MessageOriginUser(
        date=app.clock.now(), sender_user=User(id=4242, is_bot=False, first_name="X")
    )
    await telegram.send_photo(admin, "", forward_origin=origin)
    assert await RolesRepo(app.db).roles_of(4242) == {Role.COORDINATOR}
    assert "This user has not opened the bot yet." in telegram.last_bot_text(admin.id)


def _menus(session, method):
    return [r for r in session.requests if isinstance(r, method)]


async def test_a_new_admin_gets_the_admin_commands_in_their_menu_until_the_role_goes(
    app, telegram, session, admin, student
):
    await onboard(telegram, student)
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    await telegram.press(admin, "Add admin")
    await telegram.send(admin, str(student.id))
    menu = _menus(session, SetMyCommands)[-1]
    assert menu.scope == BotCommandScopeChat(chat_id=student.id)
    names = [c.command for c in menu.commands]
    assert {"start", "menu", "admin", "broadcast", "stats", "roles"} <= set(names)
    assert "Send an announcement to students" in [c.description for c in menu.commands]
    await telegram.press(admin, "Remove admin")
    assert _menus(session, DeleteMyCommands)[-1].scope == BotCommandScopeChat(chat_id=student.id)


async def test_an_admin_changing_language_gets_the_menu_in_that_language(
    app, telegram, session, admin
):
    await onboard(telegram, admin)
    await telegram.send(admin, "/settings")
    await telegram.press(admin, "Language")
    await telegram.press(admin, "Русский")
    menu = _menus(session, SetMyCommands)[-1]
    assert menu.scope == BotCommandScopeChat(chat_id=ADMIN_ID)
    assert "Главное меню" in [c.description for c in menu.commands]


async def test_a_student_changing_language_leaves_the_command_menus_alone(
    telegram, session, student
):
    await onboard(telegram, student)
    before = len(_menus(session, SetMyCommands)) + len(_menus(session, DeleteMyCommands))
    await telegram.send(student, "/settings")
    await telegram.press(student, "Language")
    await telegram.press(student, "Русский")
    after = len(_menus(session, SetMyCommands)) + len(_menus(session, DeleteMyCommands))
    assert after == before


async def test_start_up_sets_admin_and_work_chat_menus_and_survives_a_refusal(app, session, caplog):
    other_admin = ADMIN_ID + 1
    await RolesRepo(app.db).grant(other_admin, Role.ADMIN, ADMIN_ID, app.clock.now())
    session.fail_next(
        LocalSession.bad_request("chat not found"), method=SetMyCommands, chat_id=None, times=1
    )
    await register_staff_commands(
        app.bot, app.i18n, RolesRepo(app.db), UsersRepo(app.db), "en", -100500
    )
    menus = _menus(session, SetMyCommands)
    scopes = [m.scope.chat_id for m in menus]
    # the first admin's chat refused (never opened the bot): logged, and the rest still set
    assert scopes[-2:] == [other_admin, -100500]
    assert "could not set the command menu of staff member" in caplog.text
    work = menus[-1]
    assert [c.command for c in work.commands] == ["queue", "name", "close"]
