"""Admin broadcasts on top of the delivery service: one job, one outbox row per recipient.

The message is copied (copyMessage) from the admin's chat as-is. Pause holds the job's
pending pushes out of reach (and the composer defers any already fetched); Resume brings
them back; Cancel cancels them. `refresh_progress` runs from the scheduler every few
seconds: it edits each running job's progress message and, once nothing is left, gives
the final report. Jobs are found in the database, so a restart resumes both the sending
and the reporting."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import CopyMessage
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.broadcasts import BroadcastsRepo
from bot.domain.audience import BROADCAST
from bot.domain.pushes import NewPush, Push, PushState
from bot.keyboards.broadcast import progress_keyboard
from bot.services.delivery import Composer, Defer, Delivery, Skip

log = logging.getLogger(__name__)
ENQUEUE_BATCH = 5000


class Broadcasts:
    def __init__(
        self,
        repo: BroadcastsRepo,
        bot: Bot,
        clock: Clock,
        delivery: Delivery,
        i18n: I18n,
        settings: Settings,
    ) -> None:
        self.repo = repo
        self.bot = bot
        self.clock = clock
        self.delivery = delivery
        self.i18n = i18n
        self.paid = settings.allow_paid_broadcast
        # Job payloads read by the composer, per job: pause/resume/cancel (same process)
        # refresh them, so a paused job's already fetched pushes still defer at once.
        self._payloads: dict[int, dict[str, Any]] = {}

    def composers(self) -> dict[str, Composer]:
        return {BROADCAST: self.compose}

    async def _payload(self, job_id: int) -> dict[str, Any] | None:
        if job_id not in self._payloads:
            payload = await self.delivery.outbox.job_payload(job_id)
            if payload is None:
                return None
            self._payloads[job_id] = payload
        return self._payloads[job_id]

    async def compose(self, push: Push) -> CopyMessage:
        payload = await self._payload(push.job_id) if push.job_id else None
        if not payload or "message_id" not in payload:
            raise Skip("broadcast job not found")
        if payload.get("paused"):
            raise Defer(self.clock.now() + timedelta(days=365), "paused")
        return CopyMessage(
            chat_id=push.user_id,
            from_chat_id=payload["from_chat"],
            message_id=payload["message_id"],
            allow_paid_broadcast=True if self.paid else None,
        )

    async def start(
        self, admin_id: int, from_chat: int, message_id: int, segment: str, value: str, locale: str
    ) -> tuple[int, int]:
        """Create the job and enqueue every recipient in batches; returns (job id, count)."""
        now = self.clock.now()
        job_id = await self.delivery.create_job(
            BROADCAST,
            {
                "from_chat": from_chat,
                "message_id": message_id,
                "segment": segment,
                "value": value,
                "locale": locale,
                "started_at": now.timestamp(),
                "paused": False,
                "reported": 0,
            },
            admin_id,
        )
        added = 0
        async for batch in self.repo.recipient_pages(segment, value, now, ENQUEUE_BATCH):
            added += await self.delivery.enqueue(
                (NewPush(user_id=u, kind=BROADCAST, due_at=now, slot=job_id) for u in batch),
                job_id=job_id,
            )
        await self.repo.update_payload(job_id, total=added)
        return job_id, added

    async def attach_progress(self, job_id: int, chat_id: int, message_id: int) -> None:
        await self.repo.update_payload(job_id, progress_chat=chat_id, progress_message=message_id)

    async def pause(self, job_id: int) -> None:
        self._payloads[job_id] = await self.repo.update_payload(job_id, paused=True)
        await self.repo.hold_pending(job_id, self.clock.now())

    async def resume(self, job_id: int) -> None:
        self._payloads[job_id] = await self.repo.update_payload(job_id, paused=False)
        await self.repo.release_pending(job_id, self.clock.now())

    async def cancel(self, job_id: int) -> int:
        self._payloads[job_id] = await self.repo.update_payload(job_id, paused=False)
        return await self.delivery.cancel_job(job_id)

    async def status(self, job_id: int) -> tuple[dict[str, Any], dict[PushState, int]]:
        """The job's payload and figures: stored once it finished (its rows may be purged
        since), counted live from the outbox while it runs."""
        payload = await self.delivery.outbox.job_payload(job_id) or {}
        finished = await self.delivery.outbox.finished_job(job_id)
        if finished is not None:
            return payload, finished.counts
        return payload, await self.delivery.job_counts(job_id)

    async def refresh_progress(self) -> None:
        """Edit every running broadcast's progress message; report the finished ones."""
        from bot.texts import broadcast as texts

        outbox = self.delivery.outbox
        for job_id, payload in await self.repo.unfinished_jobs():
            # Finishing stores the figures the report then reads (nothing left to send).
            await outbox.finish_jobs(self.clock.now(), job_id)
            finished = await outbox.finished_job(job_id)
            chat = payload.get("progress_chat")
            with self.i18n.context(), self.i18n.use_locale(payload.get("locale") or "en"):
                if finished is not None:
                    # Who failed is read from the rows: gone only when the report comes
                    # after the purge (the bot was down for BROADCAST_KEEP_DAYS).
                    failures = await outbox.failures(job_id, limit=20)
                    text = texts.final_report(job_id, finished.counts, failures)
                    markup: InlineKeyboardMarkup | None = None
                else:
                    counts = await self.delivery.job_counts(job_id)
                    text = texts.progress(job_id, payload, counts, self.clock.now())
                    markup = progress_keyboard(job_id, bool(payload.get("paused")))
            if chat and payload.get("progress_message"):
                await self._edit(chat, payload["progress_message"], text, markup)
                if finished is not None:  # the report also as a new message (an edit is silent)
                    await self._send(chat, text)
            if finished is not None:
                await self.repo.update_payload(job_id, reported=1)
                self._payloads.pop(job_id, None)

    async def _edit(
        self, chat: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await self.bot.edit_message_text(
                text=text, chat_id=chat, message_id=message_id, reply_markup=markup
            )
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                log.warning("broadcast progress: cannot edit: %s", error.message)
        except Exception as error:  # the report must not stop the scheduler job
            log.warning("broadcast progress: %s", error)

    async def _send(self, chat: int, text: str) -> None:
        try:
            await self.bot.send_message(chat, text)
        except Exception as error:
            log.warning("broadcast report: %s", error)
