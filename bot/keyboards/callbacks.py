"""Typed callback data. Every handler re-checks what the data points at: a button can be old."""

from __future__ import annotations

from typing import Annotated

import pydantic
from aiogram.filters.callback_data import CallbackData

from bot.domain.ids import MAX_ID
from bot.domain.profile import Level

# Every number a button carries (ids, pages, choices). Data out of range does not unpack, so a
# forged button falls through to "This button has expired" like any other unknown one.
Number = Annotated[int, pydantic.Field(ge=0, le=MAX_ID)]


class MenuCb(CallbackData, prefix="menu"):
    action: str  # matches | search | settings | help | home


class LangCb(CallbackData, prefix="lang"):
    code: str


class LevelCb(CallbackData, prefix="lvl"):
    level: Level


class FieldCb(CallbackData, prefix="fld"):
    code: str  # an ISCED code, or "all"


class FieldsDoneCb(CallbackData, prefix="fdone"):
    pass


class ListCb(CallbackData, prefix="list"):
    source: str  # m: matches for the profile, s: last search
    page: Number


class CardCb(CallbackData, prefix="card"):
    call_id: Number
    source: str
    page: Number


class FacetMenuCb(CallbackData, prefix="fmenu"):
    facet: str = ""  # "" shows all facets; a facet name shows its choices


class FacetCb(CallbackData, prefix="facet"):
    facet: str  # programme | funding | country | window_days | fields
    value: str  # "-" clears the facet


class RelaxCb(CallbackData, prefix="relax"):
    facet: str  # a facet to clear from an empty result


class SettingsCb(CallbackData, prefix="set"):
    item: str  # language | level | fields | facets


class EligCb(CallbackData, prefix="elig"):
    """ "Check my eligibility" on a card: asks the facts the call's conditions need."""

    call_id: Number
    source: str
    page: Number


class FactCb(CallbackData, prefix="fact"):
    fact: str  # a bot.domain.eligibility.Condition
    value: str  # "ask" (from /settings), "skip", or the answer a button gives


class ZoneCb(CallbackData, prefix="tz"):
    """The time-zone screen: menu, zone (an index into ZONE_CHOICES), quiet (an index into
    the quiet-hour choices), locate (ask for a location)."""

    action: str
    value: Number = 0
