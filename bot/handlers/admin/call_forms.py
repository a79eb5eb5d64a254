"""The call form: every step of a call's draft as data — its label, its prompt, its keyboard,
what a typed answer or a pressed button does to the draft row. The wizard
(bot/handlers/admin/wizard.py) walks it; the catalogue's edit menu lists its editable steps.

The draft is the same flat row the import file uses (bot/domain/catalog_rows.py), so a call is
checked by the same rules whichever way it enters the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.domain.calls import Call, Programme, programme_zone
from bot.domain.catalog_rows import (
    LANGS,
    SUMMARY_MAX,
    TITLE_MAX,
    FieldError,
    RowError,
    check_deadline_in_future,
    check_text,
    format_moment,
    parse_countries,
    parse_moment,
    parse_optional_int,
    parse_short_text,
    parse_url,
    parse_zone,
)
from bot.domain.profile import Field, Funding, Level
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards import admin as kb
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


def prompt(step: str, row: dict[str, str]) -> str:
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


def current_value(step: str, row: dict[str, str]) -> str:
    if step == "ages":
        low, high = row.get("min_age", ""), row.get("max_age", "")
        return f"{low}-{high}" if low or high else ""
    return row.get(step, "")


def keyboard(step: str, row: dict[str, str], programmes: list[Programme]) -> InlineKeyboardMarkup:
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


def warning(error: FieldError | RowError) -> str:
    """A rule the draft breaks, as the line shown above the step's question."""
    return "⚠️ " + escape(error_text(error.code, error.params))


# -- switches of a saved call: pressed once in the edit menu, saved at once -------------------

SWITCHES: dict[str, Callable[[Call, date], Call]] = {
    "dates_typical": lambda call, today: replace(call, dates_typical=not call.dates_typical),
    "yearly": lambda call, today: replace(call, yearly=not call.yearly),
    "verified_on": lambda call, today: replace(call, verified_on=today),
}


# -- buttons of a step -----------------------------------------------------------------------


class After(Enum):
    """What a pressed button did to the draft."""

    NEXT = "next"  # the step is answered: on to the next one (or save)
    AGAIN = "again"  # a choice was toggled: the same step again, showing it
    EMPTY = "empty"  # Done with nothing chosen: nothing changes
    EXPIRED = "expired"  # not a button of this step: nothing changes


# (the FSM data: step and row; the pressed value; the programme codes) → what it did
Press = Callable[[dict[str, Any], str, set[str]], After]


def _choose_programme(data: dict[str, Any], value: str, codes: set[str]) -> After:
    if value not in codes:
        return After.EXPIRED
    data["row"]["programme"] = value
    # Dates are typed as the organiser states them: in its programme's zone by default.
    data["row"].setdefault("deadline_tz", programme_zone(value))
    return After.NEXT


def _toggle_level(data: dict[str, Any], value: str, codes: set[str]) -> After:
    if value not in {lv.value for lv in Level}:
        return After.EXPIRED
    row = data["row"]
    chosen = set(row.get("levels", "").split()) ^ {value}
    row["levels"] = " ".join(lv.value for lv in Level if lv.value in chosen)
    return After.AGAIN


def _toggle_field(data: dict[str, Any], value: str, codes: set[str]) -> After:
    row, all_codes = data["row"], {f.value for f in Field}
    current = row.get("fields", "")
    chosen = set(all_codes) if current == "all" else set(current.split())
    if value == "all":
        chosen = set() if current == "all" else set(all_codes)
    elif value in all_codes:
        chosen ^= {value}
    row["fields"] = "all" if chosen == all_codes else " ".join(sorted(chosen))
    return After.AGAIN


def _at_least_one(data: dict[str, Any], value: str, codes: set[str]) -> After:
    return After.NEXT if data["row"].get(data["step"]) else After.EMPTY


def _choose_funding(data: dict[str, Any], value: str, codes: set[str]) -> After:
    if value not in {f.value for f in Funding}:
        return After.EXPIRED
    data["row"]["funding"] = value
    return After.NEXT


def _skip(data: dict[str, Any], value: str, codes: set[str]) -> After:
    step = data["step"]
    for column in ("min_age", "max_age") if step == "ages" else (step,):
        data["row"][column] = ""
    return After.NEXT


def _rolling(data: dict[str, Any], value: str, codes: set[str]) -> After:
    data["row"]["deadline_at"] = ""
    return After.NEXT


def _same_as_official(data: dict[str, Any], value: str, codes: set[str]) -> After:
    data["row"]["source_url"] = data["row"].get("official_url", "")
    return After.NEXT


def _skip_language(data: dict[str, Any], value: str, codes: set[str]) -> After:
    lang = data["step"].removeprefix("title_")
    data["row"][f"title_{lang}"] = data["row"][f"summary_{lang}"] = ""
    data["step"] = f"summary_{lang}"  # the next step is the one after the summary
    return After.NEXT


# (step, pressed value) → what it does; "*" stands for any value of the step's choices.
PRESSES: dict[tuple[str, str], Press] = {
    ("programme", "*"): _choose_programme,
    ("levels", "*"): _toggle_level,
    ("levels", "done"): _at_least_one,
    ("fields", "*"): _toggle_field,
    ("fields", "done"): _at_least_one,
    ("funding", "*"): _choose_funding,
    **{(step, "skip"): _skip for step in OPTIONAL_STEPS},
    ("deadline_at", "rolling"): _rolling,
    ("source_url", "same"): _same_as_official,
    **{(f"title_{lang}", "skiplang"): _skip_language for lang in LANGS},
}


def press(data: dict[str, Any], step: str, value: str, codes: set[str]) -> After:
    """Apply the button `value` of `step` (as the button says) to the draft in `data`."""
    if step != data["step"]:
        return After.EXPIRED
    action = PRESSES.get((step, value)) or PRESSES.get((step, "*"))
    return After.EXPIRED if action is None else action(data, value, codes)
