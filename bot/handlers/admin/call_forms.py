"""The call form: every step of a call's draft is one `Step` in STEPS — its label, its question,
its buttons, what a typed answer or a pressed button does to the draft row. The wizard
(bot/handlers/admin/wizard.py) walks it; the catalogue's edit menu lists its editable steps.

The draft is the same flat row the import file uses (bot/domain/catalog_rows.py), so a call is
checked by the same rules whichever way it enters the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from typing import Any, NoReturn
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
    format_english_minimums,
    format_moment,
    parse_bool,
    parse_countries,
    parse_english_minimums,
    parse_min_german,
    parse_moment,
    parse_optional_int,
    parse_short_text,
    parse_url,
    parse_zone,
)
from bot.domain.eligibility import EnglishTest, format_score
from bot.domain.profile import Field, Funding, Level
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards import admin as kb
from bot.texts.admin import TERMS, error_text
from bot.texts.formatting import escape

# -- what a step does with a pressed button ----------------------------------------------------


class After(Enum):
    """What a pressed button did to the draft."""

    NEXT = "next"  # the step is answered: on to the next one (or save)
    AGAIN = "again"  # a choice was toggled: the same step again, showing it
    EMPTY = "empty"  # Done with nothing chosen: nothing changes
    EXPIRED = "expired"  # not a button of this step: nothing changes


# (the FSM data: step and row; the pressed value; the programme codes) → what it did
Press = Callable[[dict[str, Any], str, set[str]], After]
# (the step, the typed text, the draft row, the desk's zone, now) → the columns it sets;
# raises FieldError
Parse = Callable[[str, str, dict[str, str], ZoneInfo, datetime], dict[str, str]]


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


def _chosen_fields(row: dict[str, str]) -> set[str]:
    current = row.get("fields", "")
    return {f.value for f in Field} if current == "all" else set(current.split())


def _toggle_field(data: dict[str, Any], value: str, codes: set[str]) -> After:
    row, all_codes = data["row"], {f.value for f in Field}
    chosen = _chosen_fields(row)
    if value == "all":
        chosen = set() if row.get("fields", "") == "all" else set(all_codes)
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
    for column in STEPS[data["step"]].columns:
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


# -- what a step does with a typed answer ------------------------------------------------------


def _use_buttons(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> NoReturn:
    raise FieldError("use_buttons")


def _countries(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    return {step: " ".join(parse_countries(text))}


def _short_text(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    return {step: parse_short_text(text) or ""}


def _ages(step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, str]:
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


def _years(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    years = parse_optional_int(text, 0, 60)
    return {step: "" if years is None else str(years)}


def _english(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    minimums = parse_english_minimums(text)
    return {
        f"min_{test.value}": "" if test not in minimums else format_score(minimums[test])
        for test in EnglishTest
    }


def _german(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    return {step: parse_min_german(text) or ""}


def _citizens(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    return {step: "yes" if parse_bool(text) else "no"}


def _moment(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    """opens_at or deadline_at, in the organiser's zone; each checked against the other."""
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
        opens, deadline = (moment, other_moment) if step == "opens_at" else (other_moment, moment)
        if opens >= deadline:
            raise FieldError("opens_after_deadline")
    return {step: format_moment(moment, zone), "deadline_tz": zone_name or tz.key}


def _url(step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime) -> dict[str, str]:
    return {step: parse_url(text)}


def _text_up_to(limit: int) -> Parse:
    def parse(
        step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
    ) -> dict[str, str]:
        return {step: check_text(text, limit)}

    return parse


# -- the steps ---------------------------------------------------------------------------------


