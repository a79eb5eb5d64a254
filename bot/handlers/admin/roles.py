"""/roles: admins grant and revoke the admin and coordinator roles and choose the programmes
a coordinator answers for. A user is named by id or by a forwarded message of theirs."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, MessageOriginHiddenUser, MessageOriginUser
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.commands import refresh_staff_menu
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.roles import RolesRepo
from bot.db.staff import StaffRepo
from bot.db.users import UsersRepo
from bot.domain.ids import parse_id
from bot.domain.roles import Role
from bot.filters import NOT_A_COMMAND
from bot.handlers.admin.states import RolesFlow
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdminCb, RoleCb
from bot.texts.formatting import escape
from bot.texts.programmes import programme_names as texts_programme_names


def role_label(role: str) -> str:
    return {"admin": _("admin"), "coordinator": _("coordinator")}.get(role, role)


async def show_roles(
    event: Message | CallbackQuery,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
    notice: str = "",
    page: int = 0,
) -> None:
    admins = await roles.members(Role.ADMIN)
    coordinators = await roles.members(Role.COORDINATOR)
    names = await staff.names(sorted(set(admins) | set(coordinators)))
    programme_names = texts_programme_names(await calls.programmes())
    lines = [notice, ""] if notice else []
    lines.append(_("👥 <b>Staff roles</b>"))
    lines.append(_("<b>Admins</b>: publish calls, import, broadcast, manage roles."))
    for uid in admins:
        lines.append(f"  • {escape(names.get(uid, '?'))} (<code>{uid}</code>)")
    lines.append(_("<b>Coordinators</b>: answer students' questions for their programmes."))
    if not coordinators:
        lines.append("  " + _("nobody yet"))
    for uid in coordinators:
        assigned = sorted(await staff.programmes_of(uid))
        programmes = ", ".join(programme_names.get(c, c) for c in assigned) or _("no programme")
        lines.append(
            f"  • {escape(names.get(uid, '?'))} (<code>{uid}</code>): {escape(programmes)}"
        )
    members = [
        (uid, f"👤 {names.get(uid, uid)}") for uid in sorted(set(admins) | set(coordinators))
    ]
    await show(event, "\n".join(lines), kb.roles_overview(members, page))


async def show_member(
    event: Message | CallbackQuery,
    user_id: int,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
    notice: str = "",
) -> None:
    held = {r.value for r in await roles.roles_of(user_id)}
    name = (await staff.names([user_id])).get(user_id)
    lines = [notice, ""] if notice else []
    lines.append(f"👤 <b>{escape(name or _('unknown user'))}</b> (<code>{user_id}</code>)")
    if name is None:
        lines.append(_("This user has not opened the bot yet."))
    lines.append(
        _("Roles: %(roles)s")
        % {"roles": ", ".join(role_label(r) for r in sorted(held)) or _("student")}
    )
    if "coordinator" in held:
        lines.append(_("Tap a programme to assign it or take it away."))
    markup = kb.member_actions(
        user_id, held, await calls.programmes(), await staff.programmes_of(user_id)
    )
    await show(event, "\n".join(lines), markup)


async def roles_screen(
    event: Message | CallbackQuery,
    state: FSMContext,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
    callback_data: AdminCb | RoleCb | None = None,
) -> None:
    await state.clear()
    page = callback_data.page if isinstance(callback_data, AdminCb) else 0
    await show_roles(event, roles, staff, calls, page=page)


async def member(
    callback: CallbackQuery,
    callback_data: RoleCb,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
) -> None:
    await show_member(callback, callback_data.user_id, roles, staff, calls)


async def ask_user(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: RoleCb,
    state: FSMContext,
) -> None:
    if callback_data.arg not in {r.value for r in Role}:
        alert(callback_answer, _("This button has expired."))
        return
    await state.set_state(RolesFlow.user)
    await state.update_data(role=callback_data.arg)
    await show(
        callback,
        _(
            "Who should become %(role)s? Send their Telegram user id (digits), or forward me "
            "any message of theirs. /cancel to stop."
        )
        % {"role": role_label(callback_data.arg)},
        kb.cancel_only(),
    )


async def cancel(
    message: Message, state: FSMContext, roles: RolesRepo, staff: StaffRepo, calls: CallsRepo
) -> None:
    await state.clear()
    await show_roles(message, roles, staff, calls, notice=_("Cancelled."))


async def cancel_button(
    callback: CallbackQuery, state: FSMContext, roles: RolesRepo, staff: StaffRepo, calls: CallsRepo
) -> None:
    await state.clear()
    await show_roles(callback, roles, staff, calls, notice=_("Cancelled."))


async def got_user(
    message: Message,
    bot: Bot,
    state: FSMContext,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
    users: UsersRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        user_id = origin.sender_user.id
    elif isinstance(origin, MessageOriginHiddenUser):
        await message.answer(
            _("This user hides their account in forwarded messages. Ask them for their user id.")
        )
        return
    elif (typed := parse_id(message.text)) is not None:
        user_id = typed
    else:
        await message.answer(
            _("Send the user id as digits (e.g. 123456789), or forward a message of theirs.")
        )
        return
    role = Role((await state.get_data()).get("role", Role.COORDINATOR.value))
    await state.clear()
    assert message.from_user is not None
    await roles.grant(user_id, role, message.from_user.id, clock.now())
    await staff.record_change(user_id, message.from_user.id, f"grant {role.value}", clock.now())
    await refresh_staff_menu(bot, i18n, roles, users, user_id, settings.default_locale)
    notice = _("✅ Role granted: %(role)s.") % {"role": role_label(role.value)}
    await show_member(message, user_id, roles, staff, calls, notice=notice)


async def change_role(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    bot: Bot,
    callback_data: RoleCb,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
    users: UsersRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    if callback_data.arg not in {r.value for r in Role}:
        alert(callback_answer, _("This button has expired."))
        return
    role = Role(callback_data.arg)
    user_id, actor = callback_data.user_id, callback.from_user.id
    notice = ""
    if callback_data.action == "grant":
        await roles.grant(user_id, role, actor, clock.now())
        notice = _("✅ Role granted: %(role)s.") % {"role": role_label(role.value)}
    else:
        if role == Role.ADMIN and user_id == actor:
            alert(callback_answer, _("You cannot remove your own admin role: ask another admin."))
            return
        await roles.revoke(user_id, role)
        if role == Role.COORDINATOR:
            await staff.clear_programmes(user_id)
        notice = _("➖ Role removed: %(role)s.") % {"role": role_label(role.value)}
        if role == Role.ADMIN and user_id in settings.admin_ids:
            notice += "\n" + _(
                "Note: this id is listed in %(setting)s, so it becomes admin again at the next "
                "restart. Remove it from the settings too."
            ) % {"setting": "ADMIN_IDS"}
    await staff.record_change(user_id, actor, f"{callback_data.action} {role.value}", clock.now())
    await refresh_staff_menu(bot, i18n, roles, users, user_id, settings.default_locale)
    await show_member(callback, user_id, roles, staff, calls, notice=notice)


async def toggle_programme(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: RoleCb,
    roles: RolesRepo,
    staff: StaffRepo,
    calls: CallsRepo,
    clock: Clock,
) -> None:
    codes = {p.code for p in await calls.programmes()}
    is_coordinator = Role.COORDINATOR.value in {
        r.value for r in await roles.roles_of(callback_data.user_id)
    }
    if callback_data.arg not in codes or not is_coordinator:
        alert(callback_answer, _("This button has expired."))
        return
    assigned = await staff.toggle_programme(callback_data.user_id, callback_data.arg)
    sign = "+" if assigned else "-"
    await staff.record_change(
        callback_data.user_id,
        callback.from_user.id,
        f"programme {sign}{callback_data.arg}",
        clock.now(),
    )
    await show_member(callback, callback_data.user_id, roles, staff, calls)


def get_router() -> Router:
    router = Router(name="admin_roles")
    router.callback_query.register(roles_screen, RoleCb.filter(F.action == "list"))
    router.callback_query.register(roles_screen, AdminCb.filter(F.action == "roles"))
    router.message.register(roles_screen, Command("roles"))
    router.callback_query.register(member, RoleCb.filter(F.action == "member"))
    router.callback_query.register(ask_user, RoleCb.filter(F.action == "add"))
    router.message.register(cancel, StateFilter(RolesFlow.user), Command("cancel"))
    router.callback_query.register(
        cancel_button, StateFilter(RolesFlow.user), kb.WizCb.filter(F.value == "cancel")
    )
    router.message.register(got_user, StateFilter(RolesFlow.user), NOT_A_COMMAND)
    router.callback_query.register(change_role, RoleCb.filter(F.action.in_({"grant", "revoke"})))
    router.callback_query.register(toggle_programme, RoleCb.filter(F.action == "programme"))
    return router
