"""The call wizard: a new call asked field by field, or one field of an existing call changed.

The draft is the same flat row the import file uses (bot/domain/catalog_rows.py), kept in the
FSM data, so a call is checked by the same rules whichever way it enters the catalogue.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.domain.calls import Programme, programme_zone
from bot.domain.catalog_rows import (
    LANGS,
    SUMMARY_MAX,
    TITLE_MAX,
    FieldError,
    call_from_row,
    check_deadline_in_future,
    check_text,
    format_moment,
    parse_countries,
    parse_moment,
    parse_optional_int,
    parse_short_text,
    parse_url,
    parse_zone,
    row_from_call,
)
from bot.domain.profile import CallStatus, Field, Funding, Level
from bot.filters import NOT_A_COMMAND, Magic
from bot.handlers.admin.catalogue import show_admin_menu, show_call
from bot.handlers.admin.states import CallWizard
from bot.handlers.ui import alert, show
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdmEditCb, WizCb
from bot.services.catalogue_desk import CatalogueDesk
from bot.texts.admin import TERMS, error_text
from bot.texts.formatting import escape

TEXT_STEPS = tuple(f"{kind}_{lang}" for lang in LANGS for kind in ("title", "summary"))
NEW_STEPS = (
    "programme",
    "levels",
    "fields",
    "funding",
    "countries",
    "language_requirement",
    "ages",
    "min_work_years",
    "opens_at",
    "deadline_at",
    "official_url",
    "source_url",
    *TEXT_STEPS,
)
OPTIONAL_STEPS = {"countries", "language_requirement", "ages", "min_work_years", "opens_at"}
# Steps an admin can pick to edit a saved call; "title_<lang>" edits title and summary.
EDITABLE_STEPS = (
    *NEW_STEPS[:12],
    *(f"title_{lang}" for lang in LANGS),
    "dates_typical",
    "yearly",
    "verified_on",
)


def step_label(step: str) -> str:
    labels = {
        "programme": _("Programme"),
        "levels": _("Levels"),
        "fields": _("Fields"),
        "funding": _("Funding"),
        "countries": _("Countries"),
        "language_requirement": _("Language requirement"),
        "ages": _("Age limits"),
        "min_work_years": _("Work experience"),
        "opens_at": _("Opening date"),
        "deadline_at": _("Deadline"),
        "official_url": _("Official page"),
        "source_url": _("Source"),
        "dates_typical": _("Dates unconfirmed ⇄"),
        "yearly": _("Yearly ⇄"),
        "verified_on": _("✅ Verified today"),
    }
    if step.startswith("title_"):
        return _("Text %(lang)s") % {"lang": kb.LANG_SHORT[step.removeprefix("title_")]}
    return labels[step]


def _prompt(step: str, row: dict[str, str]) -> str:
    zone = row_zone(row) or "Asia/Tashkent"
    prompts = {
        "programme": _("Which programme is the call from?"),
        "levels": _("Which study levels can apply? Choose one or more, then press Done."),
        "fields": _("Which fields of study? Choose one or more, then press Done."),
        "funding": _("What does the call pay for?"),
        "countries": _(
            "Host countries: two-letter codes separated by spaces, e.g. <code>DE FR IT</code> "
            "(EU for the whole European Union)."
        ),
        "language_requirement": _("Language requirement, e.g. <code>%(language_example)s</code>.")
        % TERMS,
        "ages": _(
            "Age limits: <code>18-35</code>, <code>-35</code> (only a maximum) "
            "or <code>18-</code> (only a minimum)."
        ),
        "min_work_years": _("Minimum years of work experience (a number)."),
        "opens_at": _(
            "When do applications open? <code>%(day)s</code>, as the organiser states it "
            "(%(zone)s)."
        )
        % {**TERMS, "zone": zone},
        "deadline_at": _(
            "Deadline as the organiser states it, in %(zone)s time: <code>%(day)s</code> "
            "(means 23:59 that day) or <code>%(moment)s</code>. Another zone: add its name "
            "after the date, e.g. <code>%(example_moment)s %(other_zone)s</code>. "
            "Press «Rolling» if each university sets it."
        )
        % {**TERMS, "zone": zone, "other_zone": "Europe/Paris"},
        "official_url": _("Link to the official page of the call (https://…)."),
        "source_url": _("Where did you check the facts? A link (https://…)."),
    }
    if step.startswith("title_"):
        return _("Title in %(language)s (up to %(limit)s characters).") % {
            "language": LANGUAGE_NAMES[step.removeprefix("title_")],
            "limit": TITLE_MAX,
        }
    if step.startswith("summary_"):
        return _(
            "Summary in %(language)s: two or three sentences (up to %(limit)s characters)."
        ) % {
            "language": LANGUAGE_NAMES[step.removeprefix("summary_")],
            "limit": SUMMARY_MAX,
        }
    return prompts[step]


def _current_value(step: str, row: dict[str, str]) -> str:
    if step == "ages":
        low, high = row.get("min_age", ""), row.get("max_age", "")
        return f"{low}-{high}" if low or high else ""
    return row.get(step, "")


def _keyboard(step: str, row: dict[str, str], programmes: list[Programme]) -> InlineKeyboardMarkup:
    if step == "programme":
        return kb.wizard_programmes(programmes)
    if step == "levels":
        return kb.wizard_levels(set(row.get("levels", "").split()))
    if step == "fields":
        chosen = row.get("fields", "")
        values = {f.value for f in Field} if chosen == "all" else set(chosen.split())
        return kb.wizard_fields(values)
    if step == "funding":
        return kb.wizard_funding()
    extra: list[tuple[str, str]] = []
    if step in OPTIONAL_STEPS:
        extra.append((_("⏭ Skip"), "skip"))
    if step == "deadline_at":
        extra.append((_("♾ Rolling"), "rolling"))
    if step == "source_url" and row.get("official_url"):
        extra.append((_("Same as the official page"), "same"))
    if step.startswith("title_"):
        extra.append((_("⏭ Skip this language"), "skiplang"))
    return kb.wizard_text_step(step, extra)


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
        current = _current_value(step, row)
        if current and step not in ("programme", "levels", "fields", "funding"):
            lines.append(_("Now: %(value)s") % {"value": f"<code>{escape(current)}</code>"})
    lines.append(_prompt(step, row))
    lines.append(_("<i>/cancel leaves without saving.</i>"))
    await show(event, "\n".join(lines), _keyboard(step, row, await calls.programmes()))


async def new_call(callback: CallbackQuery, state: FSMContext, calls: CallsRepo) -> None:
    data = {"mode": "new", "call_id": 0, "row": {}, "step": NEW_STEPS[0]}
    await state.set_state(CallWizard.active)
    await state.set_data(data)
    await ask(callback, data, calls)


async def edit_field(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: AdmEditCb,
    state: FSMContext,
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    call = await calls.get(callback_data.call_id)
    if call is None or callback_data.step not in EDITABLE_STEPS:
        alert(callback_answer, _("This call no longer exists."))
        return
    now = clock.now()
    if callback_data.step in ("dates_typical", "yearly", "verified_on"):
        if callback_data.step == "dates_typical":
            after = replace(call, dates_typical=not call.dates_typical)
        elif callback_data.step == "yearly":
            after = replace(call, yearly=not call.yearly)
        else:
            after = replace(call, verified_on=now.astimezone(settings.tz).date())
        saved = await desk.edit(call, after, callback.from_user.id, now)
        await show_call(callback, saved, i18n, now, settings.tz, notice=_("✅ Saved."))
        return
    data = {
        "mode": "edit",
        "call_id": call.id,
        "row": row_from_call(call, settings.tz),
        "step": callback_data.step,
    }
    await state.set_state(CallWizard.active)
    await state.set_data(data)
    await ask(callback, data, calls)


async def cancel_by_command(
    message: Message, state: FSMContext, calls: CallsRepo, i18n: I18n
) -> None:
    await _leave(message, state, calls, i18n)


async def cancel_by_button(
    callback: CallbackQuery, state: FSMContext, calls: CallsRepo, i18n: I18n
) -> None:
    await _leave(callback, state, calls, i18n)


async def _leave(
    event: Message | CallbackQuery, state: FSMContext, calls: CallsRepo, i18n: I18n
) -> None:
    await state.clear()
    await show_admin_menu(event, calls, i18n, notice=_("Cancelled. Nothing was saved."))


async def typed_answer(
    message: Message,
    state: FSMContext,
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    step, row = data["step"], data["row"]
    try:
        row.update(apply_text(step, message.text or "", row, settings.tz, clock.now()))
    except FieldError as error:
        await ask(message, data, calls, "⚠️ " + escape(error_text(error.code, error.params)))
        return
    await _advance(message, state, data, calls, desk, clock, settings, i18n)


async def not_text(message: Message, state: FSMContext, calls: CallsRepo) -> None:
    await ask(message, await state.get_data(), calls, _("⚠️ Please type the answer as text."))


async def pressed(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: WizCb,
    state: FSMContext,
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    step, row, value = data["step"], data["row"], callback_data.value
    if callback_data.step != step:
        alert(callback_answer, _("This button has expired."))
        return
    codes = {p.code for p in await calls.programmes()}
    if step == "programme" and value in codes:
        row["programme"] = value
        # Dates are typed as the organiser states them: in its programme's zone by default.
        row.setdefault("deadline_tz", programme_zone(value))
    elif step == "levels" and value in {lv.value for lv in Level}:
        chosen = set(row.get("levels", "").split()) ^ {value}
        row["levels"] = " ".join(lv.value for lv in Level if lv.value in chosen)
        await state.update_data(row=row)
        await ask(callback, data, calls)
        return
    elif step == "fields" and value != "done":
        current = row.get("fields", "")
        chosen = {f.value for f in Field} if current == "all" else set(current.split())
        if value == "all":
            chosen = set() if current == "all" else {f.value for f in Field}
        elif value in {f.value for f in Field}:
            chosen ^= {value}
        all_codes = {f.value for f in Field}
        row["fields"] = "all" if chosen == all_codes else " ".join(sorted(chosen))
        await state.update_data(row=row)
        await ask(callback, data, calls)
        return
    elif step in ("levels", "fields") and value == "done":
        if not row.get(step):
            alert(callback_answer, _("Choose at least one."))
            return
    elif step == "funding" and value in {f.value for f in Funding}:
        row["funding"] = value
    elif step in OPTIONAL_STEPS and value == "skip":
        for column in ("min_age", "max_age") if step == "ages" else (step,):
            row[column] = ""
    elif step == "deadline_at" and value == "rolling":
        row["deadline_at"] = ""
    elif step == "source_url" and value == "same":
        row["source_url"] = row.get("official_url", "")
    elif step.startswith("title_") and value == "skiplang":
        lang = step.removeprefix("title_")
        row[f"title_{lang}"] = row[f"summary_{lang}"] = ""
        data["step"] = f"summary_{lang}"  # _advance moves past the summary
    else:
        alert(callback_answer, _("This button has expired."))
        return
    await _advance(callback, state, data, calls, desk, clock, settings, i18n)


def apply_text(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    """Validate a typed answer for `step`; returns the columns it sets. Raises FieldError."""
    if step == "countries":
        return {"countries": " ".join(parse_countries(text))}
    if step == "language_requirement":
        return {"language_requirement": parse_short_text(text) or ""}
    if step == "ages":
        low, sep, high = text.strip().partition("-")
        if not sep:
            raise FieldError("bad_number", value=text, low=10, high=100)
        min_age = parse_optional_int(low, 10, 100)
        max_age = parse_optional_int(high, 10, 100)
        if min_age is not None and max_age is not None and min_age > max_age:
            raise FieldError("age_order")
        return {
            "min_age": "" if min_age is None else str(min_age),
            "max_age": "" if max_age is None else str(max_age),
        }
    if step == "min_work_years":
        years = parse_optional_int(text, 0, 60)
        return {"min_work_years": "" if years is None else str(years)}
    if step in ("opens_at", "deadline_at"):
        written, zone_name = text.strip(), row_zone(row)
        if step == "deadline_at":  # "2027-01-15 23:59 Europe/Paris": another zone
            head, _sep, last = written.rpartition(" ")
            if "/" in last:
                written, zone_name = head, parse_zone(last)
        zone = ZoneInfo(zone_name) if zone_name else tz
        moment = parse_moment(written, zone, end_of_day=step == "deadline_at")
        other = row.get("deadline_at" if step == "opens_at" else "opens_at", "")
        if step == "deadline_at":
            check_deadline_in_future(moment, now)
        if other:
            other_moment = parse_moment(other, zone, end_of_day=step == "opens_at")
            opens, deadline = (
                (moment, other_moment) if step == "opens_at" else (other_moment, moment)
            )
            if opens >= deadline:
                raise FieldError("opens_after_deadline")
        return {step: format_moment(moment, zone), "deadline_tz": zone_name or tz.key}
    if step in ("official_url", "source_url"):
        return {step: parse_url(text)}
    if step.startswith("title_"):
        return {step: check_text(text, TITLE_MAX)}
    if step.startswith("summary_"):
        return {step: check_text(text, SUMMARY_MAX)}
    raise FieldError("use_buttons")


def row_zone(row: dict[str, str]) -> str | None:
    """The organiser's zone of a draft row: its own, else its programme's."""
    if row.get("deadline_tz"):
        return row["deadline_tz"]
    return programme_zone(row["programme"]) if row.get("programme") else None


async def _advance(
    event: Message | CallbackQuery,
    state: FSMContext,
    data: dict[str, Any],
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    step = data["step"]
    if data["mode"] == "edit" and not step.startswith("title_"):
        await _save_edit(event, state, data, calls, desk, clock, settings, i18n)
        return
    if data["mode"] == "new" and step == NEW_STEPS[-1]:
        await _save_new(event, state, data, calls, desk, clock, settings, i18n)
        return
    data["step"] = (
        f"summary_{step.removeprefix('title_')}"
        if data["mode"] == "edit"
        else NEW_STEPS[NEW_STEPS.index(step) + 1]
    )
    await state.set_data(data)
    await ask(event, data, calls)


async def _save_new(
    event: Message | CallbackQuery,
    state: FSMContext,
    data: dict[str, Any],
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    now = clock.now()
    row = data["row"]
    row.setdefault("external_id", f"{row['programme']}-{now:%Y%m%d}-{secrets.token_hex(3)}")
    row["status"] = CallStatus.DRAFT.value
    programmes = {p.code: p for p in await calls.programmes()}
    call, errors = call_from_row(row, settings.tz, programmes, now.astimezone(settings.tz).date())
    if call is None:
        first = errors[0]
        data["step"] = first.column if first.column in NEW_STEPS else TEXT_STEPS[0]
        await state.set_data(data)
        await ask(event, data, calls, "⚠️ " + escape(error_text(first.code, first.params)))
        return
    user = event.from_user
    saved = await desk.create(call, user.id if user else None, now)
    await state.clear()
    notice = _("📝 Draft #%(id)s saved. Check the preview in every language, then publish.") % {
        "id": saved.id
    }
    await show_call(event, saved, i18n, now, settings.tz, notice=notice)


async def _save_edit(
    event: Message | CallbackQuery,
    state: FSMContext,
    data: dict[str, Any],
    calls: CallsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    now = clock.now()
    before = await calls.get(data["call_id"])
    if before is None:
        await state.clear()
        await show(event, _("This call no longer exists."))
        return
    programmes = {p.code: p for p in await calls.programmes()}
    after, errors = call_from_row(
        data["row"], settings.tz, programmes, now.astimezone(settings.tz).date()
    )
    if after is None:
        first = errors[0]
        await ask(event, data, calls, "⚠️ " + escape(error_text(first.code, first.params)))
        return
    user = event.from_user
    saved = await desk.edit(
        before, replace(after, id=before.id, status=before.status), user.id if user else None, now
    )
    await state.clear()
    await show_call(event, saved, i18n, now, settings.tz, notice=_("✅ Saved."))


def get_router() -> Router:
    router = Router(name="admin_wizard")
    router.callback_query.register(new_call, Magic(F.data == kb.AdminCb(action="new").pack()))
    router.callback_query.register(edit_field, AdmEditCb.filter())
    router.message.register(cancel_by_command, StateFilter(CallWizard.active), Command("cancel"))
    router.callback_query.register(
        cancel_by_button, StateFilter(CallWizard.active), WizCb.filter(F.value == "cancel")
    )
    router.message.register(
        typed_answer, StateFilter(CallWizard.active), Magic(F.text), NOT_A_COMMAND
    )
    router.message.register(not_text, StateFilter(CallWizard.active), Magic(~F.text))
    router.callback_query.register(pressed, StateFilter(CallWizard.active), WizCb.filter())
    return router
