"""A call for applications as the product sees it, plus date arithmetic on it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.eligibility import Requirements, StudentFacts, judging_day, meets_all_known
from bot.domain.profile import CallStatus, Field, Funding, Level

STALE_AFTER_DAYS = 180
# The zone each programme's organiser states its dates in, when a call does not say.
PROGRAMME_ZONES = {
    "erasmus": "Europe/Brussels",
    "daad": "Europe/Berlin",
    "fulbright": "America/New_York",
    "eyuf": "Asia/Tashkent",
}
DEFAULT_ZONE = "Asia/Tashkent"


@dataclass(frozen=True, slots=True)
class CallText:
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class Programme:
    code: str
    name: str
    website: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    id: int
    external_id: str | None
    programme: Programme
    status: CallStatus
    levels: frozenset[Level]
    fields: frozenset[Field]
    funding: Funding
    official_url: str
    source_url: str
    verified_on: date
    texts: dict[str, CallText] = field(default_factory=dict)
    countries: tuple[str, ...] = ()
    language_requirement: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    min_work_years: int | None = None
    opens_at: datetime | None = None
    deadline_at: datetime | None = None
    deadline_tz: str | None = None
    dates_typical: bool = False
    yearly: bool = False
    next_round_of: int | None = None  # the call this draft is the next round of
    min_ielts: float | None = None
    min_toefl: int | None = None
    min_duolingo: int | None = None
    min_german: str | None = None  # a CEFR level
    uz_citizens_only: bool = False

    @property
    def all_fields(self) -> bool:
        return self.fields == frozenset(Field)

    @property
    def is_rolling(self) -> bool:
        return self.deadline_at is None

    def text(self, locale: str, fallback: str = "en") -> CallText:
        """The call's text in `locale`, else in the fallback, else in any language it has."""
        for lang in (locale, fallback, "en", "uz", "ru", "uz_Cyrl"):
            if lang in self.texts:
                return self.texts[lang]
        raise LookupError(f"call {self.id} has no texts")

    def is_open(self, now: datetime) -> bool:
        return self.status == CallStatus.PUBLISHED and (
            self.deadline_at is None or self.deadline_at > now
        )

    def is_stale(self, today: date) -> bool:
        return (today - self.verified_on) > timedelta(days=STALE_AFTER_DAYS)

    def organiser_zone(self, fallback: ZoneInfo) -> ZoneInfo:
        """The zone the organiser states the dates in (the local zone if none is known)."""
        return ZoneInfo(self.deadline_tz) if self.deadline_tz else fallback

    def requirements(self) -> Requirements:
        return Requirements(
            min_age=self.min_age,
            max_age=self.max_age,
            min_ielts=self.min_ielts,
            min_toefl=self.min_toefl,
            min_duolingo=self.min_duolingo,
            min_german=self.min_german,
            min_work_years=self.min_work_years,
            uz_citizens_only=self.uz_citizens_only,
        )

    def not_yet_open(self, now: datetime) -> bool:
        return self.opens_at is not None and self.opens_at > now


def programme_zone(programme_code: str) -> str:
    return PROGRAMME_ZONES.get(programme_code, DEFAULT_ZONE)


def a_year_on(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same wall-clock time a year later in `zone` (29 February becomes the 28th)."""
    local = moment.astimezone(zone)
    try:
        later = local.replace(year=local.year + 1)
    except ValueError:
        later = local.replace(year=local.year + 1, day=28)
    return later.replace(tzinfo=zone)


YEAR_IN_ID = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def next_round_draft(call: Call, fallback: ZoneInfo) -> Call:
    """The next round of a yearly call: a draft with every date a year on, marked typical
    (nobody confirmed them yet), pointing back at `call`. Facts are not re-verified."""
    zone = call.organiser_zone(fallback)
    external_id = call.external_id
    if external_id:
        bumped = YEAR_IN_ID.sub(lambda m: str(int(m.group(1)) + 1), external_id)
        external_id = bumped if bumped != external_id else f"{external_id}-next"
    return replace(
        call,
        id=0,
        external_id=external_id,
        status=CallStatus.DRAFT,
        opens_at=None if call.opens_at is None else a_year_on(call.opens_at, zone),
        deadline_at=None if call.deadline_at is None else a_year_on(call.deadline_at, zone),
        deadline_tz=call.deadline_tz or zone.key,
        dates_typical=True,
        yearly=True,
        next_round_of=call.id,
    )


def failed_by(
    calls: list[Call], facts: StudentFacts, now: datetime, tz: ZoneInfo
) -> frozenset[int]:
    """Ids of the calls a told fact fails; calls with unknown or undecided conditions stay."""
    return frozenset(
        call.id
        for call in calls
        if not meets_all_known(
            call.requirements(), facts, judging_day(call.deadline_at, call.organiser_zone(tz), now)
        )
    )


def days_left(deadline: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Whole calendar days between today and the deadline's day, in the local zone."""
    return (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days
