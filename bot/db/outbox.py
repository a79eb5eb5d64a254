"""The outbox: every push the bot sends on its own initiative, one row each, with its state.

pending → sending → sent, or back to pending (retry later), or failed (with a reason);
pending → cancelled / skipped when the push lost its point before going out.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from sqlite3 import Row
from typing import Any

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.pushes import FinishedJob, NewPush, Push, PushState

PUSH_COLUMNS = (
    "o.id, o.user_id, o.call_id, o.kind, o.slot, o.job_id, o.due_at, o.state, o.attempts,"
    " o.reason, o.payload"
)
# The final figures a finished job keeps on its row (migration 0016), by state.
FINAL_COUNT_COLUMNS = {
    PushState.SENT: "sent_count",
    PushState.FAILED: "failed_count",
    PushState.SKIPPED: "skipped_count",
    PushState.CANCELLED: "cancelled_count",
}
# A job is fully enqueued once its creator recorded the `total` in its payload; one whose
# creator died while enqueueing never does, and after this long nobody still adds to it.
ENQUEUE_GRACE = timedelta(days=1)
PURGE_BATCH = 20_000  # outbox rows deleted per transaction, so sending is never held up long


def _push(row: Row) -> Push:
    return Push(
        id=row["id"],
        user_id=row["user_id"],
        call_id=row["call_id"],
        kind=row["kind"],
        slot=row["slot"],
        job_id=row["job_id"],
        due_at=from_epoch(row["due_at"]),
        state=PushState(row["state"]),
        attempts=row["attempts"],
        reason=row["reason"],
        payload={} if row["payload"] == "{}" else json.loads(row["payload"]),
    )


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- planning -------------------------------------------------------------------------
    async def add(self, pushes: Iterable[NewPush], now: datetime, job_id: int | None = None) -> int:
        """Insert pushes that do not exist yet (by identity); returns how many were new."""
        rows = [
            (
                p.user_id,
                p.call_id,
                p.kind,
                p.slot,
                job_id,
                to_epoch(p.due_at),
                json.dumps(p.payload, ensure_ascii=False),
                to_epoch(now),
                to_epoch(now),
            )
            for p in pushes
        ]
        if not rows:
            return 0
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.executemany(
                "INSERT INTO outbox (user_id, call_id, kind, slot, job_id, due_at, payload,"
                " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (user_id, call_id, kind, slot) DO NOTHING",
                rows,
            )
            after = await self.db.fetchval("SELECT total_changes()")
        return after - before

    async def plan(
        self, user_id: int, call_id: int, kind: str, due: dict[int, datetime], now: datetime
    ) -> None:
        """Make the not-yet-sent pushes of (user, call, kind) exactly `due` (slot → moment).

        New slots are added, pending ones move, cancelled or skipped ones come back; pending
        slots not in `due` are cancelled. Sent and failed pushes stay as they are.
        """
        stamp = to_epoch(now)
        async with self.db.transaction():
            await self.db.executemany(
                "INSERT INTO outbox (user_id, call_id, kind, slot, due_at, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT (user_id, call_id, kind, slot) DO UPDATE"
                " SET due_at = excluded.due_at, state = 'pending', reason = NULL,"
                " updated_at = excluded.updated_at"
                " WHERE outbox.state IN ('pending', 'cancelled', 'skipped')"
                " AND (outbox.due_at != excluded.due_at OR outbox.state != 'pending')",
                [
                    (user_id, call_id, kind, slot, to_epoch(moment), stamp, stamp)
                    for slot, moment in due.items()
                ],
            )
            slots = list(due)
            marks = ",".join("?" * len(slots))
            keep = f" AND slot NOT IN ({marks})" if slots else ""
            await self.db.execute(
                "UPDATE outbox SET state = 'cancelled', reason = 'no longer planned',"
                " updated_at = ? WHERE user_id = ? AND call_id = ? AND kind = ?"
                f" AND state = 'pending'{keep}",
                (stamp, user_id, call_id, kind, *slots),
            )

    async def cancel(
        self,
        reason: str,
        now: datetime,
        *,
        user_id: int | None = None,
        call_id: int | None = None,
        kind: str | None = None,
        job_id: int | None = None,
    ) -> int:
        """Cancel pending pushes matching every given criterion; returns how many."""
        clauses, params = ["state = 'pending'"], []
        for column, value in (
            ("user_id", user_id),
            ("call_id", call_id),
            ("kind", kind),
            ("job_id", job_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "UPDATE outbox SET state = 'cancelled', reason = ?, updated_at = ?"
                f" WHERE {' AND '.join(clauses)}",
                (reason, to_epoch(now), *params),
            )
            return await self.db.fetchval("SELECT total_changes()") - before

    # -- dispatching ----------------------------------------------------------------------
    async def due(self, now: datetime, limit: int = 500) -> list[Push]:
        """Pending pushes whose moment has come, for users who have not blocked the bot, and
        for channels (negative chat ids: no user row; a refusal fails the push instead)."""
        rows = await self.db.fetchall(
            f"SELECT {PUSH_COLUMNS} FROM outbox o LEFT JOIN users u ON u.id = o.user_id"
            " WHERE o.state = 'pending' AND o.due_at <= ?"
            " AND (u.is_active = 1 OR o.user_id < 0)"
            " ORDER BY o.due_at, o.id LIMIT ?",
            (to_epoch(now), limit),
        )
        return [_push(r) for r in rows]

    async def claim(self, push_id: int, now: datetime) -> bool:
        """pending → sending, written before the send; False if someone else moved it."""
        async with self.db.transaction():
            row = await self.db.fetchone(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?"
                " WHERE id = ? AND state = 'pending' RETURNING id",
                (to_epoch(now), push_id),
            )
        return row is not None

    async def mark_sent(self, push_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ?, reason = NULL"
            " WHERE id = ?",
            (to_epoch(now), to_epoch(now), push_id),
        )

    async def release(
        self, push_id: int, due_at: datetime, reason: str | None, now: datetime, *, refund: bool
    ) -> None:
        """Back to pending until `due_at` (a retry, a deferral); `refund` gives back the
        attempt `claim` counted (a 429 is Telegram's pacing, not a failed try)."""
        await self.db.execute(
            "UPDATE outbox SET state = 'pending', due_at = ?, reason = ?, updated_at = ?,"
            " attempts = attempts - ? WHERE id = ?",
            (to_epoch(due_at), reason, to_epoch(now), 1 if refund else 0, push_id),
        )

    async def finish(self, push_id: int, state: PushState, reason: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = ?, reason = ?, updated_at = ? WHERE id = ?",
            (state.value, reason, to_epoch(now), push_id),
        )

    async def give_back(
        self, push_id: int, attempts: int, due_at: datetime | None, reason: str, now: datetime
    ) -> None:
        """Sending broke outside Telegram's answers: with `attempts` counted, back to pending
        until `due_at`, or failed when `due_at` is None. Only a push still pending or
        sending is touched (one already recorded sent, failed or cancelled stays so)."""
        await self.db.execute(
            "UPDATE outbox SET state = ?, due_at = coalesce(?, due_at), attempts = ?,"
            " reason = ?, updated_at = ? WHERE id = ? AND state IN ('pending', 'sending')",
            (
                PushState.FAILED.value if due_at is None else PushState.PENDING.value,
                None if due_at is None else to_epoch(due_at),
                attempts,
                reason,
                to_epoch(now),
                push_id,
            ),
        )

    async def recover_in_flight(self, now: datetime, claimed_before: datetime | None = None) -> int:
        """Pushes left 'sending' may or may not have reached Telegram; send them again (at
        most one repeat each) rather than lose them. At start every one of them (a crash
        left them); while running only those claimed before `claimed_before`, long enough
        ago that nobody can still be sending them."""
        stuck = "" if claimed_before is None else " AND updated_at < ?"
        params = () if claimed_before is None else (to_epoch(claimed_before),)
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "UPDATE outbox SET state = 'pending', reason = 'interrupted while sending',"
                f" updated_at = ? WHERE state = 'sending'{stuck}",
                (to_epoch(now), *params),
            )
            return await self.db.fetchval("SELECT total_changes()") - before

    async def pending_for(self, user_id: int, call_id: int, kind: str) -> list[Push]:
        rows = await self.db.fetchall(
            f"SELECT {PUSH_COLUMNS} FROM outbox o WHERE o.user_id = ? AND o.call_id = ?"
            " AND o.kind = ? AND o.state = 'pending' ORDER BY o.due_at",
            (user_id, call_id, kind),
        )
        return [_push(r) for r in rows]

    async def get(self, push_id: int) -> Push | None:
        row = await self.db.fetchone(
            f"SELECT {PUSH_COLUMNS} FROM outbox o WHERE o.id = ?", (push_id,)
        )
        return None if row is None else _push(row)

    async def list(
        self, *, user_id: int | None = None, kind: str | None = None, job_id: int | None = None
    ) -> list[Push]:
        clauses, params = ["1 = 1"], []
        for column, value in (("user_id", user_id), ("kind", kind), ("job_id", job_id)):
            if value is not None:
                clauses.append(f"o.{column} = ?")
                params.append(value)
        rows = await self.db.fetchall(
            f"SELECT {PUSH_COLUMNS} FROM outbox o WHERE {' AND '.join(clauses)}"
            " ORDER BY o.due_at, o.id",
            params,
        )
        return [_push(r) for r in rows]

    # -- jobs -----------------------------------------------------------------------------
    async def create_job(
        self, kind: str, created_by: int | None, payload: dict[str, Any], now: datetime
    ) -> int:
        return await self.db.execute(
            "INSERT INTO delivery_jobs (kind, created_by, payload, created_at) VALUES (?,?,?,?)",
            (kind, created_by, json.dumps(payload, ensure_ascii=False), to_epoch(now)),
        )

    async def job_payload(self, job_id: int) -> dict[str, Any] | None:
        raw = await self.db.fetchval("SELECT payload FROM delivery_jobs WHERE id = ?", (job_id,))
        return None if raw is None else json.loads(raw)

    async def counts(self, job_id: int | None = None) -> dict[PushState, int]:
        where, params = ("WHERE job_id = ?", (job_id,)) if job_id is not None else ("", ())
        rows = await self.db.fetchall(
            f"SELECT state, count(*) AS n FROM outbox {where} GROUP BY state", params
        )
        counts = dict.fromkeys(PushState, 0)
        counts.update({PushState(r["state"]): r["n"] for r in rows})
        return counts

    async def finish_jobs(self, now: datetime, job_id: int | None = None) -> int:
        """Store the final figures of every job (or of `job_id`) that is fully enqueued and
        has no push left pending or sending; returns how many jobs finished now.

        One statement: the figures and the check that nothing is left are one snapshot. A
        job stored once is never stored again (its rows may be purged since), so a restart
        between storing and purging neither counts it twice nor loses its figures."""
        counts = ", ".join(
            f"{column} = (SELECT count(*) FROM outbox o WHERE o.job_id = delivery_jobs.id"
            f" AND o.state = '{state.value}')"
            for state, column in FINAL_COUNT_COLUMNS.items()
        )
        only = "" if job_id is None else " AND id = ?"
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "UPDATE delivery_jobs SET finished_at = coalesce("
                " (SELECT max(o.updated_at) FROM outbox o WHERE o.job_id = delivery_jobs.id),"
                f" created_at), {counts}"
                " WHERE finished_at IS NULL"
                " AND (json_extract(payload, '$.total') IS NOT NULL OR created_at < ?)"
                " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = delivery_jobs.id"
                f" AND o.state IN ('pending', 'sending')){only}",
                (to_epoch(now - ENQUEUE_GRACE), *(() if job_id is None else (job_id,))),
            )
            return await self.db.fetchval("SELECT total_changes()") - before

    async def finished_job(self, job_id: int) -> FinishedJob | None:
        """The stored figures of a finished job; None while it runs (count it live)."""
        row = await self.db.fetchone(
            "SELECT finished_at, "
            + ", ".join(FINAL_COUNT_COLUMNS.values())
            + " FROM delivery_jobs WHERE id = ? AND finished_at IS NOT NULL",
            (job_id,),
        )
        if row is None:
            return None
        counts = dict.fromkeys(PushState, 0)
        counts.update({state: row[column] for state, column in FINAL_COUNT_COLUMNS.items()})
        return FinishedJob(finished_at=from_epoch(row["finished_at"]), counts=counts)

    async def failures(self, job_id: int, limit: int = 20) -> builtins.list[tuple[int, str]]:
        rows = await self.db.fetchall(
            "SELECT user_id, reason FROM outbox WHERE job_id = ? AND state = 'failed'"
            " ORDER BY id LIMIT ?",
            (job_id, limit),
        )
        return [(r["user_id"], r["reason"] or "") for r in rows]

    # -- housekeeping ---------------------------------------------------------------------
    async def expire_stale(self, due_before: datetime, now: datetime) -> int:
        """Pending pushes long overdue (their user went silent) will never go: skip them."""
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "UPDATE outbox SET state = 'skipped', reason = 'expired', updated_at = ?"
                " WHERE state = 'pending' AND due_at < ?",
                (to_epoch(now), to_epoch(due_before)),
            )
            return await self.db.fetchval("SELECT total_changes()") - before

    async def purge_finished(
        self, older_than: datetime, jobs_finished_before: datetime | None = None
    ) -> int:
        """Forget delivered, cancelled and skipped pushes past their use (failed ones stay
        for the record). A reminder row must outlive its call's deadline so that it can
        never be planned again: callers pass a cut-off well after that.

        A job's pushes (a broadcast's) go all together, failed ones too, once the job
        finished before `jobs_finished_before` (default `older_than`): its final figures
        are stored first (`finish_jobs`, which also fills in jobs finished before migration
        0016), so its report and /stats keep showing them. A job with a push left pending
        or sending is never touched."""
        jobs_before = older_than if jobs_finished_before is None else jobs_finished_before
        # As of the cut-off: a job created before it without a recorded total is complete.
        await self.finish_jobs(jobs_before + ENQUEUE_GRACE)
        purged = 0
        for job_id in await self.db.fetchall(
            "SELECT id FROM delivery_jobs WHERE finished_at < ?"
            " AND EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = delivery_jobs.id)"
            " ORDER BY id",
            (to_epoch(jobs_before),),
        ):
            purged += await self._purge_job(job_id[0])
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "DELETE FROM outbox WHERE state IN ('sent', 'cancelled', 'skipped')"
                " AND job_id IS NULL AND updated_at < ?",
                (to_epoch(older_than),),
            )
            return purged + await self.db.fetchval("SELECT total_changes()") - before

    async def _purge_job(self, job_id: int) -> int:
        """Delete a finished job's pushes in batches (none can come back to pending: only
        pending pushes are ever moved, and a finished job has none)."""
        purged = 0
        while True:
            async with self.db.transaction():
                before = await self.db.fetchval("SELECT total_changes()")
                await self.db.execute(
                    "DELETE FROM outbox WHERE id IN"
                    " (SELECT id FROM outbox WHERE job_id = ? LIMIT ?)",
                    (job_id, PURGE_BATCH),
                )
                deleted = await self.db.fetchval("SELECT total_changes()") - before
            purged += deleted
            if deleted < PURGE_BATCH:
                return purged
