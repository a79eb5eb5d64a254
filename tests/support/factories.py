"""Calls made to measure for a test, saved through the real repository."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from bot.app import App
from bot.db.calls import CallsRepo
from bot.domain.calls import Call, CallText, Programme
from bot.domain.profile import CallStatus, Field, Funding, Level

_ids = count(1)


def make_call(
    *,
    title: str = "Test call",
    programme: str = "daad",
    deadline: datetime | None = None,
    levels: set[Level] | None = None,
    fields: set[Field] | None = None,
    status: CallStatus = CallStatus.PUBLISHED,
    funding: Funding = Funding.FULL,
    countries: tuple[str, ...] = ("DE",),
    verified_on: date = date(2026, 11, 20),
    texts: dict[str, CallText] | None = None,
    **extra: object,
) -> Call:
    number = next(_ids)
    return Call(
        id=0,
        external_id=f"test-{number}",
        programme=Programme(programme, programme),
        status=status,
        levels=frozenset(levels or {Level.MASTER}),
        fields=frozenset(fields or {Field.ICT}),
        funding=funding,
        official_url="https://example.org/official",
        source_url="https://example.org/source",
        verified_on=verified_on,
        texts=texts
        or {
            lang: CallText(f"{title}", f"Summary of {title} ({lang})")
            for lang in ("uz", "uz_Cyrl", "ru", "en")
        },
        countries=countries,
        deadline_at=deadline,
        **extra,  # type: ignore[arg-type]
    )


async def add_call(app: App, **kwargs: object) -> int:
    return await CallsRepo(app.db).save(make_call(**kwargs), app.clock.now())


async def clear_catalogue(app: App) -> None:
    await CallsRepo(app.db).delete_all()


def days(n: float) -> timedelta:
    return timedelta(days=n)