def _always(row: dict[str, str]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a typed step's question (besides ✖️ Cancel)."""

    label: Callable[[], str]
    value: str
    press: Press
    shown: Callable[[dict[str, str]], bool] = _always


SKIP = Button(lambda: _("⏭ Skip"), "skip", _skip)


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the form. A step with `choices` is answered with its own keyboard
    (`presses`: value → what it does, "*" for any other value); any other step is typed
    (`parse`), with `buttons` for the answers a button gives."""

    name: str
    label: Callable[[], str]  # in the edit menu
    prompt: Callable[[dict[str, str]], str]  # the question, given the draft so far
    parse: Parse = _use_buttons
    choices: Callable[[dict[str, str], list[Programme]], InlineKeyboardMarkup] | None = None
    presses: Mapping[str, Press] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    columns: tuple[str, ...] = ()  # the draft's columns it sets; () is its own name

    def __post_init__(self) -> None:
        if not self.columns:
            object.__setattr__(self, "columns", (self.name,))

    def press_for(self, value: str) -> Press | None:
        table = self.presses if self.choices else {b.value: b.press for b in self.buttons}
        return table.get(value) or table.get("*")


def _zone(row: dict[str, str]) -> str:
    return row_zone(row) or "Asia/Tashkent"


def _text_steps(lang: str) -> tuple[Step, Step]:
    def label() -> str:
        return _("Text %(lang)s") % {"lang": kb.LANG_SHORT[lang]}

    title = Step(
        f"title_{lang}",
        label,
        lambda row: (
            _("Title in %(language)s (up to %(limit)s characters).")
            % {"language": LANGUAGE_NAMES[lang], "limit": TITLE_MAX}
        ),
        parse=_text_up_to(TITLE_MAX),
        buttons=(Button(lambda: _("⏭ Skip this language"), "skiplang", _skip_language),),
    )
    summary = Step(
        f"summary_{lang}",
        label,
        lambda row: (
            _("Summary in %(language)s: two or three sentences (up to %(limit)s characters).")
            % {"language": LANGUAGE_NAMES[lang], "limit": SUMMARY_MAX}
        ),
        parse=_text_up_to(SUMMARY_MAX),
    )
    return title, summary


# A new call is asked in this order; an edit asks one step (a title, then its summary).
STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "programme",
            lambda: _("Programme"),
            lambda row: _("Which programme is the call from?"),
            choices=lambda row, programmes: kb.wizard_programmes(programmes),
            presses={"*": _choose_programme},
        ),
        Step(
            "levels",
            lambda: _("Levels"),
            lambda row: _("Which study levels can apply? Choose one or more, then press Done."),
            choices=lambda row, programmes: kb.wizard_levels(set(row.get("levels", "").split())),
            presses={"*": _toggle_level, "done": _at_least_one},
        ),
        Step(
            "fields",
            lambda: _("Fields"),
            lambda row: _("Which fields of study? Choose one or more, then press Done."),
            choices=lambda row, programmes: kb.wizard_fields(_chosen_fields(row)),
            presses={"*": _toggle_field, "done": _at_least_one},
        ),
        Step(
            "funding",
            lambda: _("Funding"),
            lambda row: _("What does the call pay for?"),
            choices=lambda row, programmes: kb.wizard_funding(),
            presses={"*": _choose_funding},
        ),
        Step(
            "countries",
            lambda: _("Countries"),
            lambda row: _(
                "Host countries: two-letter codes separated by spaces, e.g. <code>DE FR IT</code> "
                "(EU for the whole European Union)."
            ),
            parse=_countries,
            buttons=(SKIP,),
        ),
        Step(
            "language_requirement",
            lambda: _("Language requirement"),
            lambda row: _("Language requirement, e.g. <code>%(language_example)s</code>.") % TERMS,
            parse=_short_text,
            buttons=(SKIP,),
        ),
        Step(
            "ages",
            lambda: _("Age limits"),
            lambda row: _(
                "Age limits: <code>18-35</code>, <code>-35</code> (only a maximum) "
                "or <code>18-</code> (only a minimum)."
            ),
            parse=_ages,
            buttons=(SKIP,),
            columns=("min_age", "max_age"),
        ),
        Step(
            "min_work_years",
            lambda: _("Work experience"),
            lambda row: _("Minimum years of work experience (a number)."),
            parse=_years,
            buttons=(SKIP,),
        ),
        Step(
            "english",
            lambda: _("English scores"),
            lambda row: _(
                "Minimum English scores, any one of which is enough, e.g. "
                "<code>IELTS 6.5, TOEFL 80, Duolingo 120</code>."
            ),
            parse=_english,
            buttons=(SKIP,),
            columns=tuple(f"min_{test.value}" for test in EnglishTest),
        ),
        Step(
            "min_german",
            lambda: _("German level"),
            lambda row: _("Minimum German level: A1, A2, B1, B2, C1 or C2."),
            parse=_german,
            buttons=(SKIP,),
        ),
        Step(
            "uz_citizens_only",
            lambda: _("Citizens of Uzbekistan only"),
            lambda row: _("May only citizens of Uzbekistan apply? Answer yes or no."),
            parse=_citizens,
            buttons=(SKIP,),
        ),
        Step(
            "opens_at",
            lambda: _("Opening date"),
            lambda row: (
                _(
                    "When do applications open? <code>%(day)s</code>, as the organiser states it "
                    "(%(zone)s)."
                )
                % {**TERMS, "zone": _zone(row)}
            ),
            parse=_moment,
            buttons=(SKIP,),
        ),
        Step(
            "deadline_at",
            lambda: _("Deadline"),
            lambda row: (
                _(
                    "Deadline as the organiser states it, in %(zone)s time: <code>%(day)s</code> "
                    "(means 23:59 that day) or <code>%(moment)s</code>. Another zone: add its name "
                    "after the date, e.g. <code>%(example_moment)s %(other_zone)s</code>. "
                    "Press «Rolling» if each university sets it."
                )
                % {**TERMS, "zone": _zone(row), "other_zone": "Europe/Paris"}
            ),
            parse=_moment,
            buttons=(Button(lambda: _("♾ Rolling"), "rolling", _rolling),),
        ),
        Step(
            "official_url",
            lambda: _("Official page"),
            lambda row: _("Link to the official page of the call (https://…)."),
            parse=_url,
        ),
        Step(
            "source_url",
            lambda: _("Source"),
            lambda row: _("Where did you check the facts? A link (https://…)."),
            parse=_url,
            buttons=(
                Button(
                    lambda: _("Same as the official page"),
                    "same",
                    _same_as_official,
                    shown=lambda row: bool(row.get("official_url")),
                ),
            ),
        ),
        *(step for lang in LANGS for step in _text_steps(lang)),
    )
}
NEW_STEPS = tuple(STEPS)
TEXT_STEPS = tuple(name for name in NEW_STEPS if name.startswith(("title_", "summary_")))


@dataclass(frozen=True, slots=True)
class Switch:
    """A yes/no of a saved call: pressed once in the edit menu, saved at once."""

    label: Callable[[], str]
    apply: Callable[[Call, date], Call]  # (the call, today) → the call switched


SWITCHES: dict[str, Switch] = {
    "dates_typical": Switch(
        lambda: _("Dates unconfirmed ⇄"),
        lambda call, today: replace(call, dates_typical=not call.dates_typical),
    ),
    "yearly": Switch(
        lambda: _("Yearly ⇄"), lambda call, today: replace(call, yearly=not call.yearly)
    ),
    "verified_on": Switch(
        lambda: _("✅ Verified today"), lambda call, today: replace(call, verified_on=today)
    ),
}
# Steps an admin can pick to edit a saved call; "title_<lang>" edits title and summary.
EDITABLE_STEPS = (
    *(name for name in NEW_STEPS if name not in TEXT_STEPS),
    *(f"title_{lang}" for lang in LANGS),
    *SWITCHES,
)


def step_label(step: str) -> str:
    return SWITCHES[step].label() if step in SWITCHES else STEPS[step].label()


def prompt(step: str, row: dict[str, str]) -> str:
    return STEPS[step].prompt(row)


def current_value(step: str, row: dict[str, str]) -> str:
    """What a typed step holds now ("" for a step answered with buttons)."""
    if STEPS[step].choices:
        return ""
    if step == "ages":
        low, high = row.get("min_age", ""), row.get("max_age", "")
        return f"{low}-{high}" if low or high else ""
    if step == "english":
        return format_english_minimums(row)
    return row.get(step, "")


def keyboard(step: str, row: dict[str, str], programmes: list[Programme]) -> InlineKeyboardMarkup:
    form = STEPS[step]
    if form.choices:
        return form.choices(row, programmes)
    extra = [(button.label(), button.value) for button in form.buttons if button.shown(row)]
    return kb.wizard_text_step(step, extra)


def apply_text(
    step: str, text: str, row: dict[str, str], tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    """Validate a typed answer for `step`; returns the columns it sets. Raises FieldError."""
    return STEPS[step].parse(step, text, row, tz, now)


def press(data: dict[str, Any], step: str, value: str, codes: set[str]) -> After:
    """Apply the button `value` of `step` (as the button says) to the draft in `data`."""
    if step != data["step"]:
        return After.EXPIRED
    action = STEPS[step].press_for(value)
    return After.EXPIRED if action is None else action(data, value, codes)


def row_zone(row: dict[str, str]) -> str | None:
    """The organiser's zone of a draft row: its own, else its programme's."""
    if row.get("deadline_tz"):
        return row["deadline_tz"]
    return programme_zone(row["programme"]) if row.get("programme") else None


def warning(error: FieldError | RowError) -> str:
    """A rule the draft breaks, as the line shown above the step's question."""
    return "⚠️ " + escape(error_text(error.code, error.params))
