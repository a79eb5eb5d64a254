"""Front door: `python -m bot [run|migrate|seed|import FILE|export FILE|watch --once|
backup PATH|restore BACKUP]`.

`run` (the default) serves Telegram when BOT_TOKEN is set — by webhook when WEBHOOK_URL is
set too, by long polling otherwise — and opens the local console chat when it is not.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from bot.app import build_bot, build_repositories, build_services, create_app
from bot.clock import SystemClock
from bot.config import SUPPORTED_LOCALES, Settings
from bot.db.calls import CallsRepo
from bot.db.connection import open_database
from bot.db.migrate import MigrationError, apply_migrations
from bot.i18n import build_i18n
from bot.runners.console import serve_console
from bot.runners.polling import serve_polling
from bot.runners.webhook import serve_webhook
from bot.services.seed import seed_catalogue

log = logging.getLogger("bot")


async def _run(settings: Settings) -> None:
    if settings.bot_token is None:
        await serve_console(settings)
        return
    if settings.webhook_url is not None:
        await serve_webhook(await create_app(settings))
        return
    await serve_polling(await create_app(settings))


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


async def _import(
    settings: Settings, filename: str, content: bytes, assume_yes: bool, lang: str
) -> int:
    """Check the whole file, print every problem, and write only after a yes."""
    from bot.console import plain
    from bot.services.catalog_files import FileProblem, plan_import
    from bot.services.catalogue_desk import CatalogueDesk
    from bot.texts.admin import file_problem_text, plan_report

    db = await open_database(settings.database_path)
    i18n = build_i18n(settings.locales_path, settings.default_locale)
    try:
        await apply_migrations(db, settings.migrations_path)
        repos = build_repositories(db, settings)
        calls = repos.calls
        now = SystemClock().now()
        with i18n.context(), i18n.use_locale(lang):
            try:
                plan = await plan_import(filename, content, calls, settings.tz, now)
            except FileProblem as problem:
                print(file_problem_text(problem), file=sys.stderr)
                return 2
            report, full = plan_report(plan)
            print(plain(full or report))
        if not plan.to_write:
            return 1 if plan.errors else 0
        if not assume_yes:
            question = f"Write {plan.to_write} calls? [y/N] "
            answer = (await asyncio.to_thread(input, question)).strip().lower()
            if answer not in ("y", "yes"):
                print("nothing written")
                return 1
        # No pushes from here: the running bot announces what it finds published.
        desk = CatalogueDesk(calls, repos.history, settings.tz)
        result = await desk.import_rows(plan.rows, None, now, now.astimezone(settings.tz).date())
        print(
            f"written: {result.created} new, {result.updated} updated, {result.unchanged} unchanged"
        )
        return 1 if plan.errors else 0
    finally:
        await db.close()


async def _export(settings: Settings, filename: str) -> tuple[bytes, int]:
    from bot.services.catalog_files import export_rows, write_table

    db = await open_database(settings.database_path)
    try:
        await apply_migrations(db, settings.migrations_path)
        rows = export_rows(await CallsRepo(db).list_all(), settings.tz)
        return write_table(filename, rows), len(rows)
    finally:
        await db.close()


async def _watch_once(settings: Settings, resolve: Callable[[str], str] | None = None) -> int:
    """Check every published call's pages now, print the summary, and queue today's
    attention digest for the admins (the running bot's delivery sends it). `resolve` maps a
    catalogue URL to the address fetched (tests point them at a local server)."""
    from bot.services.source_watch import SourceWatch

    db = await open_database(settings.database_path)
    clock = SystemClock()
    bot = build_bot(settings)  # only to build the delivery service; nothing is sent here
    try:
        await apply_migrations(db, settings.migrations_path)
        repos = build_repositories(db, settings)
        summary = await SourceWatch(repos.watched_pages, clock, resolve=resolve).run()
        print(summary.line())
        i18n = build_i18n(settings.locales_path, settings.default_locale)
        services = build_services(db, repos, bot, clock, settings, i18n)
        planned = await services.attention.plan_digest()
        print(f"attention digests queued: {planned}")
        return 0
    finally:
        await bot.session.close()
        await db.close()


async def _backup(settings: Settings, target: Path) -> int:
    from bot.services.backups import BackupError, backup_to

    try:
        await backup_to(settings.database_path, target)
    except BackupError as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    print(f"backup written and checked (integrity_check ok): {target}")
    return 0


async def _restore(settings: Settings, backup: Path) -> int:
    from bot.services.backups import BackupError, restore

    try:
        restored = await restore(settings.database_path, backup, SystemClock())
    except BackupError as error:
        print(f"Restore refused: {error}", file=sys.stderr)
        return 1
    print(f"restored {restored.database} from {backup}")
    if restored.kept_aside is not None:
        print(f"the database as it was is kept as {restored.kept_aside}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Imkon Telegram bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="serve Telegram (BOT_TOKEN set) or open the console chat")
    sub.add_parser("migrate", help="apply pending database migrations")
    seed = sub.add_parser("seed", help="load the seed catalogue")
    seed.add_argument("--reload", action="store_true", help="reload even if calls exist")
    imp = sub.add_parser("import", help="check a CSV/XLSX catalogue file, then write it")
    imp.add_argument("file", type=Path)
    imp.add_argument("--yes", action="store_true", help="write without asking")
    imp.add_argument("--lang", default="en", choices=SUPPORTED_LOCALES, help="report language")
    exp = sub.add_parser("export", help="write the catalogue to FILE (.csv or .xlsx)")
    exp.add_argument("file", type=Path)
    watch = sub.add_parser("watch", help="check the official pages of published calls")
    watch.add_argument(
        "--once", action="store_true", required=True, help="run one check now and exit"
    )
    backup = sub.add_parser("backup", help="copy the database (also while the bot runs)")
    backup.add_argument("path", type=Path, help="the new file, or a folder for a dated name")
    restore = sub.add_parser("restore", help="replace the database with a checked backup")
    restore.add_argument("backup", type=Path)
    args = parser.parse_args(argv)

    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(problem["msg"] for problem in error.errors())
        print(f"Cannot start: the settings are not valid: {problems}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.bot_token is None and args.command in (None, "run"):
        for noisy in ("aiogram", "apscheduler", "bot.app", "bot.services"):
            logging.getLogger(noisy).setLevel(logging.WARNING)  # the console is a chat, not a log
    try:
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
        elif args.command == "seed":
            asyncio.run(_seed(settings, args.reload))
        elif args.command == "import":
            content = args.file.read_bytes()
            return asyncio.run(_import(settings, args.file.name, content, args.yes, args.lang))
        elif args.command == "watch":
            return asyncio.run(_watch_once(settings))
        elif args.command == "backup":
            target = args.path
            if target.is_dir():
                from bot.services.backups import dated_name

                target /= dated_name(settings.database_path, SystemClock().now(), settings.tz)
            return asyncio.run(_backup(settings, target))
        elif args.command == "restore":
            return asyncio.run(_restore(settings, args.backup))
        elif args.command == "export":
            content, count = asyncio.run(_export(settings, args.file.name))
            args.file.write_bytes(content)
            print(f"exported {count} calls to {args.file}")
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
