"""Long polling against Telegram (or any Bot API server at BOT_API_URL)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.app import App
from bot.commands import register_commands, register_staff_commands
from bot.runners.monitoring import listening_url, start_monitoring_server
from bot.services.scheduler import start_scheduler, stop_scheduler


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


async def serve_polling(
    app: App,
    *,
    handle_signals: bool = True,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Register the command menus, then long-poll until SIGINT/SIGTERM or
    `app.dispatcher.stop_polling()` (how tests stop it), and close the app. With HTTP_PORT
    set, /healthz and /metrics are served meanwhile (`on_listening` gets their base URL)."""
    # Telegram refuses getUpdates while a webhook is set (one left from webhook mode):
    # remove it, keeping the updates it holds for us.
    await app.bot.delete_webhook(drop_pending_updates=False)
    await register_menus(app)
    await start_scheduler(app.scheduler, app.services.notifications)
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
        stop_scheduler(app.scheduler)
        if monitoring is not None:
            await monitoring.cleanup()
        await app.close()
