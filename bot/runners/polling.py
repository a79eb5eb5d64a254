"""Long polling against Telegram (or any Bot API server at BOT_API_URL)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiogram import Dispatcher
from aiohttp import web

from bot.app import App
from bot.commands import register_commands, register_staff_commands
from bot.runners.monitoring import listening_url, start_monitoring_server
from bot.services.duties import SenderDuties

log = logging.getLogger(__name__)


async def register_menus(app: App) -> None:
    """The command menus: the students' in every language, and each staff member's own."""
    await register_commands(app.bot, app.i18n, app.settings.default_locale)
    await register_staff_commands(
        app.bot,
        app.i18n,
        app.repos.roles,
        app.repos.users,
        app.settings.default_locale,
        app.settings.coordinators_chat_id,
    )


def sender_duties(app: App) -> SenderDuties:
    return SenderDuties(
        app.services.lease, app.scheduler, app.services.delivery, app.services.notifications
    )


async def serve_polling(
    app: App,
    *,
    handle_signals: bool = True,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Register the command menus, then long-poll until SIGINT/SIGTERM or
    `app.dispatcher.stop_polling()` (how tests stop it), and close the app. With HTTP_PORT
    set, /healthz and /metrics are served meanwhile (`on_listening` gets their base URL).

    The scheduler and delivery run while this process holds the sender lease. On a stop,
    aiogram stops taking updates and emits its shutdown event before it closes the bot's
    session; there the updates being handled and the delivery's sends in flight finish
    (within SHUTDOWN_GRACE_SECONDS), the scheduler stops and the lease is released."""
    # Telegram refuses getUpdates while a webhook is set (one left from webhook mode):
    # remove it, keeping the updates it holds for us.
    await app.bot.delete_webhook(drop_pending_updates=False)
    await register_menus(app)
    duties = sender_duties(app)
    await duties.start()
    grace = app.settings.shutdown_grace_seconds

    async def finish_work(dispatcher: Dispatcher, **_: Any) -> None:
        deadline = asyncio.get_running_loop().time() + grace
        await finish_handlers(dispatcher, grace)
        await duties.stop(max(0.0, deadline - asyncio.get_running_loop().time()))

    app.dispatcher.shutdown.register(finish_work)
    monitoring: web.AppRunner | None = None
    try:
        if app.settings.http_port is not None:
            monitoring = await start_monitoring_server(
                app, app.settings.http_host, app.settings.http_port
            )
            if on_listening is not None:
                on_listening(listening_url(monitoring))
        await app.dispatcher.start_polling(app.bot, handle_signals=handle_signals)
    finally:
        await duties.stop(0)  # already stopped, unless polling failed to start
        if monitoring is not None:
            await monitoring.cleanup()
        await app.close()


async def finish_handlers(dispatcher: Dispatcher, timeout: float) -> None:
    """Wait up to `timeout` seconds for the updates being handled (polling runs each as a
    task; aiogram keeps them in `_handle_update_tasks` and does not wait for them)."""
    running: set[asyncio.Task[Any]] = set(getattr(dispatcher, "_handle_update_tasks", ()))
    if not running:
        return
    log.info("shutdown: waiting for %d update(s) being handled", len(running))
    _, pending = await asyncio.wait(running, timeout=timeout)
    if pending:
        log.warning("shutdown: %d update(s) still running after %s s", len(pending), timeout)
