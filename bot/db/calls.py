"""Calls: reading with the student's filter, full-text search, and writing."""

from __future__ import annotations

from datetime import date, datetime
from sqlite3 import Row

from bot.clock import from_epoch, to_epoch
from bot.db.connection import Database
from bot.db.search_index import OpenCallIndex
from bot.domain.calls import Call, CallText, Programme
from bot.domain.pages import Page
from bot.domain.profile import (
    CallFilter,
    CallStatus,
    Funding,
    fields_to_mask,
    levels_to_mask,
    mask_to_fields,
    mask_to_levels,
)
from bot.domain.translit import fold, fts_term, search_terms

CALL_COLUMNS = """
    c.id, c.external_id, c.status, c.levels_mask, c.fields_mask, c.funding,
    c.language_requirement, c.min_age, c.max_age, c.min_work_years, c.opens_at,
    c.deadline_at, c.deadline_tz, c.dates_typical, c.official_url, c.source_url,
    c.verified_on, c.yearly, c.next_round_of, c.min_ielts, c.min_toefl, c.min_duolingo,
    c.min_german, c.uz_citizens_only,
    p.code AS programme_code, p.name AS programme_name, p.website
"""


def _open_conditions(now: datetime) -> tuple[str, list[object]]:
    return (
        "c.status = 'published' AND (c.deadline_at IS NULL OR c.deadline_at > ?)",
        [to_epoch(now)],
    )


def _facet_clauses(
    flt: CallFilter, now: datetime, t: str, call_id: str, deadline: str
) -> tuple[list[str], list[object]]:
    """Fields and the optional facets as SQL over table alias `t` (`calls c` or
    `call_filter f`, which name the call id and the deadline differently)."""
    clauses = [f"({t}.fields_mask & ?) != 0"]
    params: list[object] = [flt.fields_mask]
    if flt.programme is not None:
        clauses.append(f"{t}.programme_id = (SELECT id FROM programmes WHERE code = ?)")
        params.append(flt.programme)
    if flt.funding is not None:
        clauses.append(f"{t}.funding = ?")
        params.append(flt.funding.value)
    if flt.country is not None:
        # One probe of the (country, call_id) index, not a subquery per open call.
        clauses.append(f"{call_id} IN (SELECT call_id FROM call_countries WHERE country = ?)")
        params.append(flt.country)
    if flt.window_days is not None:
        # call_filter keys rolling calls at the largest integer, so this drops them too.
        clauses.append(f"{deadline} IS NOT NULL AND {deadline} <= ?")
        params.append(to_epoch(now) + flt.window_days * 86400)
    if flt.eligible and flt.failed:
        marks = ",".join("?" * len(flt.failed))
        clauses.append(f"{call_id} NOT IN ({marks})")
        params.extend(sorted(flt.failed))
    return clauses, params


def _filter_conditions(flt: CallFilter, now: datetime) -> tuple[str, list[object]]:
    """The student's filter as SQL over `calls c` (no join needed), open-ness aside."""
    clauses, params = _facet_clauses(flt, now, "c", "c.id", "c.deadline_at")
    if flt.level is not None:
        clauses.insert(0, "(c.levels_mask & ?) != 0")
        params.insert(0, flt.level.bit)
    return " AND ".join(clauses), params


# Open calls by nearest deadline (then id); rolling calls (no deadline) come last, by id.
# Dated and rolling calls are read apart so that each walks the (status, deadline_at) index
# in this very order: no sort of every match, and a page stops after its few rows.
# (bench/queries.py measured it: one ORDER BY "deadline_at IS NULL, …" sorted all matches.)
DATED = "c.status = 'published' AND c.deadline_at > ?"
ROLLING = "c.status = 'published' AND c.deadline_at IS NULL"
# The published calls in the product's order, for the search index (bot/db/search_index.py).
PUBLISHED_IN_ORDER = (
    "SELECT id, deadline_at FROM calls WHERE status = 'published'"
    " ORDER BY deadline_at IS NULL, deadline_at, id"
)
# As many words as a search heeds; the rest of a long query is ignored.
SEARCH_TERMS = 10
QUICK_HYDRATE = 50


class CallsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._index: OpenCallIndex | None = None

    async def find(self, flt: CallFilter, now: datetime, page: int = 0, page_size: int = 5) -> Page:
        if flt.level is not None:
            return await self._find_at_level(flt, now, page, page_size)
        condition, params = _filter_conditions(flt, now)
        epoch = to_epoch(now)
        # Each count walks its own range of the deadline index.
        counts = await self.db.aggregate(
            f"SELECT (SELECT count(*) FROM calls c WHERE {DATED} AND {condition}),"
            f" (SELECT count(*) FROM calls c WHERE {ROLLING} AND {condition})",
            [epoch, *params, *params],
        )
        return await self._open_page(
            condition, params, epoch, counts[0], counts[1], page, page_size
        )

    async def _find_at_level(
        self, flt: CallFilter, now: datetime, page: int, page_size: int
    ) -> Page:
        """The usual case: one walk of call_filter's (level, status, deadline) b-tree, in the
        product's order (rolling calls carry the largest deadline_key, so they come last)."""
        assert flt.level is not None
        facets, facet_params = _facet_clauses(flt, now, "f", "f.call_id", "f.deadline_key")
        clauses = ["f.level_bit = ?", "f.status = 'published'", "f.deadline_key > ?", *facets]
        params: list[object] = [flt.level.bit, to_epoch(now), *facet_params]
        where = " AND ".join(clauses)
        total = await self.db.quick_fetchval(
            f"SELECT count(*) FROM call_filter f WHERE {where}", params
        )
        page = max(0, min(page, max(0, (total - 1) // page_size)))
        # CROSS JOIN keeps call_filter the outer loop: the page is read in index order and
        # only its few calls are looked up.
        rows = await self.db.quick_fetchall(
            f"SELECT {CALL_COLUMNS} FROM call_filter f CROSS JOIN calls c ON c.id = f.call_id"
            f" JOIN programmes p ON p.id = c.programme_id WHERE {where}"
            " ORDER BY f.deadline_key, f.call_id LIMIT ? OFFSET ?",
            [*params, page_size, page * page_size],
        )
        return Page(await self._hydrate(rows), total, page, page_size)

    async def search(self, query: str, now: datetime, page: int = 0, page_size: int = 5) -> Page:
        """Open calls whose search body has every word of `query` (folded) as a word prefix,
        nearest deadline first, rolling calls last; the page is clamped to the last one."""
        terms = search_terms(query)[:SEARCH_TERMS]
        if not terms:
            return Page([], 0, 0, page_size)
        index = await self._search_index()
        matches = index.open_at(to_epoch(now))
        for term in terms:
            if not matches:
                break
            mask = index.term(term)
            if mask is None:
                rows = await self.db.fetchall(
                    "SELECT rowid FROM call_search WHERE call_search MATCH ?", (fts_term(term),)
                )
                mask = index.remember(term, (row[0] for row in rows))
            matches &= mask
        total = matches.bit_count()
        if not total:
            return Page([], 0, 0, page_size)
        page = max(0, min(page, (total - 1) // page_size))
        ids = index.page(matches, page * page_size, page_size)
        return Page(await self._by_ids(ids), total, page, page_size)

    async def _search_index(self) -> OpenCallIndex:
        """The index of the catalogue as it is now: the one kept, unless the catalogue version
        (moved by triggers on every write that matters, migrations/0015) has moved since."""
        version = await self.db.quick_fetchval("SELECT version FROM catalogue_version WHERE id = 1")
        index = self._index
        if index is not None and index.version == version:
            return index
        rows = await self.db.fetchall(PUBLISHED_IN_ORDER)
        index = OpenCallIndex(version, [(row[0], row[1]) for row in rows])
        # Inside the caller's transaction the rows may yet roll back, and the version with
        # them, to be reached again by other writes: such an index is used once, not kept.
        if not self.db.in_own_transaction():
            self._index = index
        return index

    async def _by_ids(self, ids: list[int]) -> list[Call]:
        """Calls by id, in the order of `ids`."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.quick_fetchall(
            f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
            f" WHERE c.id IN ({marks})",
            ids,
        )
        order = {call_id: n for n, call_id in enumerate(ids)}
        return await self._hydrate(sorted(rows, key=lambda row: order[row["id"]]))

    async def _open_page(
        self,
        condition: str,
        params: list[object],
        epoch: int,
        dated: int,
        rolling: int,
        page: int,
        page_size: int,
    ) -> Page:
        """A page of the open calls meeting `condition`, of which `dated` have a deadline and
        `rolling` have none, in deadline order; the page number is clamped to the last page."""
        total = dated + rolling
        page = max(0, min(page, max(0, (total - 1) // page_size)))
        offset = page * page_size
        select = f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
        rows: list[Row] = []
        if offset < dated:
            rows = await self.db.fetchall(
                f"{select} WHERE {DATED} AND {condition} ORDER BY c.deadline_at, c.id"
                " LIMIT ? OFFSET ?",
                [epoch, *params, page_size, offset],
            )
        if len(rows) < page_size and rolling:
            rows += await self.db.fetchall(
                f"{select} WHERE {ROLLING} AND {condition} ORDER BY c.id LIMIT ? OFFSET ?",
                [*params, page_size - len(rows), max(0, offset - dated)],
            )
        return Page(await self._hydrate(rows), total, page, page_size)

    async def open_with_conditions(self, now: datetime) -> list[Call]:
        """Open calls with at least one structured eligibility condition."""
        rows = await self.db.fetchall(
            f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
            " WHERE c.status = 'published' AND (c.deadline_at IS NULL OR c.deadline_at > ?)"
            " AND (c.min_age IS NOT NULL OR c.max_age IS NOT NULL OR c.min_work_years > 0"
            " OR c.min_ielts IS NOT NULL OR c.min_toefl IS NOT NULL"
            " OR c.min_duolingo IS NOT NULL OR c.min_german IS NOT NULL"
            " OR c.uz_citizens_only = 1)",
            (to_epoch(now),),
        )
        return await self._hydrate(rows)

    async def get(self, call_id: int) -> Call | None:
        rows = await self.db.quick_fetchall(
            f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
            " WHERE c.id = ?",
            (call_id,),
        )
        calls = await self._hydrate(rows)
        return calls[0] if calls else None

    async def get_by_external_id(self, external_id: str) -> Call | None:
        call_id = await self.db.fetchval(
            "SELECT id FROM calls WHERE external_id = ?", (external_id,)
        )
        return None if call_id is None else await self.get(call_id)

    async def list_all(self) -> list[Call]:
        rows = await self.db.fetchall(
            f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
            " ORDER BY c.id"
        )
        return await self._hydrate(rows)

    async def count(self) -> int:
        return await self.db.fetchval("SELECT count(*) FROM calls")

    async def programmes(self) -> list[Programme]:
        rows = await self.db.quick_fetchall(
            "SELECT code, name, website FROM programmes ORDER BY sort_order, name"
        )
        return [Programme(r["code"], r["name"], r["website"]) for r in rows]

    async def countries_in_use(self, now: datetime) -> list[str]:
        where, params = _open_conditions(now)
        rows = await self.db.fetchall(
            "SELECT cc.country, count(*) AS n FROM call_countries cc JOIN calls c"
            f" ON c.id = cc.call_id WHERE {where} GROUP BY cc.country ORDER BY n DESC, cc.country",
            params,
        )
        return [r["country"] for r in rows]

    async def save(self, call: Call, now: datetime) -> int:
        """Insert (id 0) or update a call with its texts, countries and search body."""
        async with self.db.transaction():
            programme_id = await self.db.fetchval(
                "SELECT id FROM programmes WHERE code = ?", (call.programme.code,)
            )
            if programme_id is None:
                raise ValueError(f"unknown programme {call.programme.code!r}")
            values = (
                call.external_id,
                programme_id,
                call.status.value,
                levels_to_mask(call.levels),
                fields_to_mask(call.fields),
                call.funding.value,
                call.language_requirement,
                call.min_age,
                call.max_age,
                call.min_work_years,
                None if call.opens_at is None else to_epoch(call.opens_at),
                None if call.deadline_at is None else to_epoch(call.deadline_at),
                call.deadline_tz,
                int(call.dates_typical),
                call.official_url,
                call.source_url,
                call.verified_on.isoformat(),
                int(call.yearly),
                call.next_round_of,
                call.min_ielts,
                call.min_toefl,
                call.min_duolingo,
                call.min_german,
                int(call.uz_citizens_only),
            )
            if call.id:
                call_id = call.id
                await self.db.execute(
                    "UPDATE calls SET external_id=?, programme_id=?, status=?, levels_mask=?,"
                    " fields_mask=?, funding=?, language_requirement=?, min_age=?, max_age=?,"
                    " min_work_years=?, opens_at=?, deadline_at=?, deadline_tz=?,"
                    " dates_typical=?, official_url=?, source_url=?, verified_on=?,"
                    " yearly=?, next_round_of=?, min_ielts=?, min_toefl=?, min_duolingo=?,"
                    " min_german=?, uz_citizens_only=?, updated_at=? WHERE id=?",
                    (*values, to_epoch(now), call_id),
                )
            else:
                call_id = await self.db.execute(
                    "INSERT INTO calls (external_id, programme_id, status, levels_mask,"
                    " fields_mask, funding, language_requirement, min_age, max_age,"
                    " min_work_years, opens_at, deadline_at, deadline_tz, dates_typical,"
                    " official_url, source_url, verified_on, yearly, next_round_of,"
                    " min_ielts, min_toefl, min_duolingo, min_german, uz_citizens_only,"
                    " created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, to_epoch(now), to_epoch(now)),
                )
            await self.db.execute("DELETE FROM call_texts WHERE call_id = ?", (call_id,))
            await self.db.executemany(
                "INSERT INTO call_texts (call_id, lang, title, summary) VALUES (?, ?, ?, ?)",
                [(call_id, lang, t.title, t.summary) for lang, t in call.texts.items()],
            )
            await self.db.execute("DELETE FROM call_countries WHERE call_id = ?", (call_id,))
            await self.db.executemany(
                "INSERT INTO call_countries (call_id, country) VALUES (?, ?)",
                [(call_id, country) for country in call.countries],
            )
            await self.db.execute("DELETE FROM call_search WHERE rowid = ?", (call_id,))
            await self.db.execute(
                "INSERT INTO call_search (rowid, body) VALUES (?, ?)",
                (call_id, search_body(call)),
            )
        return call_id

    async def set_status(self, call_id: int, status: CallStatus, now: datetime) -> None:
        await self.db.execute(
            "UPDATE calls SET status = ?, updated_at = ? WHERE id = ?",
            (status.value, to_epoch(now), call_id),
        )

    async def mark_closed(self, call_id: int, reason: str, now: datetime) -> None:
        """Note when and why a call closed (reason: deadline | admin)."""
        await self.db.execute(
            "UPDATE calls SET closed_at = ?, closed_reason = ? WHERE id = ?",
            (to_epoch(now), reason, call_id),
        )

    async def past_deadline(self, now: datetime) -> list[Call]:
        """Published calls whose deadline has passed: the expiry job closes them."""
        rows = await self.db.fetchall(
            f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
            " WHERE c.status = 'published' AND c.deadline_at <= ? ORDER BY c.deadline_at, c.id",
            (to_epoch(now),),
        )
        return await self._hydrate(rows)

    async def next_round_of(self, call_id: int) -> Call | None:
        """The next-round call generated from `call_id`, if there is one."""
        found = await self.db.fetchval("SELECT id FROM calls WHERE next_round_of = ?", (call_id,))
        return None if found is None else await self.get(found)

    async def next_round_drafts(self) -> list[Call]:
        """Drafts created from yearly calls that closed, waiting for an admin to confirm or
        edit their (typical) dates and publish them; oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {CALL_COLUMNS} FROM calls c JOIN programmes p ON p.id = c.programme_id"
            " WHERE c.status = 'draft' AND c.next_round_of IS NOT NULL ORDER BY c.id"
        )
        return await self._hydrate(rows)

    async def delete_all(self) -> None:
        async with self.db.transaction():
            await self.db.execute("DELETE FROM call_search")
            await self.db.execute("DELETE FROM calls")

    async def _hydrate(self, rows: list[Row]) -> list[Call]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ",".join("?" * len(ids))
        # A page or a card is a quick read; a whole catalogue (export) is not.
        read = self.db.quick_fetchall if len(ids) <= QUICK_HYDRATE else self.db.fetchall
        texts: dict[int, dict[str, CallText]] = {i: {} for i in ids}
        for t in await read(
            f"SELECT call_id, lang, title, summary FROM call_texts WHERE call_id IN ({marks})", ids
        ):
            texts[t["call_id"]][t["lang"]] = CallText(t["title"], t["summary"])
        countries: dict[int, list[str]] = {i: [] for i in ids}
        for c in await read(
            f"SELECT call_id, country FROM call_countries WHERE call_id IN ({marks})"
            " ORDER BY country",
            ids,
        ):
            countries[c["call_id"]].append(c["country"])
        return [
            Call(
                id=row["id"],
                external_id=row["external_id"],
                programme=Programme(row["programme_code"], row["programme_name"], row["website"]),
                status=CallStatus(row["status"]),
                levels=mask_to_levels(row["levels_mask"]),
                fields=mask_to_fields(row["fields_mask"]),
                funding=Funding(row["funding"]),
                language_requirement=row["language_requirement"],
                min_age=row["min_age"],
                max_age=row["max_age"],
                min_work_years=row["min_work_years"],
                opens_at=from_epoch(row["opens_at"]),
                deadline_at=from_epoch(row["deadline_at"]),
                deadline_tz=row["deadline_tz"],
                dates_typical=bool(row["dates_typical"]),
                yearly=bool(row["yearly"]),
                next_round_of=row["next_round_of"],
                min_ielts=row["min_ielts"],
                min_toefl=row["min_toefl"],
                min_duolingo=row["min_duolingo"],
                min_german=row["min_german"],
                uz_citizens_only=bool(row["uz_citizens_only"]),
                official_url=row["official_url"],
                source_url=row["source_url"],
                verified_on=date.fromisoformat(row["verified_on"]),
                texts=texts[row["id"]],
                countries=tuple(countries[row["id"]]),
            )
            for row in rows
        ]


def search_body(call: Call) -> str:
    parts = [call.programme.name, call.programme.code]
    for text in call.texts.values():
        parts.extend((text.title, text.summary))
    return fold("\n".join(parts))
