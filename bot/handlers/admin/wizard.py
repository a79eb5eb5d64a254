"""The call wizard: a new call asked field by field, or one field of an existing call changed.

The steps themselves (prompts, keyboards, what a typed answer or a button does) are data in
bot/handlers/admin/call_forms.py; here they are walked: ask, apply, move on, save.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.domain.catalog_rows import FieldError, call_from_row, row_from_call
from bot.domain.profile import CallStatus
from bot.filters import NOT_A_COMMAND, Magic
from bot.handlers.admin.call_forms import (
    EDITABLE_STEPS,
    NEW_STEPS,
    SWITCHES,
    TEXT_STEPS,
    After,
    apply_text,
    current_value,
    keyboard,
    press,
    prompt,
    warning,
)
from bot.handlers.admin.catalogue import leave_to_menu, show_call
from bot.handlers.admin.states import CallWizard
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdmEditCb, WizCb
from bot.middlewares import UpdateHandler
from bot.services.catalogue_desk import CatalogueDesk
from bot.texts.formatting import escape


@dataclass(frozen=True, slots=True)
class Wizard:
    """What the wizard's handlers work with, gathered once per update (see `get_router`)."""

    state: FSMContext
    calls: CallsRepo
    desk: CatalogueDesk
    clock: Clock
    settings: Settings
    i18n: I18n


