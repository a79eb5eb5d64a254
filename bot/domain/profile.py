"""Study levels, ISCED-F 2013 broad fields, funding kinds, the student's filter and profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from bot.domain.eligibility import StudentFacts
from bot.domain.reminders import QuietHours
from bot.domain.zones import zone_or_none


class Level(StrEnum):
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORAL = "doctoral"
    POSTDOC = "postdoc"
    STAFF = "staff"
    PROFESSIONAL = "professional"

    @property
    def bit(self) -> int:
        return _LEVEL_BITS[self]


# Computed once: listing an Enum is slow, and .bit runs for every level of every call shown.
_LEVEL_BITS = {level: 1 << index for index, level in enumerate(Level)}


class Field(StrEnum):
    """ISCED-F 2013 broad fields; the value is the two-digit code."""

    GENERIC = "00"
    EDUCATION = "01"
    ARTS_HUMANITIES = "02"
    SOCIAL_SCIENCES = "03"
    BUSINESS_LAW = "04"
    NATURAL_SCIENCES = "05"
    ICT = "06"
    ENGINEERING = "07"
    AGRICULTURE = "08"
    HEALTH = "09"
    SERVICES = "10"

    @property
    def bit(self) -> int:
        return _FIELD_BITS[self]


_FIELD_BITS = {field: 1 << int(field.value) for field in Field}
ALL_FIELDS_MASK = sum(f.bit for f in Field)
ALL_LEVELS_MASK = sum(lv.bit for lv in Level)


class Funding(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    TUITION = "tuition"
    STIPEND = "stipend"


class CallStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


DEADLINE_WINDOWS = (30, 90, 180)


class Facet(StrEnum):
    """A facet of the student's filter that can be set to a value or cleared ("any").
    The fields are apart: a mask, reset to all fields rather than cleared."""

    PROGRAMME = "programme"
    FUNDING = "funding"
    COUNTRY = "country"
    WINDOW_DAYS = "window_days"
    ELIGIBLE = "eligible"  # only calls none of whose conditions a told fact fails

    @classmethod
    def named(cls, name: str) -> Facet | None:
        """The facet called `name` (as a button carries it), or None for anything else."""
        try:
            return cls(name)
        except ValueError:
            return None


def levels_to_mask(levels: set[Level] | frozenset[Level]) -> int:
    return sum(level.bit for level in levels)


@cache  # a few dozen masks in practice; every call on every list is decoded
def mask_to_levels(mask: int) -> frozenset[Level]:
    return frozenset(level for level in Level if mask & level.bit)


def fields_to_mask(fields: set[Field] | frozenset[Field]) -> int:
    return sum(field.bit for field in fields)


@cache
def mask_to_fields(mask: int) -> frozenset[Field]:
    return frozenset(field for field in Field if mask & field.bit)


def toggle_field(mask: int, field: Field | None) -> int:
    """Toggle one field; `None` stands for "all fields" and toggles the whole set."""
    if field is None:
        return 0 if mask == ALL_FIELDS_MASK else ALL_FIELDS_MASK
    return mask ^ field.bit


@dataclass(frozen=True, slots=True)
class CallFilter:
    """What a student is looking for. Empty facets mean "any"."""

    level: Level | None = None
    fields_mask: int = ALL_FIELDS_MASK
    programme: str | None = None
    funding: Funding | None = None
    country: str | None = None
    window_days: int | None = None
    eligible: bool | None = None  # True: hide the calls in `failed`
    failed: frozenset[int] = frozenset()  # ids of calls a told fact fails (set when listing)

    def relaxations(self) -> list[str]:
        """Facets that are set and could be dropped to widen an empty result."""
        names = ["programme", "funding", "country", "window_days", "eligible"]
        relaxable = [name for name in names if getattr(self, name) is not None]
        if self.fields_mask != ALL_FIELDS_MASK:
            relaxable.append("fields")
        return relaxable


@dataclass(frozen=True, slots=True)
class UserProfile:
    id: int
    first_name: str
    username: str | None
    telegram_language: str | None
    language: str | None
    level: Level | None
    fields_mask: int
    facet_programme: str | None
    facet_funding: Funding | None
    facet_country: str | None
    facet_window_days: int | None
    onboarded: bool
    is_active: bool
    created_at: datetime
    last_seen_at: datetime
    facts: StudentFacts = field(default_factory=StudentFacts)  # told for eligibility checks
    facet_eligible: bool | None = None
    time_zone: str | None = None  # an IANA name; None: the bot's zone
    quiet: QuietHours | None = None  # None: the bot's quiet hours

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        """The zone the student's times are shown and reminders planned in."""
        if self.time_zone is None:
            return default
        return zone_or_none(self.time_zone) or default

    def quiet_hours(self, default: QuietHours) -> QuietHours:
        return self.quiet or default

    def call_filter(self) -> CallFilter:
        return CallFilter(
            level=self.level,
            fields_mask=self.fields_mask or ALL_FIELDS_MASK,
            programme=self.facet_programme,
            funding=self.facet_funding,
            country=self.facet_country,
            window_days=self.facet_window_days,
            eligible=self.facet_eligible,
        )


def newcomer(
    user_id: int,
    first_name: str,
    username: str | None,
    telegram_language: str | None,
    now: datetime,
) -> UserProfile:
    """The profile a first contact gets, as `UsersRepo.touch` would store it."""
    return UserProfile(
        id=user_id,
        first_name=first_name,
        username=username,
        telegram_language=telegram_language,
        language=None,
        level=None,
        fields_mask=0,
        facet_programme=None,
        facet_funding=None,
        facet_country=None,
        facet_window_days=None,
        onboarded=False,
        is_active=True,
        created_at=now,
        last_seen_at=now,
    )
