"""A call for applications as the product sees it, plus date arithmetic on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.profile import CallStatus, Field, Funding, Level

STALE_AFTER_DAYS = 180


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


def days_left(deadline: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Whole calendar days between today and the deadline's day, in the local zone."""
    return (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days