async def _gather_wizard(
    handler: UpdateHandler,
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    data["wizard"] = Wizard(
        data["state"], data["calls"], data["desk"], data["clock"], data["settings"], data["i18n"]
    )
    return await handler(event, data)


async def ask(
    event: Message | CallbackQuery, data: dict[str, Any], calls: CallsRepo, notice: str = ""
) -> None:
    step, row = data["step"], data["row"]
    lines = []
    if notice:
        lines += [notice, ""]
    if data["mode"] == "new":
        lines.append(
            _("<b>New call</b> · step %(n)s of %(total)s")
            % {"n": NEW_STEPS.index(step) + 1, "total": len(NEW_STEPS)}
        )
    else:
        lines.append(_("<b>Editing call #%(id)s</b>") % {"id": data["call_id"]})
        current = current_value(step, row)
        if current:
            lines.append(_("Now: %(value)s") % {"value": f"<code>{escape(current)}</code>"})
    lines.append(prompt(step, row))
    lines.append(_("<i>/cancel leaves without saving.</i>"))
    await show(event, "\n".join(lines), keyboard(step, row, await calls.programmes()))


async def new_call(callback: CallbackQuery, wizard: Wizard) -> None:
    await _start(callback, wizard, {"mode": "new", "call_id": 0, "row": {}, "step": NEW_STEPS[0]})


async def edit_field(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmEditCb,
    wizard: Wizard,
) -> None:
    call = await wizard.calls.get(callback_data.call_id)
    if call is None or callback_data.step not in EDITABLE_STEPS:
        alert(callback_answer, _("This call no longer exists."))
        return
    switch = SWITCHES.get(callback_data.step)
    if switch is not None:  # saved at once, no question asked
        now, tz = wizard.clock.now(), wizard.settings.tz
        switched = switch.apply(call, now.astimezone(tz).date())
        saved = await wizard.desk.edit(call, switched, callback.from_user.id, now)
        await show_call(callback, saved, wizard.i18n, now, tz, notice=_("✅ Saved."))
        return
    row = row_from_call(call, wizard.settings.tz)
    await _start(
        callback,
        wizard,
        {"mode": "edit", "call_id": call.id, "row": row, "step": callback_data.step},
    )


async def _start(event: CallbackQuery, wizard: Wizard, data: dict[str, Any]) -> None:
    await wizard.state.set_state(CallWizard.active)
    await wizard.state.set_data(data)
    await ask(event, data, wizard.calls)


async def cancel(event: Message | CallbackQuery, wizard: Wizard) -> None:
    """/cancel typed, or ✖️ Cancel pressed, anywhere in the wizard."""
    await leave_to_menu(
        event, wizard.state, wizard.calls, wizard.i18n, _("Cancelled. Nothing was saved.")
    )


async def typed_answer(message: Message, wizard: Wizard) -> None:
    data = await wizard.state.get_data()
    step, row = data["step"], data["row"]
    try:
        row.update(
            apply_text(step, message.text or "", row, wizard.settings.tz, wizard.clock.now())
        )
    except FieldError as error:
        await ask(message, data, wizard.calls, warning(error))
        return
    await _advance(message, data, wizard)


async def not_text(message: Message, wizard: Wizard) -> None:
    data = await wizard.state.get_data()
    await ask(message, data, wizard.calls, _("⚠️ Please type the answer as text."))


async def pressed(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: WizCb,
    wizard: Wizard,
) -> None:
    data = await wizard.state.get_data()
    codes = {p.code for p in await wizard.calls.programmes()}
    after = press(data, callback_data.step, callback_data.value, codes)
    if after is After.EXPIRED:
        alert(callback_answer, _("This button has expired."))
    elif after is After.EMPTY:
        alert(callback_answer, _("Choose at least one."))
    elif after is After.AGAIN:
        await wizard.state.update_data(row=data["row"])
        await ask(callback, data, wizard.calls)
    else:
        await _advance(callback, data, wizard)


async def _advance(event: Message | CallbackQuery, data: dict[str, Any], wizard: Wizard) -> None:
    step = data["step"]
    if (data["mode"] == "edit" and not step.startswith("title_")) or (
        data["mode"] == "new" and step == NEW_STEPS[-1]
    ):
        await _save(event, data, wizard)
        return
    data["step"] = (
        f"summary_{step.removeprefix('title_')}"
        if data["mode"] == "edit"
        else NEW_STEPS[NEW_STEPS.index(step) + 1]
    )
    await wizard.state.set_data(data)
    await ask(event, data, wizard.calls)


async def _save(event: Message | CallbackQuery, data: dict[str, Any], wizard: Wizard) -> None:
    """The draft becomes a new call, or the edited call's new version; a rule it breaks is
    shown above its step (a new call's first broken step is asked again)."""
    now, tz, row = wizard.clock.now(), wizard.settings.tz, data["row"]
    before = None
    if data["mode"] == "edit":
        before = await wizard.calls.get(data["call_id"])
        if before is None:
            await wizard.state.clear()
            await show(event, _("This call no longer exists."))
            return
    else:
        row.setdefault("external_id", f"{row['programme']}-{now:%Y%m%d}-{secrets.token_hex(3)}")
        row["status"] = CallStatus.DRAFT.value
    programmes = {p.code: p for p in await wizard.calls.programmes()}
    call, errors = call_from_row(row, tz, programmes, now.astimezone(tz).date())
    if call is None:
        first = errors[0]
        if before is None:
            data["step"] = first.column if first.column in NEW_STEPS else TEXT_STEPS[0]
            await wizard.state.set_data(data)
        await ask(event, data, wizard.calls, warning(first))
        return
    user_id = event.from_user.id if event.from_user else None
    if before is None:
        saved = await wizard.desk.create(call, user_id, now)
        notice = _("📝 Draft #%(id)s saved. Check the preview in every language, then publish.") % {
            "id": saved.id
        }
    else:
        after = replace(call, id=before.id, status=before.status)
        saved = await wizard.desk.edit(before, after, user_id, now)
        notice = _("✅ Saved.")
    await wizard.state.clear()
    await show_call(event, saved, wizard.i18n, now, tz, notice=notice)


def get_router() -> Router:
    router = Router(name="admin_wizard")
    router.message.middleware(_gather_wizard)
    router.callback_query.middleware(_gather_wizard)
    router.callback_query.register(new_call, Magic(F.data == kb.AdminCb(action="new").pack()))
    router.callback_query.register(edit_field, AdmEditCb.filter())
    router.message.register(cancel, StateFilter(CallWizard.active), Command("cancel"))
    router.callback_query.register(
        cancel, StateFilter(CallWizard.active), WizCb.filter(F.value == "cancel")
    )
    router.message.register(
        typed_answer, StateFilter(CallWizard.active), Magic(F.text), NOT_A_COMMAND
    )
    router.message.register(not_text, StateFilter(CallWizard.active), Magic(~F.text))
    router.callback_query.register(pressed, StateFilter(CallWizard.active), WizCb.filter())
    return router
