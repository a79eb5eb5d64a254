"""Texts of My applications: the saved list, checklists, reminders, pushes, settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.calls import Call, days_left
from bot.domain.checklist import Checklist
from bot.domain.reminders import NotifyPrefs, QuietHours
from bot.i18n import _, __, _n
from bot.texts.catalog import deadline_line, list_dates_line, stated_deadline
from bot.texts.formatting import escape, fmt_date, zone_city
from bot.texts.programmes import programme_name

DOCUMENT_LABELS = {
    "application_form": __("Application form"),
    "cv": __("CV"),
    "diploma": __("Diploma"),
    "transcript": __("Transcript of records"),
    "language_certificate": __("Language certificate"),
    "motivation_letter": __("Motivation letter"),
    "reference_letters": __("Reference letters"),
    "recommendation_from_university": __("Recommendation from your university"),
    "research_proposal": __("Research proposal"),
    "work_certificate": __("Proof of work experience"),
    "guarantor_letters": __("Guarantor letters"),
    "passport": __("Passport"),
}


def document_label(key: str) -> str:
    label = DOCUMENT_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def progress(checklist: Checklist) -> str:
    return f"{checklist.done}/{checklist.total}"


def reminder_day_label(days: int) -> str:
    if days == 0:
        return _("on the day")
    return _n("%(days)s day before", "%(days)s days before", days) % {"days": days}


def my_list_text(
    entries: list[tuple[Call, Checklist, bool]], locale: str, now: datetime, tz: ZoneInfo
) -> str:
    if not entries:
        return "\n".join(
            [
                _("📌 <b>My applications</b>"),
                "",
                _("You have not saved any calls yet. Open a call and press ⭐ Save."),
            ]
        )
    lines = [_("📌 <b>My applications</b>"), _("Nearest deadline first.")]
    for number, (call, checklist, muted) in enumerate(entries, start=1):
        lines.append("")
        lines.append(
            f"{number}. <b>{escape(programme_name(call.programme))}</b> · {escape(call.text(locale).title)}"
        )
        if call.is_open(now):
            status = deadline_line(call, locale, now, tz)
        elif call.deadline_at is not None and call.deadline_at <= now:
            status = _("deadline passed")
        else:
            status = _("closed")
        extra = " · 🔕" if muted else ""
        lines.append(f"    ⏳ {status} · 📋 {progress(checklist)}{extra}")
    return "\n".join(lines)


def checklist_text(call: Call, checklist: Checklist, locale: str) -> str:
    lines = [
        _("📋 <b>Documents for %(title)s</b>") % {"title": escape(call.text(locale).title)},
        _("Ready: %(progress)s. Tap a document to tick it off.")
        % {"progress": progress(checklist)},
    ]
    if checklist.total and not checklist.missing:
        lines.append(_("✅ Everything is ready. Good luck!"))
    return "\n".join(lines)


def missing_line(checklist: Checklist) -> str:
    if not checklist.missing:
        return _("✅ All documents are ticked off.")
    return _("Still to prepare: %(documents)s") % {
        "documents": ", ".join(document_label(key) for key in checklist.missing)
    }


def reminder_text(
    call: Call, checklist: Checklist, locale: str, now: datetime, tz: ZoneInfo
) -> str:
    deadline = call.deadline_at
    if deadline is None:
        raise ValueError(f"call {call.id} has no deadline to remind of")
    left = days_left(deadline, now, tz)
    if left <= 0:
        heading = _("⏰ <b>Deadline today</b>")
    elif left == 1:
        heading = _("⏰ <b>Deadline tomorrow</b>")
    else:
        heading = _n(
            "⏰ <b>%(days)s day to the deadline</b>",
            "⏰ <b>%(days)s days to the deadline</b>",
            left,
        ) % {"days": left}
    return "\n".join(
        [
            heading,
            f"🎓 <b>{escape(call.text(locale).title)}</b> · {escape(programme_name(call.programme))}",
            _("Deadline: %(deadline)s") % {"deadline": stated_deadline(call, locale, tz)},
            "",
            _("📋 Documents: %(progress)s") % {"progress": progress(checklist)},
            missing_line(checklist),
        ]
    )


def new_call_text(call: Call, locale: str, now: datetime, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            _("🆕 <b>A new call matches your filter</b>"),
            "",
            f"🎓 <b>{escape(call.text(locale).title)}</b>",
            escape(programme_name(call.programme)),
            list_dates_line(call, locale, now, tz),
        ]
    )


def digest_text(calls: list[Call], locale: str, now: datetime, tz: ZoneInfo) -> str:
    lines = [_("📬 <b>New calls for you this week</b>")]
    for number, call in enumerate(calls, start=1):
        lines.append("")
        lines.append(
            f"{number}. <b>{escape(programme_name(call.programme))}</b> · {escape(call.text(locale).title)}"
        )
        lines.append(f"    {list_dates_line(call, locale, now, tz)}")
    return "\n".join(lines)


def closed_notice_text(call: Call, next_deadline: Call | None, locale: str, tz: ZoneInfo) -> str:
    """Told once to a student who saved a call, when its deadline closes it."""
    lines = [
        _("🔒 <b>Closed:</b> %(title)s · %(programme)s")
        % {
            "title": escape(call.text(locale).title),
            "programme": escape(programme_name(call.programme)),
        },
        _("Its deadline has passed. Pending reminders for it are cancelled."),
    ]
    if next_deadline is not None and next_deadline.deadline_at is not None:
        zone = next_deadline.organiser_zone(tz)
        lines.append(
            _("The next round is expected around %(date)s: this call runs every year.")
            % {"date": fmt_date(next_deadline.deadline_at, locale, zone)}
        )
    elif call.yearly:
        lines.append(_("It runs every year: watch for the next round."))
    return "\n".join(lines)


def notify_settings_text(prefs: NotifyPrefs, quiet: QuietHours, zone: ZoneInfo, locale: str) -> str:
    if prefs.reminder_days:
        days = ", ".join(reminder_day_label(d) for d in prefs.reminder_days)
    else:
        days = _("off")
    if not prefs.subscribed:
        subscription = _("off")
    elif prefs.digest:
        subscription = _("weekly digest on Monday")
    else:
        subscription = _("instantly")
    return "\n".join(
        [
            _("🔔 <b>Reminders and new calls</b>"),
            "",
            _("Deadline reminders for saved calls: %(days)s") % {"days": days},
            sending_hours_line(prefs.send_hour, quiet, zone, locale),
            _("New calls matching your filter: %(mode)s") % {"mode": subscription},
        ]
    )


def quiet_label(quiet: QuietHours) -> str:
    if quiet.start == quiet.end:
        return _("no quiet hours")
    return f"{quiet.start:02d}:00–{quiet.end:02d}:00"


def sending_hours_line(send_hour: int, quiet: QuietHours, zone: ZoneInfo, locale: str) -> str:
    """ "Sent at 10:00 (Berlin time), never between 22:00 and 08:00." """
    values = {"hour": f"{send_hour:02d}:00", "city": zone_city(zone, locale)}
    if quiet.start == quiet.end:
        return _("Sent at %(hour)s (%(city)s time); no quiet hours.") % values
    return _("Sent at %(hour)s (%(city)s time), never between %(start)s and %(end)s.") % {
        **values,
        "start": f"{quiet.start:02d}:00",
        "end": f"{quiet.end:02d}:00",
    }
