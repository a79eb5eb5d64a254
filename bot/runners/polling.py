"""Long polling against Telegram (or any Bot API server at BOT_API_URL)."""

from __future__ import annotations

from bot.app import App
from bot.commands import register_commands, register_staff_commands
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


async def serve_polling(app: App, *, handle_signals: bool = True) -> None:
    """Register the command menus, then long-poll until SIGINT/SIGTERM or
    `app.dispatcher.stop_polling()` (how tests stop it), and close the app."""
    await register_menus(app)
    await start_scheduler(app.scheduler, app.services.notifications)
    try:
        await app.dispatcher.start_polling(app.bot, handle_signals=handle_signals)
    finally:
        stop_scheduler(app.scheduler)
        await app.close()
