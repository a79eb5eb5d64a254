"""Construction in one place: database, repositories, i18n, bot and dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.strategy import FSMStrategy
from aiogram.utils.i18n import I18n

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.connection import Database, open_database
from bot.db.faq import FaqRepo
from bot.db.fsm_storage import SQLiteStorage
from bot.db.history import CallHistoryRepo
from bot.db.migrate import apply_migrations
from bot.db.roles import RolesRepo
from bot.db.source_watch import SourceWatchRepo
from bot.db.tickets import TicketsRepo
from bot.db.users import UsersRepo
from bot.domain.calls import Call
from bot.handlers import get_routers
from bot.i18n import ProfileI18nMiddleware, build_i18n
from bot.isolation import PerKeyIsolation
from bot.middlewares import LeaveTextCaptureOnNavigation, UserProfileMiddleware
from bot.retry_after import HandlingUpdate, install_retries
from bot.services.attention import Attention
from bot.services.broadcasts import Broadcasts
from bot.services.call_expiry import CallExpiry
from bot.services.catalogue_desk import admin_desk_services
from bot.services.delivery import Delivery, Sleep, sleep_for
from bot.services.notifications import Notifications
from bot.services.seed import seed_catalogue
from bot.services.source_watch import SourceWatch
from bot.services.tickets import TicketDesk

log = logging.getLogger(__name__)

CONSOLE_TOKEN = "1000000001:local-console"  # shape of a real token; never sent anywhere


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    i18n: I18n
    bot: Bot
    dispatcher: Dispatcher
    services: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        await self.bot.session.close()
        await self.db.close()


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url))
    token = settings.bot_token.get_secret_value() if settings.bot_token else CONSOLE_TOKEN
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_dispatcher(
    settings: Settings, db: Database, clock: Clock, i18n: I18n, **services: Any
) -> Dispatcher:
    users = UsersRepo(db)
    calls = CallsRepo(db)
    dp = Dispatcher(
        storage=SQLiteStorage(db),
        fsm_strategy=FSMStrategy.USER_IN_CHAT,
        # Two quick taps of one user must not race on FSM state: handle them in turn.
        events_isolation=PerKeyIsolation(),
        settings=settings,
        clock=clock,
        db=db,
        users=users,
        calls=calls,
        roles=RolesRepo(db),
        tickets=TicketsRepo(db),
        faq=FaqRepo(db),
        ticket_desk=TicketDesk(db, settings, clock, i18n),
        # Admin desk; reminders wire their pushes through services["on_call_published"/"on_call_changed"].
        **admin_desk_services(
            db,
            calls,
            settings.tz,
            services.get("on_call_published"),
            services.get("on_call_changed"),
        ),
        **services,
    )
    dp.update.outer_middleware(HandlingUpdate())
    dp.update.outer_middleware(UserProfileMiddleware(users, clock))
    ProfileI18nMiddleware(i18n).setup(dp)
    leave = LeaveTextCaptureOnNavigation(text_capturing_states())
    dp.message.outer_middleware(leave)
    dp.callback_query.outer_middleware(leave)
    dp.include_routers(*get_routers(settings.coordinators_chat_id))
    return dp


def text_capturing_states() -> set[str]:
    from bot.handlers.states import SearchFlow
    from bot.handlers.tickets import TicketFlow

    return {
        state.state
        for state in (SearchFlow.query, TicketFlow.question, TicketFlow.open)
        if state.state is not None
    }


async def create_app(
    settings: Settings,
    clock: Clock | None = None,
    session: BaseSession | None = None,
    sleep: Sleep | None = None,
) -> App:
    """Open and migrate the database, seed an empty catalogue, wire bot and dispatcher.

    Raises MigrationError when a migration fails: the bot must not start on a half schema.
    """
    clock = clock or SystemClock()
    db = await open_database(settings.database_path)
    try:
        applied = await apply_migrations(db, settings.migrations_path)
        if applied:
            log.info("migrations applied: %s", ", ".join(applied))
        await seed_catalogue(CallsRepo(db), clock.now())
        await RolesRepo(db).bootstrap_admins(settings.admin_ids, clock.now())
    except BaseException:
        await db.close()
        raise
    i18n = build_i18n(settings.locales_path, settings.default_locale)
    bot = build_bot(settings, session)
    sleep = sleep or sleep_for(clock)
    install_retries(bot.session, sleep, settings.handler_retry_max_seconds)
    delivery = Delivery(
        db,
        bot,
        clock,
        rate=settings.paid_broadcast_rate
        if settings.allow_paid_broadcast
        else settings.delivery_rate,
        max_attempts=settings.delivery_max_attempts,
        sleep=sleep,
        max_in_flight=settings.delivery_max_in_flight,
    )
    await delivery.recover()  # pushes a crash left in flight go out again, once
    notifications = Notifications(db, clock, settings, i18n, delivery)
    broadcasts = Broadcasts(db, bot, clock, delivery, i18n, settings)  # registers its composer

    async def on_call_published(call: Call) -> None:  # admin desk → new-call pushes
        await notifications.notify_new_call(call.id)

    async def on_call_changed(before: Call, after: Call) -> None:  # reminders follow edits
        await notifications.call_changed(after.id)

    source_watch = SourceWatch(SourceWatchRepo(db), clock)
    attention = Attention(  # registers the admins' daily digest with the delivery service
        SourceWatchRepo(db),
        CallsRepo(db),
        CallHistoryRepo(db),
        UsersRepo(db),
        clock,
        settings,
        i18n,
        delivery,
        source_watch,
    )

    services: dict[str, Any] = {
        "delivery": delivery,
        "source_watch": source_watch,
        "attention": attention,
        "notifications": notifications,
        "broadcasts": broadcasts,
        "applications": ApplicationsRepo(db, settings.reminder_hour),
        "on_call_published": on_call_published,
        "on_call_changed": on_call_changed,
    }
    dp = build_dispatcher(settings, db, clock, i18n, **services)
    # Closing at the deadline goes through the same desk (and hooks) as an admin's close.
    services["expiry"] = CallExpiry(dp["calls"], dp["desk"], notifications, clock)
    return App(settings, clock, db, i18n, bot, dp, services)
