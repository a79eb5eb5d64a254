"""/stats: users by language, level and field; saved calls, reminders, pushes and broadcasts;
as aligned tables and as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n, get_i18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.stats import StatsRepo
from bot.domain.profile import Level
from bot.domain.stats import ACTIVE_DAYS, JobOutcome, UserCounts, Window
from bot.handlers.ui import show
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards import admin as kb
from bot.keyboards.admin import AdminCb
from bot.texts.formatting import escape, fmt_datetime, fmt_number
from bot.texts.labels import field_label, level_label

LABEL_WIDTH = 24
NUMBER_WIDTH = 9


@dataclass
class Report:
    users: list[tuple[str, str, UserCounts]]  # (section, label, counts)
    activity: list[tuple[str, Window]]
    subscribers: int
    broadcasts: list[JobOutcome]
    arrivals: list[tuple[str, int]]  # (call, new students its shared link brought)


async def collect(stats: StatsRepo, now: datetime) -> Report:
    """Every figure of /stats, labelled in the admin's language."""
    rows: list[tuple[str, str, UserCounts]] = [(_("Users"), _("all"), await stats.users(now))]
    for code, counts in await stats.users_by_language(now):
        name = LANGUAGE_NAMES.get(code or "")
        label = name.split(" ", 1)[-1] if name else _("not chosen")  # the flag would misalign
        rows.append((_("By language"), label, counts))
    for code, counts in await stats.users_by_level(now):
        label = level_label(Level(code)) if code else _("not chosen")
        rows.append((_("By level"), label, counts))
    for field_, counts in await stats.users_by_field(now):
        rows.append((_("By field"), field_label(field_), counts))
    activity = [
        (_("Saved calls"), await stats.saved_calls(now)),
        (_("Reminders sent"), await stats.pushes_sent("reminder", now)),
        (_("New-call pushes sent"), await stats.pushes_sent("new_call", now)),
    ]
    locale = get_i18n().current_locale
    arrivals = [
        (f"#{a.call_id} {_title(a.titles, locale)}", a.students)
        for a in await stats.arrivals_by_call()
    ]
    return Report(rows, activity, await stats.subscribers(), await stats.broadcasts(), arrivals)


def _title(titles: dict[str, str], locale: str) -> str:
    for lang in (locale, "en", *sorted(titles)):
        if lang in titles:
            return titles[lang]
    return ""


def render(report: Report, locale: str, tz: ZoneInfo) -> str:
    def num(value: int) -> str:
        return fmt_number(value, locale).rjust(NUMBER_WIDTH)

    def cell(label: str) -> str:
        return label[:LABEL_WIDTH].ljust(LABEL_WIDTH)

    lines = [
        " " * LABEL_WIDTH
        + "".join(word.rjust(NUMBER_WIDTH) for word in (_("total"), _("active"), _("blocked")))
    ]
    section = None
    for name, label, counts in report.users:
        if name != section:
            lines.append(name)
            section = name
        lines.append(
            cell("  " + label) + num(counts.total) + num(counts.active) + num(counts.blocked)
        )
    parts = ["📊 <b>" + _("Statistics") + "</b>", "<pre>" + escape("\n".join(lines)) + "</pre>"]
    parts.append(
        _("Active: not blocked and seen in the last %(days)s days.") % {"days": ACTIVE_DAYS}
    )
    lines = [
        " " * LABEL_WIDTH
        + "".join(word.rjust(NUMBER_WIDTH) for word in (_("total"), _("7 days"), _("30 days")))
    ]
    for label, window in report.activity:
        lines.append(
            cell(label) + num(window.total) + num(window.last_7_days) + num(window.last_30_days)
        )
    lines.append(cell(_("Subscribers")) + num(report.subscribers))
    parts.append("<pre>" + escape("\n".join(lines)) + "</pre>")
    if report.arrivals:
        lines = [_("New students by the call whose link they opened:")]
        lines += [cell(label) + num(count) for label, count in report.arrivals]
        parts.append("<pre>" + escape("\n".join(lines)) + "</pre>")
    for job in report.broadcasts:
        parts.append(
            _("📣 Broadcast #%(id)s, %(date)s: sent %(sent)s, failed %(failed)s, left %(left)s")
            % {
                "id": job.job_id,
                "date": fmt_datetime(job.created_at, locale, tz),
                "sent": fmt_number(job.states.get("sent", 0), locale),
                "failed": fmt_number(job.states.get("failed", 0), locale),
                "left": fmt_number(
                    job.states.get("pending", 0) + job.states.get("sending", 0), locale
                ),
            }
        )
    return "\n".join(parts)


async def show_stats(
    event: Message | CallbackQuery,
    state: FSMContext,
    stats: StatsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    await state.clear()  # /stats typed inside a wizard leaves it
    report = await collect(stats, clock.now())
    await show(event, render(report, i18n.current_locale, settings.tz), kb.stats_actions())


async def stats_csv(
    callback: CallbackQuery, bot: Bot, stats: StatsRepo, clock: Clock, settings: Settings
) -> None:
    now = clock.now()
    report = await collect(stats, now)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["section", "group", "total", "active", "blocked", "last_7_days", "last_30_days"]
    )
    for section, label, counts in report.users:
        writer.writerow([section, label, counts.total, counts.active, counts.blocked, "", ""])
    for label, window in report.activity:
        writer.writerow(["", label, window.total, "", "", window.last_7_days, window.last_30_days])
    writer.writerow(["", _("Subscribers"), report.subscribers, "", "", "", ""])
    for label, count in report.arrivals:
        writer.writerow(["came_via_link", label, count, "", "", "", ""])
    for job in report.broadcasts:
        for job_state, count in sorted(job.states.items()):
            writer.writerow(["broadcast", f"#{job.job_id} {job_state}", count, "", "", "", ""])
    day = now.astimezone(settings.tz).date().isoformat()
    await bot.send_document(
        callback.from_user.id,
        BufferedInputFile(out.getvalue().encode("utf-8-sig"), filename=f"imkon-stats-{day}.csv"),
    )


def get_router() -> Router:
    router = Router(name="admin_stats")
    router.callback_query.register(show_stats, AdminCb.filter(F.action == "stats"))
    router.message.register(show_stats, Command("stats"))
    router.callback_query.register(stats_csv, AdminCb.filter(F.action == "stats_csv"))
    return router
