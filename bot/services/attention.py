"""The admins' attention list: calls whose official page changed, moved or died (raised by
the source watch), calls unverified for over 180 days, and next-round drafts waiting.

An admin opens an entry, looks at what changed and either confirms the call is still
correct (verified today, recorded in the call's history, its items resolved) or edits it.
Once a day, when the list is not empty, every admin gets one digest message (an outbox push
keyed by the local day, so a restart never sends it twice).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from aiogram.methods import SendMessage, TelegramMethod
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.history import CallHistoryRepo
from bot.db.source_watch import SourceWatchRepo
from bot.db.users import UsersRepo
from bot.domain.calls import STALE_AFTER_DAYS, Call
from bot.domain.pushes import NewPush, Push
from bot.domain.source_watch import AttentionItem
from bot.services.delivery import Composer, Delivery, Skip
from bot.services.source_watch import SourceWatch, WatchSummary

log = logging.getLogger(__name__)

ATTENTION_DIGEST = "attention_digest"


@dataclass(frozen=True, slots=True)
class AttentionEntry:
    """One call on the list with every reason it is there."""

    call: Call
    items: tuple[AttentionItem, ...] = ()
    stale: bool = False
    next_round: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        kinds = [item.kind for item in self.items]
        if self.stale:
            kinds.append("stale")
        if self.next_round:
            kinds.append("next_round")
        return tuple(kinds)


@dataclass(frozen=True, slots=True)
class AttentionList:
    entries: list[AttentionEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            for kind in entry.kinds:
                counts[kind] = counts.get(kind, 0) + 1
        return counts


class Attention:
    def __init__(
        self,
        repo: SourceWatchRepo,
        calls: CallsRepo,
        history: CallHistoryRepo,
        users: UsersRepo,
        clock: Clock,
        settings: Settings,
        i18n: I18n,
        delivery: Delivery | None = None,
        watch: SourceWatch | None = None,
    ) -> None:
        self.repo = repo
        self.calls = calls
        self.history = history
        self.users = users
        self.clock = clock
        self.settings = settings
        self.i18n = i18n
        self.delivery = delivery
        self.watch = watch

    def composers(self) -> dict[str, Composer]:
        return {ATTENTION_DIGEST: self.compose_digest}

    def today(self) -> date:
        return self.clock.now().astimezone(self.settings.tz).date()

    # -- the list ---------------------------------------------------------------------------
    async def next_round_drafts(self) -> list[int]:
        """Ids of yearly calls' next-round drafts waiting for an admin to confirm or edit their
        typical dates and publish them."""
        return [call.id for call in await self.calls.next_round_drafts()]

    async def build(self) -> AttentionList:
        items: dict[int, list[AttentionItem]] = {}
        for item in await self.repo.open_items():
            items.setdefault(item.call_id, []).append(item)
        cutoff = self.today() - timedelta(days=STALE_AFTER_DAYS)
        stale = set(await self.repo.stale_call_ids(cutoff))
        next_round = set(await self.next_round_drafts())
        entries = []
        for call_id in sorted(set(items) | stale | next_round):
            call = await self.calls.get(call_id)
            if call is None:
                continue
            entries.append(
                AttentionEntry(
                    call,
                    tuple(items.get(call_id, ())),
                    call_id in stale,
                    call_id in next_round,
                )
            )
        return AttentionList(entries)

    async def entry(self, call_id: int) -> AttentionEntry | None:
        call = await self.calls.get(call_id)
        if call is None:
            return None
        return AttentionEntry(
            call,
            tuple(await self.repo.open_items(call_id)),
            call.status.value == "published" and call.is_stale(self.today()),
            call_id in await self.next_round_drafts(),
        )

    async def confirm_still_correct(self, call: Call, actor: int, now: datetime) -> Call:
        """The admin checked the page: verified today, items resolved, history recorded."""
        today = now.astimezone(self.settings.tz).date()
        changes = (
            {"verified_on": [call.verified_on.isoformat(), today.isoformat()]}
            if call.verified_on != today
            else {}
        )
        async with self.repo.db.transaction():
            await self.repo.set_verified_on(call.id, today, now)
            await self.repo.resolve_call(call.id, actor, now)
            await self.history.record(call.id, actor, "verified", now, changes)
        return replace(call, verified_on=today)

    # -- the daily job ----------------------------------------------------------------------
    async def daily(self) -> WatchSummary | None:
        """The scheduled job: check the sources (when enabled), then plan the admins' digest."""
        summary = None
        if self.watch is not None and self.settings.source_watch_enabled:
            summary = await self.watch.run()
        await self.plan_digest()
        return summary

    async def plan_digest(self) -> int:
        """One digest push per admin for today, if the list is not empty; returns how many
        were new (0 when today's were planned already)."""
        if self.delivery is None:
            return 0
        if not (await self.build()).entries:
            return 0
        admins = await self._admins()
        slot = self.today().toordinal()
        now = self.clock.now()
        return await self.delivery.enqueue(
            NewPush(admin_id, ATTENTION_DIGEST, now, slot=slot) for admin_id in admins
        )

    async def _admins(self) -> list[int]:
        return sorted(set(self.settings.admin_ids) | set(await self.repo.admin_ids()))

    async def compose_digest(self, push: Push) -> TelegramMethod[Any]:
        from bot.keyboards.attention import digest_keyboard
        from bot.texts.attention import digest_text

        if push.user_id not in await self._admins():
            raise Skip("no longer an admin")
        profile = await self.users.get(push.user_id)
        if profile is None:
            raise Skip("the admin never started the bot")
        attention = await self.build()
        if not attention.entries:
            raise Skip("the attention list is empty")
        locale = profile.language or self.settings.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            return SendMessage(
                chat_id=push.user_id,
                text=digest_text(attention.counts(), len(attention.entries), locale),
                reply_markup=digest_keyboard(),
            )
