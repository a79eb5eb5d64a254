"""The local console chat: the whole bot in a terminal, no Telegram (BOT_TOKEN unset)."""

from __future__ import annotations

from bot.app import create_app
from bot.clock import SystemClock
from bot.config import Settings
from bot.runners.polling import register_menus
from bot.services.scheduler import console_tick, start_scheduler, stop_scheduler


async def serve_console(settings: Settings) -> None:
    from bot.console import Console, OffsetClock
    from bot.fake_telegram import LocalSession

    session = LocalSession()
    clock = OffsetClock(SystemClock())
    app = await create_app(settings, clock=clock, session=session)
    await register_menus(app)
    await start_scheduler(app.scheduler, app.services.notifications)
    try:
        await Console(app, session, clock, on_tick=console_tick(app)).run()
    finally:
        stop_scheduler(app.scheduler)
        await app.close()
