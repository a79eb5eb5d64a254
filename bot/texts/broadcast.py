"""Texts of /broadcast: progress and final report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.pushes import PushState
from bot.i18n import _, _n
from bot.texts.formatting import escape


def recipients(count: int) -> str:
    return _n(
        "Recipients: %(count)s active user. Nothing is sent before you confirm.",
        "Recipients: %(count)s active users. Nothing is sent before you confirm.",
        count,
    ) % {"count": count}


def _left(counts: dict[PushState, int]) -> int:
    return counts.get(PushState.PENDING, 0) + counts.get(PushState.SENDING, 0)


def progress(
    job_id: int, payload: dict[str, Any], counts: dict[PushState, int], now: datetime
) -> str:
    sent = counts.get(PushState.SENT, 0)
    failed = counts.get(PushState.FAILED, 0) + counts.get(PushState.SKIPPED, 0)
    left = _left(counts)
    elapsed = max(1.0, now.timestamp() - float(payload.get("started_at") or now.timestamp()))
    rate = sent / elapsed
    eta = round(left / rate) if rate > 0 else None
    title = (
        _("⏸ Broadcast #%(id)s is paused") if payload.get("paused") else _("📣 Broadcast #%(id)s")
    ) % {"id": job_id}
    lines = [
        f"<b>{title}</b>",
        _("Sent: %(sent)s · failed: %(failed)s · left: %(left)s")
        % {"sent": sent, "failed": failed, "left": left},
        _("Rate: %(rate)s msg/s") % {"rate": f"{rate:.1f}"},
    ]
    if eta is not None and not payload.get("paused"):
        lines.append(_("Time left: about %(minutes)s min") % {"minutes": max(1, -(-eta // 60))})
    return "\n".join(lines)


def final_report(job_id: int, counts: dict[PushState, int], failures: list[tuple[int, str]]) -> str:
    lines = [
        "<b>" + _("✅ Broadcast #%(id)s finished") % {"id": job_id} + "</b>",
        _("Sent: %(sent)s · failed: %(failed)s · skipped: %(skipped)s · cancelled: %(cancelled)s")
        % {
            "sent": counts.get(PushState.SENT, 0),
            "failed": counts.get(PushState.FAILED, 0),
            "skipped": counts.get(PushState.SKIPPED, 0),
            "cancelled": counts.get(PushState.CANCELLED, 0),
        },
    ]
    if failures:
        lines.append(_("Failures:"))
        lines += [f"• {user_id}: {escape(reason or '')}" for user_id, reason in failures]
    return "\n".join(lines)
