"""The composition root: everything the bot is made of is built here, once, in this order —
settings → database → repositories → bot → services → dispatcher → scheduler. Runners
(`bot/runners/`) take the finished `App` and serve it.

Handlers receive what they need by parameter name from aiogram's workflow data, filled from
the two typed containers below (`Repositories`, `Services`): a handler asking for
`calls: CallsRepo` or `ticket_desk: TicketDesk` gets the one instance built here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.strategy import FSMStrategy
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.broadcasts import BroadcastsRepo
from bot.db.calls import CallsRepo
from bot.db.channels import ChannelPostsRepo
from bot.db.connection import Database, open_database
from bot.db.faq import FaqRepo
from bot.db.fsm_storage import SQLiteStorage
from bot.db.history import CallHistoryRepo
from bot.db.imports import PendingImportsRepo
from bot.db.leases import LeaseRepo
from bot.db.migrate import apply_migrations
from bot.db.monitoring import MonitoringRepo
from bot.db.outbox import OutboxRepo
from bot.db.privacy import PrivacyRepo
from bot.db.roles import RolesRepo
from bot.db.source_watch import SourceWatchRepo
from bot.db.staff import StaffRepo
from bot.db.stats import StatsRepo
from bot.db.tickets import TicketsRepo
from bot.db.users import UsersRepo
from bot.domain.calls import Call
from bot.handlers import get_routers
from bot.i18n import ProfileI18nMiddleware, build_i18n
from bot.isolation import PerKeyIsolation
from bot.metrics import CountUpdates, Metrics
from bot.middlewares import (
    AnswerEveryPress,
    LeaveTextCaptureOnNavigation,
    ProvideDependencies,
    UserProfileMiddleware,
)
from bot.retry_after import HandlingUpdate, install_retries
from bot.services.attention import Attention
from bot.services.backups import Backups
from bot.services.broadcasts import Broadcasts
from bot.services.call_expiry import CallExpiry
from bot.services.catalogue_desk import CatalogueDesk
from bot.services.channels import ChannelPosts
from bot.services.delivery import Delivery, Sleep, sleep_for
from bot.services.lease import SenderLease
from bot.services.notifications import Notifications
from bot.services.scheduler import build_scheduler
from bot.services.seed import seed_catalogue
from bot.services.source_watch import SourceWatch
from bot.services.tickets import TicketDesk
from bot.services.time_zones import TimeZones

log = logging.getLogger(__name__)

CONSOLE_TOKEN = "1000000001:local-console"  # shape of a real token; never sent anywhere


@dataclass(frozen=True, slots=True)
class Repositories:
    """One repository per aggregate, over one database (SQL lives only in `bot/db`)."""

    users: UsersRepo
    calls: CallsRepo
    roles: RolesRepo
    staff: StaffRepo
    tickets: TicketsRepo
    faq: FaqRepo
    applications: ApplicationsRepo
    history: CallHistoryRepo
    pending_imports: PendingImportsRepo
    stats: StatsRepo
    outbox: OutboxRepo
    broadcast_jobs: BroadcastsRepo
    watched_pages: SourceWatchRepo
    monitoring: MonitoringRepo
    leases: LeaseRepo
    privacy: PrivacyRepo
    channel_posts: ChannelPostsRepo


@dataclass(frozen=True, slots=True)
class Services:
    """Things with behaviour over the repositories; each gets its collaborators here."""

    delivery: Delivery
    notifications: Notifications
    broadcasts: Broadcasts
    desk: CatalogueDesk
    expiry: CallExpiry
    ticket_desk: TicketDesk
    source_watch: SourceWatch
    attention: Attention
    lease: SenderLease  # the scheduler and delivery run only in the process holding it
    backups: Backups | None  # daily, when BACKUP_DIR is set
    channels: ChannelPosts  # published calls posted to CHANNEL_IDS
    time_zones: TimeZones  # students' own zones and quiet hours


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    i18n: I18n
    repos: Repositories
    bot: Bot
    services: Services
    dispatcher: Dispatcher
    scheduler: AsyncIOScheduler
    metrics: Metrics
    closed: bool = False

    async def close(self) -> None:
        """Release the leases (the sender lease if held, and the presence row), close the
        session and the database. A second call does nothing."""
        if self.closed:
            return
        self.closed = True
        await self.services.lease.release()
        await self.bot.session.close()
        await self.db.close()


def build_repositories(db: Database, settings: Settings) -> Repositories:
    return Repositories(
        users=UsersRepo(db),
        calls=CallsRepo(db),
        roles=RolesRepo(db),
        staff=StaffRepo(db),
        tickets=TicketsRepo(db),
        faq=FaqRepo(db),
        applications=ApplicationsRepo(db, settings.reminder_hour),
        history=CallHistoryRepo(db),
        pending_imports=PendingImportsRepo(db),
        stats=StatsRepo(db),
        outbox=OutboxRepo(db),
        broadcast_jobs=BroadcastsRepo(db),
        watched_pages=SourceWatchRepo(db),
        monitoring=MonitoringRepo(db),
        leases=LeaseRepo(db),
        privacy=PrivacyRepo(db),
        channel_posts=ChannelPostsRepo(db),
    )


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
    token = settings.bot_token.get_secret_value() if settings.bot_token else CONSOLE_TOKEN
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_delivery(
    repos: Repositories,
    bot: Bot,
    clock: Clock,
    settings: Settings,
    sleep: Sleep | None = None,
    metrics: Metrics | None = None,
    lease: SenderLease | None = None,
) -> Delivery:
    return Delivery(
        repos.outbox,
        repos.users,
        bot,
        clock,
        rate=settings.paid_broadcast_rate
        if settings.allow_paid_broadcast
        else settings.delivery_rate,
        max_attempts=settings.delivery_max_attempts,
        sleep=sleep,
        max_in_flight=settings.delivery_max_in_flight,
        count=metrics.count_delivery if metrics else None,
        permit=lease.permits_sending if lease else None,
    )


def build_services(
    db: Database,
    repos: Repositories,
    bot: Bot,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
    sleep: Sleep | None = None,
    metrics: Metrics | None = None,
) -> Services:
    lease = SenderLease(repos.leases, clock)
    delivery = build_delivery(repos, bot, clock, settings, sleep, metrics, lease)
    notifications = Notifications(
        db,
        repos.calls,
        repos.users,
        repos.applications,
        repos.outbox,
        clock,
        settings,
        i18n,
        delivery,
    )
    broadcasts = Broadcasts(repos.broadcast_jobs, bot, clock, delivery, i18n, settings)
    channels = ChannelPosts(
        repos.channel_posts,
        repos.calls,
        repos.users,
        repos.roles,
        bot,
        clock,
        settings,
        i18n,
        delivery,
    )

    async def on_call_published(call: Call) -> None:  # admin desk → new-call pushes, posts
        try:
            await notifications.notify_new_call(call.id)
        finally:
            await channels.call_published(call)

    async def on_call_changed(before: Call, after: Call) -> None:  # reminders, posts follow
        try:
            await notifications.call_changed(after.id)
        finally:
            await channels.call_changed(before, after)

    desk = CatalogueDesk(
        repos.calls, repos.history, settings.tz, on_call_published, on_call_changed
    )
    source_watch = SourceWatch(repos.watched_pages, clock)
    attention = Attention(
        repos.watched_pages,
        repos.calls,
        repos.history,
        repos.users,
        clock,
        settings,
        i18n,
        delivery,
        source_watch,
    )
    # Every kind of push the outbox holds, and who composes it at sending time.
    for service in (notifications, broadcasts, attention):
        for kind, composer in service.composers().items():
            delivery.register(kind, composer)
    channels.register(delivery)
    return Services(
        delivery=delivery,
        notifications=notifications,
        broadcasts=broadcasts,
        desk=desk,
        # Closing at the deadline goes through the same desk (and hooks) as an admin's close.
        expiry=CallExpiry(repos.calls, desk, notifications, clock),
        ticket_desk=TicketDesk(
            repos.tickets, repos.roles, repos.calls, repos.users, settings, clock, i18n
        ),
        source_watch=source_watch,
        attention=attention,
        lease=lease,
        backups=Backups(
            settings.database_path, settings.backup_dir, settings.backup_keep, clock, settings.tz
        )
        if settings.backup_dir is not None
        else None,
        channels=channels,
        time_zones=TimeZones(repos.users, notifications, settings, clock),
    )


def workflow_data(
    settings: Settings, clock: Clock, repos: Repositories, services: Services
) -> dict[str, Any]:
    """What handlers, filters and middlewares may ask for by parameter name."""
    data: dict[str, Any] = {"settings": settings, "clock": clock}
    for container in (repos, services):
        for item in fields(container):
            assert item.name not in data, f"two dependencies named {item.name!r}"
            data[item.name] = getattr(container, item.name)
    return data


def build_dispatcher(
    db: Database,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    repos: Repositories,
    services: Services,
    metrics: Metrics | None = None,
) -> Dispatcher:
    dp = Dispatcher(
        storage=SQLiteStorage(db),
        fsm_strategy=FSMStrategy.USER_IN_CHAT,
        # Two quick taps of one user must not race on FSM state: handle them in turn.
        events_isolation=PerKeyIsolation(),
    )
    dependencies = workflow_data(settings, clock, repos, services)
    if metrics is not None:  # first of ours: it times everything below it
        dp.update.outer_middleware(CountUpdates(metrics))
    dp.update.outer_middleware(HandlingUpdate())
    dp.update.outer_middleware(UserProfileMiddleware(repos.users, clock))
    ProfileI18nMiddleware(i18n).setup(dp)
    leave = LeaveTextCaptureOnNavigation(text_capturing_states())
    dp.message.outer_middleware(leave)
    dp.callback_query.outer_middleware(leave)
    # Handlers get the dependencies once chosen; filters find the few they ask for in the
    # workflow data (see ProvideDependencies). First inner middleware: every other sees them.
    provide = ProvideDependencies(dependencies)
    for name, observer in dp.observers.items():
        if name != "update":
            observer.middleware(provide)
    dp.callback_query.middleware(AnswerEveryPress())  # one answer per handled button press
    dp.include_routers(*get_routers(settings.coordinators_chat_id))
    for name in filter_parameters(dp, dependencies):
        dp[name] = dependencies[name]
    return dp


def filter_parameters(dp: Dispatcher, dependencies: dict[str, Any]) -> set[str]:
    """The dependencies some filter of the router tree asks for (all, if one takes **kwargs)."""
    names: set[str] = set()
    for router in dp.chain_tail:
        for observer in router.observers.values():
            for handler in [observer._handler, *observer.handlers]:
                for flt in handler.filters or ():
                    if flt.varkw:
                        return set(dependencies)
                    names |= flt.params & dependencies.keys()
    return names


def text_capturing_states() -> set[str]:
    from bot.handlers.states import SearchFlow, ZoneFlow
    from bot.handlers.tickets import TicketFlow

    return {
        state.state
        for state in (SearchFlow.query, TicketFlow.question, TicketFlow.open, ZoneFlow.locating)
        if state.state is not None
    }


async def create_app(
    settings: Settings,
    clock: Clock | None = None,
    session: BaseSession | None = None,
    sleep: Sleep | None = None,
) -> App:
    """Open and migrate the database, seed an empty catalogue, and build everything on it.
    Nothing is started (runners start the scheduler and take updates); pushes a crash left
    in flight are put back in the queue.

    Raises MigrationError when a migration fails: the bot must not start on a half schema.
    """
    clock = clock or SystemClock()
    db = await open_database(settings.database_path)
    try:
        applied = await apply_migrations(db, settings.migrations_path)
        if applied:
            log.info("migrations applied: %s", ", ".join(applied))
        repos = build_repositories(db, settings)
        await seed_catalogue(repos.calls, clock.now())
        await repos.roles.bootstrap_admins(settings.admin_ids, clock.now())
    except BaseException:
        await db.close()
        raise
    i18n = build_i18n(settings.locales_path, settings.default_locale)
    bot = build_bot(settings, session)
    sleep = sleep or sleep_for(clock)
    install_retries(bot.session, sleep, settings.handler_retry_max_seconds)
    metrics = Metrics()  # a registry of its own: several apps in one process do not clash
    services = build_services(db, repos, bot, clock, settings, i18n, sleep, metrics)
    # The sender lease, if no other process on this database holds it (a runner keeps it
    # renewed). Only its holder puts back the pushes a crash left in flight: another
    # process's may be on their way now.
    if await services.lease.refresh():
        await services.delivery.recover()  # pushes a crash left in flight go out again, once
    dispatcher = build_dispatcher(db, i18n, settings, clock, repos, services, metrics)
    scheduler = build_scheduler(settings, bot, services)
    return App(settings, clock, db, i18n, repos, bot, services, dispatcher, scheduler, metrics)
