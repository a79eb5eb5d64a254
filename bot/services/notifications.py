"""Reminders, new-call pushes and weekly digests: planned into the outbox, composed at
sending time in the user's language, sent by the delivery service.

Entry points for other features:
  - `call_changed(call_id)` after an admin edits, closes or deletes a call (pending reminders
    move with a new deadline, or are cancelled when the call is no longer open);
  - `notify_new_call(call_id)` when an admin publishes a call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage, TelegramMethod
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.connection import Database
from bot.db.outbox import OutboxRepo
from bot.db.users import UsersRepo
from bot.domain.calls import Call
from bot.domain.profile import UserProfile
from bot.domain.pushes import NewPush, Push
from bot.domain.reminders import (
    QuietHours,
    digest_moment,
    future_reminders,
    week_slot,
    week_start,
)
from bot.domain.subscriptions import call_matches
from bot.keyboards import applications as kb
from bot.services.delivery import Composer, Defer, Delivery, DeliveryStats, Skip
from bot.texts import applications as texts

log = logging.getLogger(__name__)

REMINDER = "reminder"
NEW_CALL = "new_call"
DIGEST = "digest"
CALL_CLOSED = "call_closed"
# Finished pushes are kept this long after their last change (a reminder row must outlive
# its deadline so it can never be planned twice).
KEEP_FINISHED = timedelta(days=400)
EXPIRE_PENDING_AFTER = timedelta(days=30)
DIGEST_MAX_CALLS = 15  # keeps one digest within Telegram's 4096 characters


@dataclass(frozen=True, slots=True)
class NewCallResult:
    instant: int = 0  # pushes queued now
    digest: int = 0  # entries added to weekly digests


class Notifications:
    def __init__(
        self,
        db: Database,
        calls: CallsRepo,
        users: UsersRepo,
        applications: ApplicationsRepo,
        outbox: OutboxRepo,
        clock: Clock,
        settings: Settings,
        i18n: I18n,
        delivery: Delivery,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.i18n = i18n
        self.delivery = delivery
        self.tz = settings.tz  # the bot's zone; a student may have chosen their own
        self.quiet = settings.quiet
        self.calls = calls
        self.users = users
        self.apps = applications
        self.outbox = outbox
        self.db = db  # reminders are planned in one transaction across the repositories

    def composers(self) -> dict[str, Composer]:
        """The pushes this service plans, by kind, for the delivery service to compose."""
        return {
            REMINDER: self.compose_reminder,
            NEW_CALL: self.compose_new_call,
            DIGEST: self.compose_digest,
            CALL_CLOSED: self.compose_call_closed,
        }

    # -- saved calls and their reminders --------------------------------------------------
    async def save(self, user_id: int, call: Call) -> bool:
        saved = await self.apps.save(user_id, call.id, self.clock.now())
        await self.plan_reminders(user_id, call)
        return saved

    async def unsave(self, user_id: int, call_id: int) -> bool:
        removed = await self.apps.unsave(user_id, call_id)
        await self.outbox.cancel(
            "unsaved", self.clock.now(), user_id=user_id, call_id=call_id, kind=REMINDER
        )
        return removed

    async def set_muted(self, user_id: int, call: Call, muted: bool) -> None:
        await self.apps.set_muted(user_id, call.id, muted)
        await self.plan_reminders(user_id, call)

    async def plan_reminders(
        self, user_id: int, call: Call, clock: tuple[ZoneInfo, QuietHours] | None = None
    ) -> None:
        """Make the pending reminders of one saved call match its deadline, the prefs and
        the student's zone and quiet hours (`clock`, read here when not given)."""
        now = self.clock.now()
        saved = await self.apps.saved(user_id, call.id)
        due: dict[int, datetime] = {}
        if saved is not None and not saved.muted and call.deadline_at and call.is_open(now):
            prefs = await self.apps.prefs(user_id)
            zone, quiet = clock or await self._clock_of(user_id)
            due = future_reminders(call.deadline_at, prefs, quiet, zone, now)
        await self.outbox.plan(user_id, call.id, REMINDER, due, now)

    async def replan_user(self, user_id: int) -> None:
        """After the user changed their reminder days or hour, time zone or quiet hours."""
        clock = await self._clock_of(user_id)
        for saved in await self.apps.saved_by(user_id):
            call = await self.calls.get(saved.call_id)
            if call is not None:
                await self.plan_reminders(user_id, call, clock)

    async def call_changed(self, call_id: int) -> None:
        """An admin edited, closed or deleted a call: reminders follow its new state."""
        call = await self.calls.get(call_id)
        if call is None or not call.is_open(self.clock.now()):
            # Reminders and new-call pushes lose their point; the closing notice keeps it.
            for kind in (REMINDER, NEW_CALL):
                await self.outbox.cancel(
                    "call closed or removed", self.clock.now(), call_id=call_id, kind=kind
                )
            return
        for saved in await self.apps.savers_of(call_id):
            await self.plan_reminders(saved.user_id, call)

    async def notify_call_closed(self, call_id: int) -> int:
        """A call closed at its deadline: one notice to each student who saved it. The
        outbox key (user, call, kind) makes it once per student however often this runs."""
        now = self.clock.now()
        savers = await self.apps.savers_of(call_id)
        return await self.delivery.enqueue(
            NewPush(saved.user_id, CALL_CLOSED, now, call_id=call_id) for saved in savers
        )

    # -- subscriptions --------------------------------------------------------------------
    async def notify_new_call(self, call_id: int) -> NewCallResult:
        """A call was published: queue a push for instant subscribers whose filter it
        fits, and a digest entry for weekly ones. Safe to call twice (pushes are unique)."""
        now = self.clock.now()
        call = await self.calls.get(call_id)
        if call is None or not call.is_open(now):
            return NewCallResult()
        instant: list[NewPush] = []
        weekly: list[tuple[int, int]] = []
        for profile, prefs in await self.apps.subscriber_profiles():
            if not profile.onboarded or not call_matches(call, profile.call_filter(), now):
                continue
            if prefs.digest:
                weekly.append((profile.id, call.id))
            else:
                instant.append(NewPush(profile.id, NEW_CALL, now, call_id=call.id))
        queued = await self.delivery.enqueue(instant)
        await self.apps.add_digest_entries(weekly, now)
        log.info("new call %s: %d instant pushes, %d digest entries", call_id, queued, len(weekly))
        return NewCallResult(queued, len(weekly))

    async def plan_digests(self) -> int:
        """Turn last weeks' digest entries into one digest push per user, due on this
        week's Monday at their hour (now, if that moment is past)."""
        now = self.clock.now()
        backlog = await self.apps.digest_backlog(before=week_start(now, self.tz))
        slot = week_slot(now, self.tz)
        planned = 0
        for user_id, call_ids in backlog.items():
            prefs = await self.apps.prefs(user_id)
            zone, quiet = await self._clock_of(user_id)
            due = digest_moment(now, prefs.send_hour, quiet, zone, self.tz)
            async with self.db.transaction():
                planned += await self.delivery.enqueue(
                    [NewPush(user_id, DIGEST, due, slot=slot, payload={"calls": call_ids})]
                )
                await self.apps.drop_digest_entries(user_id, call_ids)
        return planned

    # -- the periodic work ----------------------------------------------------------------
    async def tick(self) -> DeliveryStats:
        """One dispatch: send whatever is due."""
        return await self.delivery.run_due()

    async def cleanup(self) -> int:
        """Nightly: give up on pushes overdue for weeks, forget old finished ones."""
        now = self.clock.now()
        expired = await self.outbox.expire_stale(now - EXPIRE_PENDING_AFTER, now)
        purged = await self.outbox.purge_finished(
            now - KEEP_FINISHED, now - timedelta(days=self.settings.broadcast_keep_days)
        )
        return expired + purged

    # -- composing pushes (called by the delivery service at sending time) -----------------
    async def _recipient(self, push: Push) -> UserProfile:
        profile = await self.users.get(push.user_id)
        if profile is None:
            raise Skip("unknown user")
        return profile

    async def _clock_of(self, user_id: int) -> tuple[ZoneInfo, QuietHours]:
        """The student's zone and quiet hours (their own, else the bot's)."""
        profile = await self.users.get(user_id)
        if profile is None:
            return self.tz, self.quiet
        return profile.zone(self.tz), profile.quiet_hours(self.quiet)

    def _not_in_quiet_hours(self, profile: UserProfile, deadline: datetime | None = None) -> None:
        now = self.clock.now()
        allowed = profile.quiet_hours(self.quiet).next_allowed(now, profile.zone(self.tz))
        if allowed > now:
            if deadline is not None and allowed >= deadline:
                raise Skip("the deadline passes before quiet hours end")
            raise Defer(allowed, "quiet hours")

    def _locale(self, profile: UserProfile) -> str:
        return profile.language or self.settings.default_locale

    async def compose_reminder(self, push: Push) -> TelegramMethod[Any]:
        now = self.clock.now()
        call = await self.calls.get(push.call_id)
        if call is None or not call.is_open(now) or call.deadline_at is None:
            raise Skip("call closed or deadline passed")
        saved = await self.apps.saved(push.user_id, call.id)
        if saved is None or saved.muted:
            raise Skip("no longer saved or muted")
        # After downtime several reminders of one call can be due at once: only the
        # nearest to the deadline goes out.
        newer = [
            p
            for p in await self.outbox.pending_for(push.user_id, call.id, REMINDER)
            if p.slot < push.slot and p.due_at <= now
        ]
        if newer:
            raise Skip("superseded by a later reminder")
        profile = await self._recipient(push)
        self._not_in_quiet_hours(profile, call.deadline_at)
        locale = self._locale(profile)
        checklist = await self.apps.checklist(push.user_id, call.id, call.programme.code)
        with self.i18n.context(), self.i18n.use_locale(locale):
            return SendMessage(
                chat_id=push.user_id,
                text=texts.reminder_text(call, checklist, locale, now, profile.zone(self.tz)),
                reply_markup=kb.reminder_push(call),
                disable_web_page_preview=True,
            )

    async def compose_new_call(self, push: Push) -> TelegramMethod[Any]:
        now = self.clock.now()
        call = await self.calls.get(push.call_id)
        if call is None or not call.is_open(now):
            raise Skip("call closed")
        prefs = await self.apps.prefs(push.user_id)
        if not prefs.subscribed:
            raise Skip("unsubscribed")
        profile = await self._recipient(push)
        self._not_in_quiet_hours(profile, call.deadline_at)
        locale = self._locale(profile)
        with self.i18n.context(), self.i18n.use_locale(locale):
            return SendMessage(
                chat_id=push.user_id,
                text=texts.new_call_text(call, locale, now, profile.zone(self.tz)),
                reply_markup=kb.new_call_push(call),
                disable_web_page_preview=True,
            )

    async def compose_call_closed(self, push: Push) -> TelegramMethod[Any]:
        call = await self.calls.get(push.call_id)
        if call is None:
            raise Skip("call removed")
        saved = await self.apps.saved(push.user_id, call.id)
        if saved is None or saved.muted:  # "Stop these reminders" stops this notice too
            raise Skip("no longer saved or muted")
        profile = await self._recipient(push)
        self._not_in_quiet_hours(profile)
        locale = self._locale(profile)
        next_round = await self.calls.next_round_of(call.id) if call.yearly else None
        with self.i18n.context(), self.i18n.use_locale(locale):
            return SendMessage(
                chat_id=push.user_id,
                text=texts.closed_notice_text(call, next_round, locale, profile.zone(self.tz)),
                disable_web_page_preview=True,
            )

    async def compose_digest(self, push: Push) -> TelegramMethod[Any]:
        now = self.clock.now()
        prefs = await self.apps.prefs(push.user_id)
        if not prefs.subscribed:
            raise Skip("unsubscribed")
        calls = [
            call
            for call_id in push.payload.get("calls", [])
            if (call := await self.calls.get(call_id)) is not None and call.is_open(now)
        ]
        if not calls:
            raise Skip("no open calls left in the digest")
        calls = calls[:DIGEST_MAX_CALLS]
        profile = await self._recipient(push)
        self._not_in_quiet_hours(profile)
        locale = self._locale(profile)
        with self.i18n.context(), self.i18n.use_locale(locale):
            return SendMessage(
                chat_id=push.user_id,
                text=texts.digest_text(calls, locale, now, profile.zone(self.tz)),
                reply_markup=kb.digest_push(calls, locale),
                disable_web_page_preview=True,
            )
