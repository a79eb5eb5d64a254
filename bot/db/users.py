"""Users and their saved filter profile."""

from __future__ import annotations

from datetime import datetime
from sqlite3 import Row

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.eligibility import EnglishTest, StudentFacts
from bot.domain.profile import Facet, Funding, Level, UserProfile
from bot.domain.reminders import QuietHours

LAST_SEEN_GRANULARITY_S = 60


PROFILE_COLUMNS = (
    "id, first_name, username, telegram_language, language, level, fields_mask,"
    " facet_programme, facet_funding, facet_country, facet_window_days, onboarded,"
    " is_active, created_at, last_seen_at, birth_year, english_test, english_score,"
    " german_level, work_years, uz_citizen, facet_eligible, time_zone, quiet_start, quiet_end"
)


def _profile(row: Row) -> UserProfile:
    return UserProfile(
        id=row["id"],
        first_name=row["first_name"],
        username=row["username"],
        telegram_language=row["telegram_language"],
        language=row["language"],
        level=Level(row["level"]) if row["level"] else None,
        fields_mask=row["fields_mask"],
        facet_programme=row["facet_programme"],
        facet_funding=Funding(row["facet_funding"]) if row["facet_funding"] else None,
        facet_country=row["facet_country"],
        facet_window_days=row["facet_window_days"],
        onboarded=bool(row["onboarded"]),
        is_active=bool(row["is_active"]),
        created_at=from_epoch(row["created_at"]),
        last_seen_at=from_epoch(row["last_seen_at"]),
        facet_eligible=True if row["facet_eligible"] else None,
        time_zone=row["time_zone"],
        quiet=(
            None
            if row["quiet_start"] is None or row["quiet_end"] is None
            else QuietHours(row["quiet_start"], row["quiet_end"])
        ),
        facts=StudentFacts(
            birth_year=row["birth_year"],
            english_test=EnglishTest(row["english_test"]) if row["english_test"] else None,
            english_score=row["english_score"],
            german_level=row["german_level"],
            work_years=row["work_years"],
            uz_citizen=None if row["uz_citizen"] is None else bool(row["uz_citizen"]),
        ),
    )


# Where each facet of the student's filter is stored: callers name the facet, never the column.
FACET_COLUMNS = {
    Facet.PROGRAMME: "facet_programme",
    Facet.FUNDING: "facet_funding",
    Facet.COUNTRY: "facet_country",
    Facet.WINDOW_DAYS: "facet_window_days",
    Facet.ELIGIBLE: "facet_eligible",
}

# The student's eligibility facts (bot.domain.eligibility.StudentFacts), each NULL until told.
FACT_COLUMNS = (
    "birth_year",
    "english_test",
    "english_score",
    "german_level",
    "work_years",
    "uz_citizen",
)

EDITABLE = {
    *FACT_COLUMNS,
    "language",
    "level",
    "fields_mask",
    "facet_programme",
    "facet_funding",
    "facet_country",
    "facet_window_days",
    "facet_eligible",
    "onboarded",
    "is_active",
    "time_zone",
    "quiet_start",
    "quiet_end",
}


class UsersRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        telegram_language: str | None,
        now: datetime,
    ) -> UserProfile:
        """Create the user on first contact; refresh names and last-seen; reactivate."""
        seen = to_epoch(now)
        row = await self.db.quick_fetchone(
            f"SELECT {PROFILE_COLUMNS} FROM users WHERE id = ?", (user_id,)
        )
        if row is None:
            await self.db.execute(
                "INSERT INTO users (id, first_name, username, telegram_language, created_at,"
                " last_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
                (user_id, first_name, username, telegram_language, seen, seen),
            )
        else:
            profile = _profile(row)
            unchanged = (
                profile.first_name == first_name
                and profile.username == username
                and profile.telegram_language == telegram_language
                and profile.is_active
                and seen - row["last_seen_at"] < LAST_SEEN_GRANULARITY_S
            )
            if unchanged:
                return profile
            await self.db.execute(
                "UPDATE users SET first_name = ?, username = ?, telegram_language = ?,"
                " last_seen_at = ?, is_active = 1 WHERE id = ?",
                (first_name, username, telegram_language, seen, user_id),
            )
        written = await self.get(user_id)
        if written is None:  # deleted between the write and this read
            raise LookupError(user_id)
        return written

    async def get(self, user_id: int) -> UserProfile | None:
        row = await self.db.quick_fetchone(
            f"SELECT {PROFILE_COLUMNS} FROM users WHERE id = ?", (user_id,)
        )
        return None if row is None else _profile(row)

    async def update(self, user_id: int, **changes: object) -> UserProfile:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        if changes:
            values = [
                v.value if isinstance(v, Level | Funding | EnglishTest) else v
                for v in changes.values()
            ]
            assignments = ", ".join(f"{name} = ?" for name in changes)
            await self.db.execute(
                f"UPDATE users SET {assignments} WHERE id = ?", (*values, user_id)
            )
        profile = await self.get(user_id)
        if profile is None:
            raise LookupError(user_id)
        return profile

    async def set_language(self, user_id: int, language: str) -> UserProfile:
        return await self.update(user_id, language=language)

    async def set_level(self, user_id: int, level: Level) -> UserProfile:
        return await self.update(user_id, level=level)

    async def set_fields(self, user_id: int, fields_mask: int) -> UserProfile:
        return await self.update(user_id, fields_mask=fields_mask)

    async def mark_onboarded(self, user_id: int) -> UserProfile:
        return await self.update(user_id, onboarded=1)

    async def set_facet(self, user_id: int, facet: Facet, value: str | int | None) -> UserProfile:
        """Set one facet of the student's filter; None clears it (any value matches)."""
        return await self.update(user_id, **{FACET_COLUMNS[facet]: value})

    async def save_facts(self, user_id: int, facts: StudentFacts) -> UserProfile:
        """Store the student's eligibility facts (None: not told)."""
        return await self.update(
            user_id,
            birth_year=facts.birth_year,
            english_test=facts.english_test,
            english_score=facts.english_score,
            german_level=facts.german_level,
            work_years=facts.work_years,
            uz_citizen=None if facts.uz_citizen is None else int(facts.uz_citizen),
        )

    async def set_time_zone(self, user_id: int, key: str | None) -> UserProfile:
        """The student's own zone (an IANA name); None: the bot's zone again."""
        return await self.update(user_id, time_zone=key)

    async def set_quiet_hours(self, user_id: int, quiet: QuietHours | None) -> UserProfile:
        """The student's own quiet hours; None: the bot's again."""
        if quiet is None:
            return await self.update(user_id, quiet_start=None, quiet_end=None)
        return await self.update(user_id, quiet_start=quiet.start, quiet_end=quiet.end)

    async def record_arrival(self, user_id: int, call_id: int) -> bool:
        """Note that a call's shared link brought this user: only while they are new (not
        onboarded) and only the first link counts. True when it was recorded."""
        async with self.db.transaction():
            row = await self.db.fetchone(
                "UPDATE users SET came_via_call_id = ?"
                " WHERE id = ? AND came_via_call_id IS NULL AND onboarded = 0 RETURNING id",
                (call_id, user_id),
            )
        return row is not None

    async def set_active(self, user_id: int, active: bool) -> None:
        await self.db.execute("UPDATE users SET is_active = ? WHERE id = ?", (int(active), user_id))
