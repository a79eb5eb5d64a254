"""/stats: users by language, level and field, as an aligned table and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.stats import ACTIVE_DAYS, StatsRepo, UserCounts
from bot.domain.profile import Level
from bot.handlers.ui import show
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdminCb
from bot.texts.formatting import escape, fmt_number
from bot.texts.labels import field_label, level_label

router = Router(name="admin_stats")
LABEL_WIDTH = 24
NUMBER_WIDTH = 9
# Tables other features own; counted when they exist (reminders, saved calls).
OPTIONAL_TABLES = ("saved_calls", "subscriptions")


async def collect(stats: StatsRepo, now: datetime) -> list[tuple[str, str, UserCounts]]:
    """(section, label, counts) rows, in the admin's language."""
    rows: list[tuple[str, str, UserCounts]] = [(_("Users"), _("all"), await stats.users(now))]
    for code, counts in await stats.users_by("language", now):
        name = LANGUAGE_NAMES.get(code or "")
        label = name.split(" ", 1)[-1] if name else _("not chosen")  # the flag would misalign
        rows.append((_("By language"), label, counts))
    for code, counts in await stats.users_by("level", now):
        label = level_label(Level(code)) if code else _("not chosen")
        rows.append((_("By level"), label, counts))
    for field, counts in await stats.users_by_field(now):
        rows.append((_("By field"), field_label(field), counts))
    return rows


def render(
    rows: list[tuple[str, str, UserCounts]], extra: list[tuple[str, int]], locale: str
) -> str:
    def num(value: int) -> str:
        return fmt_number(value, locale).rjust(NUMBER_WIDTH)

    header = (
        " " * LABEL_WIDTH
        + _("total").rjust(NUMBER_WIDTH)
        + _("active").rjust(NUMBER_WIDTH)
        + _("blocked").rjust(NUMBER_WIDTH)
    )
    lines = [header]
    section = None
    for name, label, counts in rows:
        if name != section:
            lines.append(name)
            section = name
        label = ("  " + label)[:LABEL_WIDTH].ljust(LABEL_WIDTH)
        lines.append(label + num(counts.total) + num(counts.active) + num(counts.blocked))
    for label, value in extra:
        lines.append(label[:LABEL_WIDTH].ljust(LABEL_WIDTH) + num(value))
    note = _("Active: not blocked and seen in the last %(days)s days.") % {"days": ACTIVE_DAYS}
    return "📊 <b>" + _("Statistics") + "</b>\n<pre>" + escape("\n".join(lines)) + "</pre>\n" + note


async def _extra(stats: StatsRepo) -> list[tuple[str, int]]:
    labels = {"saved_calls": _("Saved calls"), "subscriptions": _("Subscriptions")}
    extra = []
    for table in OPTIONAL_TABLES:
        count = await stats.row_count(table)
        if count is not None:
            extra.append((labels[table], count))
    return extra


@router.message(Command("stats"))
@router.callback_query(AdminCb.filter(F.action == "stats"))
async def show_stats(
    event: Message | CallbackQuery,
    state: FSMContext,
    stats: StatsRepo,
    clock: Clock,
    i18n: I18n,
) -> None:
    await state.clear()  # /stats typed inside a wizard leaves it
    rows = await collect(stats, clock.now())
    await show(event, render(rows, await _extra(stats), i18n.current_locale), kb.stats_actions())
    if isinstance(event, CallbackQuery):
        await event.answer()


@router.callback_query(AdminCb.filter(F.action == "stats_csv"))
async def stats_csv(
    callback: CallbackQuery, bot: Bot, stats: StatsRepo, clock: Clock, settings: Settings
) -> None:
    now = clock.now()
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "group", "total", "active", "blocked"])
    for section, label, counts in await collect(stats, now):
        writer.writerow([section, label, counts.total, counts.active, counts.blocked])
    for label, value in await _extra(stats):
        writer.writerow([label, "", value, "", ""])
    day = now.astimezone(settings.tz).date().isoformat()
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(out.getvalue().encode("utf-8-sig"), filename=f"imkon-stats-{day}.csv"),
    )
    await callback.answer()
