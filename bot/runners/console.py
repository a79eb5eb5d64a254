"""The local console chat: the whole bot in a terminal, no Telegram (BOT_TOKEN unset)."""

from __future__ import annotations

from bot.app import create_app
from bot.clock import SystemClock
from bot.config import Settings
from bot.runners.polling import register_menus, sender_duties
from bot.services.scheduler import console_tick


async def serve_console(settings: Settings) -> None:
    from bot.console import Console, OffsetClock
    from bot.fake_telegram import LocalSession

    session = LocalSession()
    clock = OffsetClock(SystemClock())
    app = await create_app(settings, clock=clock, session=session)
    await register_menus(app)
    duties = sender_duties(app)
    await duties.start()
    try:
        await Console(app, session, clock, on_tick=console_tick(app)).run()
    finally:
        await duties.stop(app.settings.shutdown_grace_seconds)
        await app.close()
