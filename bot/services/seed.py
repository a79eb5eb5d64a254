"""The seed catalogue (bot/data/seed_catalog.json): loaded into an empty database, re-loadable."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.domain.calls import Call, CallText, Programme, programme_zone
from bot.domain.profile import CallStatus, Field, Funding, Level

log = logging.getLogger(__name__)

SEED_PATH = Path(__file__).resolve().parent.parent / "data" / "seed_catalog.json"


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def call_from_record(record: dict[str, Any]) -> Call:
    fields = record["fields"]
    deadline_tz = record.get("deadline_tz")
    if record.get("deadline_at") and not deadline_tz:  # a dated call names its zone
        deadline_tz = programme_zone(record["programme"])
    return Call(
        id=0,
        external_id=record["external_id"],
        programme=Programme(record["programme"], record["programme"]),
        status=CallStatus(record.get("status", "published")),
        levels=frozenset(Level(level) for level in record["levels"]),
        fields=frozenset(Field) if fields == "all" else frozenset(Field(f) for f in fields),
        funding=Funding(record["funding"]),
        official_url=record["official_url"],
        source_url=record["source_url"],
        verified_on=date.fromisoformat(record["verified_on"]),
        texts={
            lang: CallText(text["title"], text["summary"]) for lang, text in record["texts"].items()
        },
        countries=tuple(record.get("countries", ())),
        language_requirement=record.get("language_requirement"),
        min_age=record.get("min_age"),
        max_age=record.get("max_age"),
        min_work_years=record.get("min_work_years"),
        min_german=record.get("min_german"),  # only where the source states it exactly
        uz_citizens_only=bool(record.get("uz_citizens_only", False)),
        opens_at=_moment(record.get("opens_at")),
        deadline_at=_moment(record.get("deadline_at")),
        deadline_tz=deadline_tz,
        dates_typical=bool(record.get("dates_typical", False)),
        yearly=bool(record.get("yearly", False)),
    )


def load_seed(path: Path = SEED_PATH) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["calls"]


async def seed_catalogue(calls: CallsRepo, now: datetime, *, reload: bool = False) -> int:
    """Load the seed into an empty catalogue (or replace seeded calls with `reload`)."""
    if not reload and await calls.count() > 0:
        return 0
    documents = ApplicationsRepo(calls.db)
    loaded = 0
    for record in load_seed():
        call = call_from_record(record)
        existing = await calls.get_by_external_id(record["external_id"])
        if existing is not None:
            call = replace(call, id=existing.id)
        call_id = await calls.save(call, now)
        await documents.set_documents(call_id, record.get("documents") or [])
        loaded += 1
    log.info("seed catalogue: %d calls loaded", loaded)
    return loaded
