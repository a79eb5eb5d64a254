"""Texts of the admin desk: validation errors, the call's history, the import report."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.catalog_rows import RowError
from bot.domain.history import HistoryEntry
from bot.i18n import _, _n
from bot.services.catalog_files import FileProblem, ImportPlan
from bot.texts.formatting import escape, fmt_datetime, fmt_number, shorten

REPORT_LINES_INLINE = 60
# Formats, names and keywords that stay the same in every language: placeholders, not text.
TERMS = {
    "day": "YYYY-MM-DD",
    "moment": "YYYY-MM-DD HH:MM",
    "example_day": "2027-01-15",
    "example_moment": "2027-01-15 18:00",
    "scheme": "https://",
    "isced": "ISCED",
    "all": "all",
    "yes": "yes",
    "no": "no",
    "zone_example": "Europe/Berlin",
    "key": "external_id",
    "csv": "CSV",
    "xlsx": "XLSX",
    "utf8": "UTF-8",
    "excel": "Excel",
    "csv_utf8": "CSV UTF-8",
    "setting": "ADMIN_IDS",
    "language_example": "English B2 (IELTS 6.5)",
}


def error_text(code: str, params: dict[str, str]) -> str:
    texts = {
        "required": _("This value is required."),
        "bad_date": _(
            "«%(value)s» is not a date. Write it as %(day)s or %(moment)s, "
            "for example %(example_day)s or %(example_moment)s."
        ),
        "past_deadline": _("This deadline is already in the past. Give a future date."),
        "deadline_passed": _("The deadline has already passed: students will not see this call."),
        "opens_after_deadline": _("The opening date must be before the deadline."),
        "not_https": _("The link must start with %(scheme)s («%(value)s»)."),
        "bad_url": _("«%(value)s» is not a web address."),
        "bad_number": _("Give a whole number from %(low)s to %(high)s («%(value)s»)."),
        "age_order": _("The minimum age is greater than the maximum age."),
        "bad_score": _("«%(value)s» is not a possible %(test)s score."),
        "bad_english": _(
            "«%(value)s»: write each test and its score, e.g. IELTS 6.5, TOEFL 80, Duolingo 120."
        ),
        "bad_cefr": _("«%(value)s» is not a language level. Allowed: %(allowed)s."),
        "unknown_level": _("Unknown level «%(value)s». Allowed: %(allowed)s."),
        "unknown_field": _(
            "Unknown field «%(value)s». Use %(isced)s codes 00–10 separated by spaces, "
            "or «%(all)s»."
        ),
        "unknown_funding": _("Unknown funding «%(value)s». Allowed: %(allowed)s."),
        "unknown_status": _("Unknown status «%(value)s». Allowed: %(allowed)s."),
        "unknown_programme": _("Unknown programme «%(value)s». Allowed: %(allowed)s."),
        "unknown_country": _(
            "Unknown country code «%(value)s». Use two-letter codes like DE FR, or EU."
        ),
        "bad_bool": _("Write %(yes)s or %(no)s («%(value)s»)."),
        "bad_zone": _("Unknown time zone «%(value)s». Example: %(zone_example)s."),
        "zone_required": _(
            "A call with a deadline needs the organiser's time zone (deadline_tz), "
            "e.g. %(zone_example)s."
        ),
        "bad_external_id": _(
            "«%(value)s» cannot be an id: use Latin letters, digits, dot, dash or underscore."
        ),
        "too_long": _("Too long: at most %(limit)s characters."),
        "no_texts": _("A call needs a title and a summary in at least one language."),
        "use_buttons": _("Please choose with the buttons."),
        "duplicate": _("The same %(key)s is already used in row %(line)s."),
    }
    text = texts.get(code, code)
    try:
        return text % {**TERMS, **params}
    except (KeyError, ValueError):
        return text


def file_problem_text(problem: FileProblem) -> str:
    texts = {
        "empty": _("The file is empty."),
        "too_big": _("The file is too big: at most %(limit_mb)s MB."),
        "too_many_rows": _("Too many rows: at most %(limit)s calls per file."),
        "not_table": _(
            "I cannot read this file as a table. Send a %(csv)s file (%(utf8)s, comma or "
            "semicolon separated) or an %(xlsx)s file."
        ),
        "encoding": _(
            "The file is not in %(utf8)s. In %(excel)s use «Save as → %(csv_utf8)s», "
            "or send %(xlsx)s."
        ),
        "unpacks_too_big": _(
            "This %(xlsx)s file unpacks to more than %(limit_mb)s MB, or is packed far tighter "
            "than a spreadsheet can be, so I do not open it. Save it again from %(excel)s, or "
            "send it as %(csv_utf8)s."
        ),
        "unsafe_xml": _(
            "This %(xlsx)s file declares XML entities, which no spreadsheet needs, so I do not "
            "open it. Save it again from %(excel)s, or send it as %(csv_utf8)s."
        ),
        "no_header": _("The first row must name the columns (%(columns)s…). Ask for the template."),
        "missing_columns": _("Required columns are missing: %(columns)s."),
    }
    text = texts.get(problem.code, problem.code)
    return text % {**TERMS, **problem.params}


def plan_report(plan: ImportPlan) -> tuple[str, str | None]:
    """(report for the chat, full report for a text file when the chat one is cut short)."""
    head = [
        _("📥 <b>%(file)s</b> checked. Nothing is written yet.") % {"file": escape(plan.filename)},
        "",
        _("New calls: %(count)s") % {"count": plan.created},
        _("Updated (by %(key)s): %(count)s") % {"count": plan.updated, "key": TERMS["key"]},
        _("Unchanged: %(count)s") % {"count": plan.unchanged},
        _("Rejected rows: %(count)s") % {"count": plan.rejected},
    ]
    if plan.unknown_columns:
        head.append(
            _("Ignored unknown columns: %(columns)s")
            % {"columns": escape(", ".join(plan.unknown_columns))}
        )
    lines: list[str] = []
    if plan.errors:
        lines.append("")
        lines.append(_("<b>Errors</b> (these rows will be skipped):"))
        for number, error in plan.errors:
            lines.append(_row_line(number, error))
    if plan.warnings:
        lines.append("")
        lines.append(_("<b>Warnings</b>:"))
        for number, error in plan.warnings:
            lines.append(_row_line(number, error))
    tail = [
        "",
        _n(
            "Press the button to write %(count)s call, or cancel.",
            "Press the button to write %(count)s calls in one go, or cancel.",
            plan.to_write,
        )
        % {"count": plan.to_write}
        if plan.to_write
        else _("There is nothing to write."),
    ]
    full = None
    if len(lines) > REPORT_LINES_INLINE:
        full = "\n".join(head + lines)
        shown = lines[:REPORT_LINES_INLINE]
        more = len(lines) - REPORT_LINES_INLINE
        shown.append(
            _n(
                "…and %(count)s more line: see the attached report.",
                "…and %(count)s more lines: see the attached report.",
                more,
            )
            % {"count": more}
        )
        lines = shown
    return "\n".join(head + lines + tail), full


def _row_line(number: int, error: RowError) -> str:
    return _("Row %(row)s, %(column)s: %(reason)s") % {
        "row": number,
        "column": f"<code>{escape(error.column)}</code>",
        "reason": escape(error_text(error.code, error.params)),
    }


def action_label(action: str) -> str:
    labels = {
        "created": _("created"),
        "edited": _("edited"),
        "published": _("published"),
        "closed": _("closed"),
        "reopened": _("reopened"),
        "imported": _("imported"),
        "next_round": _("next round drafted"),
        "verified": _("verified as still correct"),
    }
    return labels.get(action, action)


def history_text(call_id: int, entries: list[HistoryEntry], locale: str, tz: ZoneInfo) -> str:
    lines = [_("📜 <b>History of call #%(id)s</b>") % {"id": call_id}]
    if not entries:
        lines.append(_("No changes recorded yet."))
    for entry in entries:
        if entry.author == "system":
            who = _("the bot (deadline passed)")
        elif entry.actor_id is not None:
            who = escape(entry.actor_name or str(entry.actor_id))
        else:
            who = _("command line")
        lines.append("")
        lines.append(
            f"<b>{fmt_datetime(entry.at, locale, tz)}</b> · {who} · {action_label(entry.action)}"
        )
        for column, (before, after) in entry.changes.items():
            lines.append(
                f"  <code>{escape(column)}</code>: {escape(shorten(before, 40)) or '∅'}"
                f" → {escape(shorten(after, 40)) or '∅'}"
            )
    return "\n".join(lines)


def admin_menu_text(counts: dict[str, int], locale: str) -> str:
    return "\n".join(
        [
            _("🛠 <b>Admin desk</b>"),
            _n(
                "%(count)s call published",
                "%(count)s calls published",
                counts.get("published", 0),
            )
            % {"count": fmt_number(counts.get("published", 0), locale)},
            _n("%(count)s draft", "%(count)s drafts", counts.get("draft", 0))
            % {"count": fmt_number(counts.get("draft", 0), locale)},
            _n("%(count)s closed", "%(count)s closed", counts.get("closed", 0))
            % {"count": fmt_number(counts.get("closed", 0), locale)},
        ]
    )
