"""Channel posts: which channel carries which call (and its message id), and the calls an
admin keeps out of the channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_epoch
from bot.db.connection import Database


@dataclass(frozen=True, slots=True)
class ChannelPost:
    call_id: int
    chat_id: int
    locale: str
    message_id: int | None  # None until Telegram accepted the post
    revision: int


class ChannelPostsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def kept_off(self, call_id: int) -> bool:
        value = await self.db.fetchval(
            "SELECT kept_off_channels FROM calls WHERE id = ?", (call_id,)
        )
        return bool(value)

    async def set_kept_off(self, call_id: int, kept_off: bool) -> None:
        await self.db.execute(
            "UPDATE calls SET kept_off_channels = ? WHERE id = ?", (int(kept_off), call_id)
        )

    async def plan(self, call_id: int, chat_id: int, locale: str, now: datetime) -> None:
        """The call's post to this channel is queued (once: again is a no-op)."""
        stamp = to_epoch(now)
        await self.db.execute(
            "INSERT INTO channel_posts (call_id, chat_id, locale, created_at, updated_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT (call_id, chat_id) DO NOTHING",
            (call_id, chat_id, locale, stamp, stamp),
        )

    async def get(self, call_id: int, chat_id: int) -> ChannelPost | None:
        row = await self.db.fetchone(
            "SELECT call_id, chat_id, locale, message_id, revision FROM channel_posts"
            " WHERE call_id = ? AND chat_id = ?",
            (call_id, chat_id),
        )
        return None if row is None else ChannelPost(*row)

    async def of_call(self, call_id: int) -> list[ChannelPost]:
        rows = await self.db.fetchall(
            "SELECT call_id, chat_id, locale, message_id, revision FROM channel_posts"
            " WHERE call_id = ? ORDER BY chat_id",
            (call_id,),
        )
        return [ChannelPost(*row) for row in rows]

    async def posted(self, call_id: int, chat_id: int, message_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE channel_posts SET message_id = ?, updated_at = ?"
            " WHERE call_id = ? AND chat_id = ?",
            (message_id, to_epoch(now), call_id, chat_id),
        )

    async def next_revisions(self, call_id: int, now: datetime) -> list[ChannelPost]:
        """A change to pass on: every post of the call gets its next revision."""
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE channel_posts SET revision = revision + 1, updated_at = ?"
                " WHERE call_id = ?",
                (to_epoch(now), call_id),
            )
            return await self.of_call(call_id)

    async def retry_refused_posts(self, call_id: int, kind: str, now: datetime) -> int:
        """The call's posts that a channel refused go out again (the admin fixed its rights
        and let the call in again); returns how many."""
        stamp = to_epoch(now)
        async with self.db.transaction():
            before = await self.db.fetchval("SELECT total_changes()")
            await self.db.execute(
                "UPDATE outbox SET state = 'pending', attempts = 0, due_at = ?, reason = NULL,"
                " updated_at = ? WHERE call_id = ? AND kind = ? AND state = 'failed'"
                " AND user_id IN (SELECT chat_id FROM channel_posts"
                " WHERE call_id = ? AND message_id IS NULL)",
                (stamp, stamp, call_id, kind, call_id),
            )
            return int(await self.db.fetchval("SELECT total_changes()") - before)

    async def post_push_state(self, call_id: int, chat_id: int, kind: str) -> str | None:
        """The outbox state of the post's own push (is it still on its way?)."""
        value = await self.db.fetchval(
            "SELECT state FROM outbox WHERE user_id = ? AND call_id = ? AND kind = ? AND slot = 0",
            (chat_id, call_id, kind),
        )
        return None if value is None else str(value)
