"""Front door: `python -m bot [run|migrate|seed]`.

`run` (the default) serves Telegram by long polling when BOT_TOKEN is set, and opens the
local console chat when it is not.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.app import App, create_app
from bot.clock import SystemClock
from bot.commands import register_commands
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.connection import open_database
from bot.db.migrate import MigrationError, apply_migrations
from bot.services.scheduler import (
    build_scheduler,
    console_tick,
    start_scheduler,
    stop_scheduler,
)
from bot.services.seed import seed_catalogue

log = logging.getLogger("bot")


async def serve_polling(app: App, *, handle_signals: bool = True) -> None:
    """Register the command menu, then long-poll until SIGINT/SIGTERM or
    `app.dispatcher.stop_polling()` (how tests stop it), and close the app."""
    await register_commands(app.bot, app.i18n, app.settings.default_locale)
    notifications = app.services["notifications"]
    scheduler = build_scheduler(notifications, app.settings)
    await start_scheduler(scheduler, notifications)
    try:
        await app.dispatcher.start_polling(app.bot, handle_signals=handle_signals)
    finally:
        stop_scheduler(scheduler)
        await app.close()


async def _console(settings: Settings) -> None:
    from bot.console import Console, OffsetClock
    from bot.local_api import LocalSession

    session = LocalSession()
    clock = OffsetClock(SystemClock())
    app = await create_app(settings, clock=clock, session=session)
    await register_commands(app.bot, app.i18n, settings.default_locale)
    notifications = app.services["notifications"]
    scheduler = build_scheduler(notifications, app.settings)
    await start_scheduler(scheduler, notifications)
    try:
        await Console(app, session, clock, on_tick=console_tick(notifications)).run()
    finally:
        stop_scheduler(scheduler)
        await app.close()


async def _run(settings: Settings) -> None:
    if settings.bot_token is None:
        await _console(settings)
        return
    app = await create_app(settings)
    await serve_polling(app)


async def _migrate(settings: Settings) -> None:
    db = await open_database(settings.database_path)
    try:
        applied = await apply_migrations(db, settings.migrations_path)
        print("applied: " + (", ".join(applied) if applied else "nothing, schema is current"))
    finally:
        await db.close()


async def _seed(settings: Settings, reload: bool) -> None:
    db = await open_database(settings.database_path)
    try:
        await apply_migrations(db, settings.migrations_path)
        loaded = await seed_catalogue(CallsRepo(db), SystemClock().now(), reload=reload)
        print(
            f"seed catalogue: {loaded} calls loaded"
            if loaded
            else "catalogue not empty; use --reload"
        )
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Imkon Telegram bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="serve Telegram (BOT_TOKEN set) or open the console chat")
    sub.add_parser("migrate", help="apply pending database migrations")
    seed = sub.add_parser("seed", help="load the seed catalogue")
    seed.add_argument("--reload", action="store_true", help="reload even if calls exist")
    args = parser.parse_args(argv)

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.bot_token is None and args.command in (None, "run"):
        logging.getLogger("aiogram").setLevel(logging.WARNING)
    try:
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "seed":
            asyncio.run(_seed(settings, args.reload))
        else:
            asyncio.run(_run(settings))
    except MigrationError as error:
        print(f"Cannot start: migration {error.filename} failed: {error.error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
