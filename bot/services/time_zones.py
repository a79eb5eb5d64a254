"""A student's own time zone and quiet hours: chosen from the short list, or found from a
location they shared. Every change replans their pending reminders at once."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.db.users import UsersRepo
from bot.domain.profile import UserProfile
from bot.domain.reminders import QuietHours
from bot.domain.zones import QUIET_CHOICES, ZONE_CHOICES, listed_equivalent, nearest_zone
from bot.services.notifications import Notifications


class TimeZones:
    def __init__(
        self, users: UsersRepo, notifications: Notifications, settings: Settings, clock: Clock
    ) -> None:
        self.users = users
        self.notifications = notifications
        self.settings = settings
        self.clock = clock

    def clock_of(self, profile: UserProfile) -> tuple[ZoneInfo, QuietHours]:
        """The student's zone and quiet hours: their own, else the bot's."""
        return profile.zone(self.settings.tz), profile.quiet_hours(self.settings.quiet)

    def quiet_choices(self) -> tuple[QuietHours, ...]:
        """The spans offered: the bot's own first when the list does not have it."""
        default = self.settings.quiet
        return QUIET_CHOICES if default in QUIET_CHOICES else (default, *QUIET_CHOICES)

    async def choose_zone(self, user_id: int, index: int) -> UserProfile | None:
        """The list's zone number `index`; None for a number the list does not have."""
        if not 0 <= index < len(ZONE_CHOICES):
            return None
        return await self._set_zone(user_id, ZONE_CHOICES[index].key)

    async def choose_quiet(self, user_id: int, index: int) -> UserProfile | None:
        choices = self.quiet_choices()
        if not 0 <= index < len(choices):
            return None
        quiet = choices[index]
        # The bot's own span is stored as "none chosen": it follows the setting.
        stored = None if quiet == self.settings.quiet else quiet
        profile = await self.users.set_quiet_hours(user_id, stored)
        await self.notifications.replan_user(user_id)
        return profile

    async def locate(self, user_id: int, latitude: float, longitude: float) -> UserProfile:
        """The zone nearest to the point, as the list's zone with the same clock when there
        is one. The point itself is not stored."""
        year = self.clock.now().year
        # A few hundred distances and a year of offsets: cheap, but kept off the event loop.
        key = await asyncio.to_thread(
            lambda: listed_equivalent(nearest_zone(latitude, longitude), year)
        )
        return await self._set_zone(user_id, key)

    async def _set_zone(self, user_id: int, key: str) -> UserProfile:
        # The bot's own zone is stored as "none chosen": it follows TIMEZONE.
        profile = await self.users.set_time_zone(
            user_id, None if key == self.settings.timezone else key
        )
        await self.notifications.replan_user(user_id)
        return profile
