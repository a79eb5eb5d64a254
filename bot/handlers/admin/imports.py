"""Bulk import and export of the catalogue: the admin sends a CSV/XLSX file, sees every bad
row, and confirms before anything is written (then all rows in one transaction)."""

from __future__ import annotations

import asyncio
import html
import io
import logging
import re

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.clock import Clock
from bot.config import Settings
from bot.db.calls import CallsRepo
from bot.db.imports import PendingImportsRepo
from bot.filters import Magic
from bot.handlers.ui import alert, show
from bot.i18n import _, _n
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdminCb, ImportCb
from bot.services.catalog_files import (
    MAX_FILE_BYTES,
    FileProblem,
    export_rows,
    plan_import,
    template_csv,
    write_csv,
    write_xlsx,
)
from bot.services.catalogue_desk import CatalogueDesk
from bot.texts.admin import TERMS, file_problem_text, plan_report
from bot.texts.formatting import escape

log = logging.getLogger(__name__)


async def import_intro(callback: CallbackQuery) -> None:
    text = "\n".join(
        [
            _("📥 <b>Import calls</b>"),
            _(
                "Send me a %(csv)s file (%(utf8)s, comma or semicolon separated) or an "
                "%(xlsx)s file: one row per call, columns as in the template. Rows whose "
                "%(key)s already exists update that call; others are added."
            )
            % TERMS,
            _(
                "I check the whole file first and show every problem; nothing is written "
                "until you confirm."
            ),
        ]
    )
    await show(callback, text, kb.import_intro())


async def send_template(callback: CallbackQuery, bot: Bot) -> None:
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(template_csv(), filename="imkon-calls-template.csv"),
        caption=_("Template: fill one row per call and send the file back to me."),
    )


async def export(
    callback: CallbackQuery,
    callback_data: AdminCb,
    bot: Bot,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
) -> None:
    rows = export_rows(await calls.list_all(), settings.tz)
    day = clock.now().astimezone(settings.tz).date().isoformat()
    # Writing thousands of rows takes seconds: in a worker thread, not on the event loop.
    if callback_data.action == "export_xlsx":
        content, name = await asyncio.to_thread(write_xlsx, rows), f"imkon-calls-{day}.xlsx"
    else:
        content, name = await asyncio.to_thread(write_csv, rows), f"imkon-calls-{day}.csv"
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(content, filename=name),
        caption=_n(
            "Catalogue: %(count)s call. Edit and send it back to import.",
            "Catalogue: %(count)s calls. Edit and send it back to import.",
            len(rows),
        )
        % {"count": len(rows)},
    )


async def received_file(
    message: Message,
    bot: Bot,
    calls: CallsRepo,
    pending_imports: PendingImportsRepo,
    clock: Clock,
    settings: Settings,
) -> None:
    document = message.document
    assert document is not None and message.from_user is not None
    filename = document.file_name or "file"
    if document.file_size and document.file_size > MAX_FILE_BYTES:
        problem = FileProblem("too_big", limit_mb=MAX_FILE_BYTES // (1024 * 1024))
        await message.answer("⚠️ " + file_problem_text(problem))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    now = clock.now()
    try:
        plan = await plan_import(filename, buffer.getvalue(), calls, settings.tz, now)
    except FileProblem as problem:
        await message.answer(
            _("⚠️ Cannot import %(file)s: %(reason)s")
            % {"file": escape(filename), "reason": file_problem_text(problem)}
        )
        return
    import_id = await pending_imports.add(message.from_user.id, filename, plan.rows, now)
    report, full = plan_report(plan)
    if full is not None:
        await bot.send_document(
            message.chat.id,
            BufferedInputFile(_strip_tags(full).encode("utf-8"), filename=f"{filename}.report.txt"),
        )
    await show(message, report, kb.import_confirm(import_id, plan.to_write))


def _strip_tags(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class AlreadyApplied(RuntimeError):
    pass


async def confirm(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: ImportCb,
    pending_imports: PendingImportsRepo,
    desk: CatalogueDesk,
    clock: Clock,
    settings: Settings,
) -> None:
    pending = await pending_imports.get(callback_data.import_id)
    if pending is None or pending.applied:
        alert(callback_answer, _("This import was already written or cancelled."))
        return
    if callback_data.action == "drop":
        await pending_imports.drop(pending.id)
        await show(callback, _("Import cancelled. Nothing was written."))
        return
    now = clock.now()

    async def claim() -> None:
        if not await pending_imports.mark_applied(pending.id, now):
            raise AlreadyApplied

    try:
        result = await desk.import_rows(
            pending.rows,
            callback.from_user.id,
            now,
            now.astimezone(settings.tz).date(),
            before_write=claim,
        )
    except AlreadyApplied:
        alert(callback_answer, _("This import was already written or cancelled."))
        return
    except Exception:
        log.exception("import %s failed; nothing was written", pending.id)
        await show(
            callback,
            _("⚠️ The import failed and nothing was written. Try again, or send the file again."),
            kb.import_confirm(pending.id, len(pending.rows)),
        )
        return
    text = _(
        "✅ Import written: %(created)s new, %(updated)s updated, %(unchanged)s unchanged."
    ) % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    await show(callback, text, kb.import_intro())


def get_router() -> Router:
    router = Router(name="admin_imports")
    router.callback_query.register(import_intro, AdminCb.filter(F.action == "import"))
    router.callback_query.register(send_template, AdminCb.filter(F.action == "template"))
    router.callback_query.register(
        export, AdminCb.filter(F.action.in_({"export_csv", "export_xlsx"}))
    )
    router.message.register(received_file, StateFilter(None), Magic(F.document))
    router.callback_query.register(confirm, ImportCb.filter())
    return router
