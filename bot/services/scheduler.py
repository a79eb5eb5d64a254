"""The in-process scheduler: due-push dispatch, closing calls at their deadline, the weekly
digest, clean-up.

Jobs live in APScheduler's memory store with fixed ids; everything durable is in our own
tables, so a restart loses nothing and nothing here needs pickling.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.services.attention import Attention
from bot.services.tickets import register_jobs as register_ticket_jobs

if TYPE_CHECKING:
    from bot.app import App, Services

log = logging.getLogger(__name__)

DISPATCH_JOB = "dispatch_due_pushes"
DIGEST_JOB = "plan_weekly_digests"
CLEANUP_JOB = "purge_finished_pushes"
BROADCAST_PROGRESS_JOB = "refresh_broadcast_progress"
EXPIRY_JOB = "close_calls_past_deadline"
# Calls close within this long after their deadline (the job is cheap: one indexed query).
EXPIRY_INTERVAL_SECONDS = 120
SOURCE_WATCH_JOB = "source_watch_and_attention_digest"
BACKUP_JOB = "daily_database_backup"
# Local time of the daily backup (BACKUP_DIR): a quiet hour, before the 04:30 clean-up.
BACKUP_AT = {"hour": 3, "minute": 15}


def register_jobs(
    scheduler: AsyncIOScheduler, settings: Settings, bot: Bot, services: Services
) -> None:
    """Add every job under its fixed id; registering again replaces them."""
    common = {"replace_existing": True, "max_instances": 1, "coalesce": True}
    notifications = services.notifications
    # A long delivery run keeps going past the next interval; the overlapping tick returns
    # at once (the run under way picks up what falls due), so allow it rather than log a skip.
    scheduler.add_job(
        notifications.tick,
        IntervalTrigger(seconds=settings.dispatch_interval_seconds),
        id=DISPATCH_JOB,
        **{**common, "max_instances": 2},
    )
    # Progress messages of running broadcasts, found in the DB.
    scheduler.add_job(
        services.broadcasts.refresh_progress,
        IntervalTrigger(seconds=max(3, settings.dispatch_interval_seconds)),
        id=BROADCAST_PROGRESS_JOB,
        **common,
    )
    # First run at start-up: deadlines passed while the bot was down.
    scheduler.add_job(
        services.expiry.close_expired_calls,
        IntervalTrigger(seconds=EXPIRY_INTERVAL_SECONDS),
        id=EXPIRY_JOB,
        next_run_time=datetime.now(settings.tz),
        **common,
    )
    # Monday just after midnight, and once at start-up to catch a Monday the bot missed.
    scheduler.add_job(
        notifications.plan_digests,
        CronTrigger(day_of_week="mon", hour=0, minute=5, timezone=settings.tz),
        id=DIGEST_JOB,
        misfire_grace_time=None,
        **common,
    )
    scheduler.add_job(
        notifications.cleanup,
        CronTrigger(hour=4, minute=30, timezone=settings.tz),
        id=CLEANUP_JOB,
        **common,
    )
    register_ticket_jobs(scheduler, services.ticket_desk, bot)
    if services.backups is not None:
        scheduler.add_job(
            services.backups.daily,
            CronTrigger(**BACKUP_AT, timezone=settings.tz),
            id=BACKUP_JOB,
            misfire_grace_time=6 * 3600,  # the bot was down at 03:15: back up when it is up
            **common,
        )
    register_source_watch(scheduler, services.attention, settings)


def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


def build_scheduler(settings: Settings, bot: Bot, services: Services) -> AsyncIOScheduler:
    """Every periodic job of the running bot (not started): pushes (reminders, new calls,
    digests, clean-up), closing calls at their deadline, broadcast progress, the
    coordinators' re-announcement of unanswered tickets, and the source watch."""
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    register_jobs(scheduler, settings, bot, services)
    return scheduler


def register_source_watch(
    scheduler: AsyncIOScheduler, attention: Attention, settings: Settings
) -> None:
    """Daily: fetch the calls' pages (unless SOURCE_WATCH_ENABLED is false), then plan the
    admins' attention digest (one per admin and day, however often this runs)."""
    scheduler.add_job(
        attention.daily,
        CronTrigger(hour=settings.source_watch_hour, minute=0, timezone=settings.tz),
        id=SOURCE_WATCH_JOB,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=6 * 3600,  # the bot was down at the hour: still today, if soon after
    )


def console_tick(app: App) -> Callable[[], Awaitable[None]]:
    """The console's `:time +3d` hook: run at once what the moved clock made due."""
    services = app.services

    async def on_tick() -> None:
        await services.expiry.close_expired_calls()
        await services.notifications.plan_digests()
        await services.notifications.tick()
        await services.ticket_desk.reannounce(app.bot)
        await services.broadcasts.refresh_progress()

    return on_tick
