"""Source watch: the last check of each watched URL, and the admins' attention items."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.domain.source_watch import ATTENTION_KINDS, AttentionItem, UrlCheck, WatchedCall


class SourceWatchRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- what to watch ------------------------------------------------------------------
    async def published_call_urls(self) -> list[WatchedCall]:
        rows = await self.db.fetchall(
            "SELECT id, official_url, source_url FROM calls WHERE status = 'published' ORDER BY id"
        )
        return [
            WatchedCall(r["id"], tuple(dict.fromkeys((r["official_url"], r["source_url"]))))
            for r in rows
        ]

    # -- url checks ---------------------------------------------------------------------
    async def last_check(self, url: str) -> UrlCheck | None:
        row = await self.db.fetchone("SELECT * FROM url_checks WHERE url = ?", (url,))
        if row is None:
            return None
        return UrlCheck(
            url=row["url"],
            status=row["status"],
            final_url=row["final_url"],
            checked_at=from_epoch(row["checked_at"]),
            etag=row["etag"],
            last_modified=row["last_modified"],
            content_type=row["content_type"],
            fingerprint=row["fingerprint"],
            text=row["text"],
            error=row["error"],
            consecutive_failures=row["consecutive_failures"],
        )

    async def save_check(self, check: UrlCheck) -> None:
        await self.db.execute(
            "INSERT INTO url_checks (url, status, final_url, checked_at, etag, last_modified,"
            " content_type, fingerprint, text, error, consecutive_failures)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (url) DO UPDATE SET status=excluded.status,"
            " final_url=excluded.final_url, checked_at=excluded.checked_at, etag=excluded.etag,"
            " last_modified=excluded.last_modified, content_type=excluded.content_type,"
            " fingerprint=excluded.fingerprint, text=excluded.text, error=excluded.error,"
            " consecutive_failures=excluded.consecutive_failures",
            (
                check.url,
                check.status,
                check.final_url,
                to_epoch(check.checked_at),
                check.etag,
                check.last_modified,
                check.content_type,
                check.fingerprint,
                check.text,
                check.error,
                check.consecutive_failures,
            ),
        )

    # -- attention items ------------------------------------------------------------------
    async def raise_item(
        self, call_id: int, kind: str, detail: dict[str, Any], now: datetime
    ) -> bool:
        """Open an item, or refresh the detail of the open one of this call and kind.
        Returns True when a new item was opened."""
        if kind not in ATTENTION_KINDS:
            raise ValueError(f"unknown attention kind {kind!r}")
        stamp = to_epoch(now)
        async with self.db.transaction():
            updated = await self.db.fetchval(
                "UPDATE attention_items SET detail = ?, updated_at = ?"
                " WHERE call_id = ? AND kind = ? AND resolved_at IS NULL RETURNING id",
                (json.dumps(detail, ensure_ascii=False), stamp, call_id, kind),
            )
            if updated is not None:
                return False
            await self.db.execute(
                "INSERT INTO attention_items (call_id, kind, detail, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (call_id, kind, json.dumps(detail, ensure_ascii=False), stamp, stamp),
            )
        return True

    async def open_item(self, call_id: int, kind: str) -> AttentionItem | None:
        rows = await self._items("AND call_id = ? AND kind = ?", (call_id, kind))
        return rows[0] if rows else None

    async def open_items(self, call_id: int | None = None) -> list[AttentionItem]:
        if call_id is None:
            return await self._items("", ())
        return await self._items("AND call_id = ?", (call_id,))

    async def _items(self, where: str, params: tuple[Any, ...]) -> list[AttentionItem]:
        rows = await self.db.fetchall(
            "SELECT id, call_id, kind, detail, created_at, updated_at FROM attention_items"
            f" WHERE resolved_at IS NULL {where} ORDER BY created_at, id",
            params,
        )
        return [
            AttentionItem(
                r["id"],
                r["call_id"],
                r["kind"],
                json.loads(r["detail"]),
                from_epoch(r["created_at"]),
                from_epoch(r["updated_at"]),
            )
            for r in rows
        ]

    async def resolve_call(self, call_id: int, actor: int | None, now: datetime) -> int:
        """Close every open item of the call; returns how many were open."""
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "UPDATE attention_items SET resolved_at = ?, resolved_by = ?"
                " WHERE call_id = ? AND resolved_at IS NULL",
                (to_epoch(now), actor, call_id),
            )
            after = await self.db.fetchval("SELECT total_changes()")
        return after - before

    async def stale_call_ids(self, verified_before: date) -> list[int]:
        """Published calls last verified before the given day."""
        rows = await self.db.fetchall(
            "SELECT id FROM calls WHERE status = 'published' AND verified_on < ? ORDER BY id",
            (verified_before.isoformat(),),
        )
        return [r["id"] for r in rows]

    async def set_verified_on(self, call_id: int, day: date, now: datetime) -> None:
        await self.db.execute(
            "UPDATE calls SET verified_on = ?, updated_at = ? WHERE id = ?",
            (day.isoformat(), to_epoch(now), call_id),
        )

    async def admin_ids(self) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM roles WHERE role = 'admin' ORDER BY user_id"
        )
        return [r["user_id"] for r in rows]
