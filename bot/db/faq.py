"""FAQ entries maintained by admins (`/faq`), offered before a question is escalated."""

from __future__ import annotations

import builtins
from datetime import datetime
from sqlite3 import Row

from bot.clock import to_epoch
from bot.db.connection import Database
from bot.domain.tickets import FaqEntry


def _entry(row: Row) -> FaqEntry:
    return FaqEntry(
        id=row["id"],
        lang=row["lang"],
        programme_code=row["programme_code"],
        question=row["question"],
        answer=row["answer"],
    )


class FaqRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        lang: str,
        programme_code: str | None,
        question: str,
        answer: str,
        by: int,
        now: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO faq_entries (lang, programme_code, question, answer, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (lang, programme_code, question, answer, by, to_epoch(now)),
        )

    async def delete(self, entry_id: int) -> bool:
        exists = await self.db.fetchval("SELECT 1 FROM faq_entries WHERE id = ?", (entry_id,))
        if not exists:
            return False
        await self.db.execute("DELETE FROM faq_entries WHERE id = ?", (entry_id,))
        return True

    async def get(self, entry_id: int) -> FaqEntry | None:
        row = await self.db.fetchone("SELECT * FROM faq_entries WHERE id = ?", (entry_id,))
        return None if row is None else _entry(row)

    async def list(self, lang: str | None = None) -> builtins.list[FaqEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM faq_entries WHERE ? IS NULL OR lang = ?"
            " ORDER BY lang, programme_code IS NOT NULL, programme_code, id",
            (lang, lang),
        )
        return [_entry(r) for r in rows]

    async def candidates(self, lang: str, programme_code: str | None) -> builtins.list[FaqEntry]:
        """Entries in the student's language: the programme's and the general ones; for a
        general question, every entry in that language."""
        rows = await self.db.fetchall(
            "SELECT * FROM faq_entries WHERE lang = ? AND (? IS NULL OR programme_code IS NULL"
            " OR programme_code = ?) ORDER BY id",
            (lang, programme_code, programme_code),
        )
        return [_entry(r) for r in rows]
