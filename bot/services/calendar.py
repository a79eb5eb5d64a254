"""Calendar export: a call's deadline as an RFC 5545 event that phone calendars import."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.domain.calls import Call

PRODID = "-//Imkon//Scholarship deadlines//EN"
# The event ends at the deadline; an hour-long block before it shows up in day views.
EVENT_LENGTH = timedelta(hours=1)
ALARMS = (timedelta(days=7), timedelta(days=1))


def call_ics(call: Call, title: str, description: str, now: datetime) -> bytes:
    """One VEVENT at the deadline with the official URL and alarms a week and a day before;
    `description` opens with the deadline as the organiser states it."""
    if call.deadline_at is None:
        raise ValueError("a rolling call has no deadline to put in a calendar")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"call-{call.id}-deadline@imkon")
    event.add("dtstamp", now)
    event.add("dtstart", call.deadline_at - EVENT_LENGTH)
    event.add("dtend", call.deadline_at)
    event.add("summary", f"⏳ {title}")
    event.add("description", f"{description}\n\n{call.official_url}")
    event.add("url", call.official_url)
    event.add("transp", "TRANSPARENT")
    # A date that only follows the usual cycle is a tentative event until the organiser
    # confirms it (the description says "usually …" too).
    event.add("status", "TENTATIVE" if call.dates_typical else "CONFIRMED")
    for before in ALARMS:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"⏳ {title}")
        alarm.add("trigger", -before, parameters={"RELATED": "END"})
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()


def ics_filename(call: Call) -> str:
    return f"imkon-deadline-{call.id}.ics"
