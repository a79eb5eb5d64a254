"""What /healthz and /metrics read from the database: cheap aggregate queries, run when a
probe or a scrape asks (nothing is kept between two scrapes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.audience import BROADCAST


@dataclass(frozen=True, slots=True)
class MonitoringSnapshot:
    """The database's side of the metrics at one moment."""

    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, state) → pushes
    broadcasts: dict[tuple[int, str], int] = field(default_factory=dict)  # (job, state) → pushes
    watched_urls: dict[str, int] = field(default_factory=dict)  # ok / failing → URLs
    attention_open: dict[str, int] = field(default_factory=dict)  # changed / moved / gone
    oldest_due_push: datetime | None = None
    oldest_waiting_ticket: datetime | None = None


class MonitoringRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ping(self) -> bool:
        return await self.db.fetchval("SELECT 1") == 1

    async def oldest_due_push(self, now: datetime) -> datetime | None:
        """The due moment of the longest-waiting push the delivery loop should have sent
        (pending, due, to a user who has not blocked the bot or to a channel: what
        `OutboxRepo.due` reads)."""
        seconds = await self.db.fetchval(
            "SELECT MIN(o.due_at) FROM outbox o LEFT JOIN users u ON u.id = o.user_id"
            " WHERE o.state = 'pending' AND o.due_at <= ?"
            " AND (u.is_active = 1 OR o.user_id < 0)",
            (to_epoch(now),),
        )
        return from_epoch(seconds)

    async def oldest_waiting_ticket(self) -> datetime | None:
        """Since when the longest-waiting open ticket waits for a coordinator's answer."""
        seconds = await self.db.fetchval(
            "SELECT MIN(COALESCE(waiting_since, created_at)) FROM tickets WHERE status = 'open'"
        )
        return from_epoch(seconds)

    async def snapshot(self, now: datetime) -> MonitoringSnapshot:
        outbox = await self.db.fetchall(
            "SELECT kind, state, COUNT(*) AS n FROM outbox GROUP BY kind, state"
        )
        # Broadcasts still under way: every state of each job that has pushes left to send.
        broadcasts = await self.db.fetchall(
            "SELECT o.job_id, o.state, COUNT(*) AS n FROM outbox o"
            " JOIN delivery_jobs j ON j.id = o.job_id"
            " WHERE j.kind = ? AND o.job_id IN (SELECT job_id FROM outbox"
            "  WHERE job_id IS NOT NULL AND state IN ('pending', 'sending'))"
            " GROUP BY o.job_id, o.state",
            (BROADCAST,),
        )
        urls = await self.db.fetchall(
            "SELECT CASE WHEN consecutive_failures > 0 THEN 'failing' ELSE 'ok' END AS result,"
            " COUNT(*) AS n FROM url_checks GROUP BY result"
        )
        attention = await self.db.fetchall(
            "SELECT kind, COUNT(*) AS n FROM attention_items WHERE resolved_at IS NULL"
            " GROUP BY kind"
        )
        return MonitoringSnapshot(
            outbox={(r["kind"], r["state"]): r["n"] for r in outbox},
            broadcasts={(r["job_id"], r["state"]): r["n"] for r in broadcasts},
            watched_urls={r["result"]: r["n"] for r in urls},
            attention_open={r["kind"]: r["n"] for r in attention},
            oldest_due_push=await self.oldest_due_push(now),
            oldest_waiting_ticket=await self.oldest_waiting_ticket(),
        )
