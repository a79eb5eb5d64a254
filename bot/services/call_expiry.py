"""A call's end: at its deadline a published call closes itself.

Closing goes through the admin desk (history by "system", reminders cancelled through
on_call_changed); students who saved the call get one notice through the outbox; a yearly
call leaves a draft of its next round for the admins. Every step is idempotent and the
call's status changes last, so a job run twice or cut short by a restart finishes the work
and never repeats a notice or a draft.
"""

from __future__ import annotations

import logging

from bot.clock import Clock
from bot.db.calls import CallsRepo
from bot.services.catalogue_desk import CatalogueDesk
from bot.services.notifications import Notifications

log = logging.getLogger(__name__)


class CallExpiry:
    def __init__(
        self, calls: CallsRepo, desk: CatalogueDesk, notifications: Notifications, clock: Clock
    ) -> None:
        self.calls = calls
        self.desk = desk
        self.notifications = notifications
        self.clock = clock

    async def close_expired_calls(self) -> int:
        """Close every published call whose deadline has passed; returns how many."""
        now = self.clock.now()
        closed = 0
        for call in await self.calls.past_deadline(now):
            try:
                if call.yearly:
                    draft = await self.desk.draft_next_round(call, now)
                    log.info("call %s: next round drafted as #%s", call.id, draft.id)
                await self.notifications.notify_call_closed(call.id)
                await self.desk.close_at_deadline(call, now)
            except Exception:
                log.exception("closing call %s at its deadline failed; retried next run", call.id)
                continue
            closed += 1
        if closed:
            log.info("expiry: %d call(s) closed at their deadline", closed)
        return closed
