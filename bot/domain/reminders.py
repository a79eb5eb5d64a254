"""When reminders and pushes may go out: deadline offsets, the user's hour, quiet hours.

All arithmetic is in the student's zone (Tashkent unless they chose their own) so that
"10:00" means ten in the morning there whatever the UTC offset; results are aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_REMINDER_DAYS = (30, 7, 1, 0)
REMINDER_DAY_CHOICES = (30, 14, 7, 3, 1, 0)
SEND_HOUR_CHOICES = (8, 9, 10, 12, 14, 16, 18, 20)
# A reminder must leave the student some time: never later than this before the deadline.
MIN_LEAD = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours in which nothing is sent, e.g. 22 → 8 (the span may cross midnight)."""

    start: int = 22
    end: int = 8

    def contains(self, local: datetime) -> bool:
        if self.start == self.end:
            return False
        hour = local.hour
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def next_allowed(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """`moment` itself if it is outside quiet hours, else the morning they end."""
        local = moment.astimezone(tz)
        if not self.contains(local):
            return moment
        day = local.date()
        if self.start > self.end and local.hour >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, time(self.end), tz)


@dataclass(frozen=True, slots=True)
class NotifyPrefs:
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS
    send_hour: int = 10
    subscribed: bool = False
    digest: bool = False


def parse_days(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))


def format_days(days: tuple[int, ...] | set[int]) -> str:
    return ",".join(str(d) for d in sorted(set(days), reverse=True))


def reminder_moments(
    deadline: datetime,
    days: tuple[int, ...],
    send_hour: int,
    quiet: QuietHours,
    tz: ZoneInfo,
) -> dict[int, datetime]:
    """Offset (days before the deadline's local day) → the moment its reminder goes out.

    Each reminder goes at `send_hour` on its day, moved out of quiet hours to the morning;
    one that would land less than MIN_LEAD before the deadline (a deadline at 03:59, say)
    moves back a day. Two offsets that meet at one moment keep the nearer one only.
    """
    deadline_day = deadline.astimezone(tz).date()
    moments: dict[datetime, int] = {}
    for offset in sorted(set(days)):
        moment = _at_hour(deadline_day - timedelta(days=offset), send_hour, quiet, tz)
        while moment > deadline - MIN_LEAD:
            moment = _at_hour(
                moment.astimezone(tz).date() - timedelta(days=1), send_hour, quiet, tz
            )
        moments.setdefault(moment, offset)
    return {offset: moment for moment, offset in moments.items()}


def _at_hour(day: date, hour: int, quiet: QuietHours, tz: ZoneInfo) -> datetime:
    return quiet.next_allowed(datetime.combine(day, time(hour), tz), tz)


def future_reminders(
    deadline: datetime,
    prefs: NotifyPrefs,
    quiet: QuietHours,
    tz: ZoneInfo,
    now: datetime,
) -> dict[int, datetime]:
    """The reminders still ahead of `now` for a deadline that has not passed."""
    if deadline <= now:
        return {}
    moments = reminder_moments(deadline, prefs.reminder_days, prefs.send_hour, quiet, tz)
    return {offset: moment for offset, moment in moments.items() if moment > now}


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 (local) of the week `now` falls in."""
    local = now.astimezone(tz).date()
    return datetime.combine(local - timedelta(days=local.weekday()), time(0), tz)


def week_slot(now: datetime, tz: ZoneInfo) -> int:
    """ISO year and week as one number (202648) to key one digest per week."""
    year, week, _ = now.astimezone(tz).isocalendar()
    return year * 100 + week


def digest_moment(
    now: datetime,
    send_hour: int,
    quiet: QuietHours,
    tz: ZoneInfo,
    week_tz: ZoneInfo | None = None,
) -> datetime:
    """This week's Monday at the user's hour in their zone `tz` (out of quiet hours); may
    lie in the past. The week is the one `now` falls in as `week_tz` (the bot's zone)
    counts it, so a student in New York gets Monday's digest on their Monday, not on
    the Sunday afternoon when Tashkent's week begins."""
    begins = week_start(now, week_tz or tz)
    local = begins.astimezone(tz).date()
    monday = local + timedelta(days=-local.weekday() % 7)
    moment = _at_hour(monday, send_hour, quiet, tz)
    if moment < begins:  # far east: the user's hour passed before the week began here
        moment = quiet.next_allowed(begins, tz)
    return moment
