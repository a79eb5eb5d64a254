"""Every change admins make to the catalogue goes through here: it is saved, recorded in the
call's history (who, when, what) and announced to the services that react to it.

The announcements are two hooks handed in by the composition root (bot/app.py), which wires
the new-call pushes and the reminders' rescheduling to them. A hook that fails is logged and
never undoes the change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.history import CallHistoryRepo
from bot.domain.calls import Call, next_round_draft
from bot.domain.catalog_rows import call_from_row, row_changes, row_from_call
from bot.domain.profile import CallStatus

log = logging.getLogger(__name__)

SYSTEM = "system"  # call_history.author of changes the bot makes on its own

CallPublished = Callable[[Call], Awaitable[None]]
"""Called once when a call first becomes visible to students (a draft published, or a new
call created or imported as published): the moment for new-call pushes."""
CallChanged = Callable[[Call, Call], Awaitable[None]]
"""Called with (before, after) when a call students could see, or can see again, changes:
deadline moved, closed, reopened, texts edited. Reminders reschedule from it."""


async def no_call_published(call: Call) -> None:
    return None


async def no_call_changed(before: Call, after: Call) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


class CatalogueDesk:
    def __init__(
        self,
        calls: CallsRepo,
        history: CallHistoryRepo,
        tz: ZoneInfo,
        on_call_published: CallPublished | None = None,
        on_call_changed: CallChanged | None = None,
    ) -> None:
        self.calls = calls
        self.history = history
        self.tz = tz
        self.on_call_published = on_call_published or no_call_published
        self.on_call_changed = on_call_changed or no_call_changed

    async def create(
        self, call: Call, actor: int | None, now: datetime, author: str | None = None
    ) -> Call:
        async with self.calls.db.transaction():
            call_id = await self.calls.save(replace(call, id=0), now)
            changes = row_changes({}, row_from_call(call, self.tz))
            await self.history.record(call_id, actor, "created", now, changes, author)
        saved = await self.calls.get(call_id)
        assert saved is not None
        if saved.status == CallStatus.PUBLISHED:
            await self._announce_published(saved)
        return saved

    async def edit(
        self,
        before: Call,
        after: Call,
        actor: int | None,
        now: datetime,
        author: str | None = None,
        closed_reason: str = "admin",
    ) -> Call:
        """Save `after` over `before` (same id) and record what changed."""
        changes = row_changes(row_from_call(before, self.tz), row_from_call(after, self.tz))
        if not changes:
            return before
        action = _action(before.status, after.status)
        async with self.calls.db.transaction():
            await self.calls.save(replace(after, id=before.id), now)
            await self.history.record(before.id, actor, action, now, changes, author)
            if action == "closed":
                await self.calls.mark_closed(before.id, closed_reason, now)
        saved = await self.calls.get(before.id)
        assert saved is not None
        await self._announce(before, saved)
        return saved

    async def set_status(
        self, call: Call, status: CallStatus, actor: int | None, now: datetime
    ) -> Call:
        return await self.edit(call, replace(call, status=status), actor, now)

    async def close_at_deadline(self, call: Call, now: datetime) -> Call:
        """The expiry job's close: the same path as an admin's (history, reminders
        cancelled through on_call_changed), by the system."""
        return await self.edit(
            call, replace(call, status=CallStatus.CLOSED), None, now, SYSTEM, "deadline"
        )

    async def draft_next_round(self, call: Call, now: datetime) -> Call:
        """The next round of a yearly call as a draft (dates a year on, typical), once."""
        existing = await self.calls.next_round_of(call.id)
        if existing is not None:
            return existing
        draft = next_round_draft(call, self.tz)
        taken = draft.external_id and await self.calls.get_by_external_id(draft.external_id)
        if taken:
            draft = replace(draft, external_id=f"{call.external_id}-next-{call.id}")
        created = await self.create(draft, None, now, SYSTEM)
        documents = ApplicationsRepo(self.calls.db)
        keys = await documents.documents(call.id, call.programme.code)
        await documents.set_documents(created.id, list(keys))
        return created

    async def import_rows(
        self,
        rows: list[dict[str, str]],
        actor: int | None,
        now: datetime,
        today: date,
        before_write: Callable[[], Awaitable[None]] | None = None,
    ) -> ImportResult:
        """Write validated rows in one transaction: all of them, or (on any error) none.

        `before_write` runs first inside the same transaction (e.g. to claim a pending import
        exactly once); if it raises, nothing is written.
        """
        programmes = {p.code: p for p in await self.calls.programmes()}
        announcements: list[tuple[Call | None, int]] = []
        created = updated = unchanged = 0
        async with self.calls.db.transaction():
            if before_write is not None:
                await before_write()
            for row in rows:
                call, errors = call_from_row(row, self.tz, programmes, today)
                if call is None:
                    raise ValueError(f"row {row.get('external_id')!r} is invalid: {errors}")
                existing = await self.calls.get_by_external_id(call.external_id or "")
                before_row = row_from_call(existing, self.tz) if existing else {}
                changes = row_changes(before_row, row_from_call(call, self.tz))
                if existing is not None and not changes:
                    unchanged += 1
                    continue
                call_id = await self.calls.save(
                    replace(call, id=existing.id if existing else 0), now
                )
                await self.history.record(call_id, actor, "imported", now, changes)
                announcements.append((existing, call_id))
                if existing is None:
                    created += 1
                else:
                    updated += 1
        for before, call_id in announcements:
            after = await self.calls.get(call_id)
            if after is None:
                continue
            if before is None:
                if after.status == CallStatus.PUBLISHED:
                    await self._announce_published(after)
            else:
                await self._announce(before, after)
        return ImportResult(created, updated, unchanged)

    async def _announce(self, before: Call, after: Call) -> None:
        if after.status == CallStatus.PUBLISHED and before.status == CallStatus.DRAFT:
            await self._announce_published(after)
        elif CallStatus.PUBLISHED in (before.status, after.status):
            try:
                await self.on_call_changed(before, after)
            except Exception:
                log.exception("on_call_changed failed for call %s", after.id)

    async def _announce_published(self, call: Call) -> None:
        try:
            await self.on_call_published(call)
        except Exception:
            log.exception("on_call_published failed for call %s", call.id)


def _action(before: CallStatus, after: CallStatus) -> str:
    if before == after:
        return "edited"
    if after == CallStatus.PUBLISHED:
        return "reopened" if before == CallStatus.CLOSED else "published"
    if after == CallStatus.CLOSED:
        return "closed"
    return "edited"
