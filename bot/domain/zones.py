"""Students' own time zones: the short list offered, quiet-hour choices, and the zone
nearest to a shared location.

The nearest zone is the one whose principal city (from the tz database's zone.tab, which
ships with the `tzdata` package) is closest on the globe. Near a border that can name the
neighbour's zone, so the bot shows the zone and its local time for the student to check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.reminders import QuietHours


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """A button of the short list: the zone and the cities named on it (babel names them
    in the student's language)."""

    key: str
    cities: tuple[str, ...]


# Where students from Uzbekistan go on exchange: home, Europe west to east, Türkiye,
# Russia, East Asia and the USA (Fulbright).
ZONE_CHOICES = (
    ZoneChoice("Asia/Tashkent", ("Asia/Tashkent",)),
    ZoneChoice("Europe/London", ("Europe/London", "Europe/Lisbon")),
    ZoneChoice("Europe/Berlin", ("Europe/Berlin", "Europe/Paris")),
    ZoneChoice("Europe/Helsinki", ("Europe/Helsinki", "Europe/Athens")),
    ZoneChoice("Europe/Istanbul", ("Europe/Istanbul",)),
    ZoneChoice("Europe/Moscow", ("Europe/Moscow",)),
    ZoneChoice("Asia/Shanghai", ("Asia/Shanghai",)),
    ZoneChoice("Asia/Seoul", ("Asia/Seoul", "Asia/Tokyo")),
    ZoneChoice("America/New_York", ("America/New_York",)),
    ZoneChoice("America/Chicago", ("America/Chicago",)),
    ZoneChoice("America/Denver", ("America/Denver",)),
    ZoneChoice("America/Los_Angeles", ("America/Los_Angeles",)),
)

# Quiet-hour spans a student can pick (local hours, start → end); start = end: none.
QUIET_CHOICES = (
    QuietHours(21, 7),
    QuietHours(22, 8),
    QuietHours(23, 8),
    QuietHours(0, 9),
    QuietHours(0, 0),
)

EARTH_RADIUS_KM = 6371.0


def zone_or_none(key: str) -> ZoneInfo | None:
    """The zone called `key`, or None when this machine's tz data does not know it."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class ZonePoint:
    key: str
    latitude: float
    longitude: float


def parse_coordinates(text: str) -> tuple[float, float]:
    """ISO 6709 as zone.tab writes it: ±DDMM±DDDMM or ±DDMMSS±DDDMMSS."""
    split = max(text.rfind("+"), text.rfind("-"))
    lat, lon = text[:split], text[split:]
    return _degrees(lat, 2), _degrees(lon, 3)


def _degrees(part: str, width: int) -> float:
    sign = -1.0 if part[0] == "-" else 1.0
    digits = part[1:]
    degrees = int(digits[:width])
    minutes = int(digits[width : width + 2])
    seconds = int(digits[width + 2 : width + 4] or 0)
    return sign * (degrees + minutes / 60 + seconds / 3600)


def parse_zone_tab(text: str) -> tuple[ZonePoint, ...]:
    points = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) < 3:
            continue
        latitude, longitude = parse_coordinates(columns[1])
        points.append(ZonePoint(columns[2], latitude, longitude))
    return tuple(points)


@cache
def zone_points() -> tuple[ZonePoint, ...]:
    """The principal city of every zone this machine's tz data knows."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    return tuple(p for p in parse_zone_tab(text) if zone_or_none(p.key) is not None)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_zone(
    latitude: float, longitude: float, points: tuple[ZonePoint, ...] | None = None
) -> str:
    """The key of the zone whose principal city is nearest to the point."""
    candidates = points if points is not None else zone_points()
    best = min(candidates, key=lambda p: distance_km(latitude, longitude, p.latitude, p.longitude))
    return best.key


def same_clock(a: ZoneInfo, b: ZoneInfo, year: int) -> bool:
    """Whether two zones show the same time on every day of `year` (noon UTC samples)."""
    moment = datetime(year, 1, 1, 12, tzinfo=UTC)
    for _ in range(366):
        if moment.astimezone(a).utcoffset() != moment.astimezone(b).utcoffset():
            return False
        moment += timedelta(days=1)
    return True


@lru_cache(maxsize=512)
def listed_equivalent(key: str, year: int) -> str:
    """The short list's zone that keeps the same clock as `key` all year (Munich's
    Europe/Vaduz → Europe/Berlin), else `key` itself."""
    zone = zone_or_none(key)
    if zone is None or choice_of(key) is not None:
        return key
    for choice in ZONE_CHOICES:
        if same_clock(zone, ZoneInfo(choice.key), year):
            return choice.key
    return key


def choice_of(key: str) -> ZoneChoice | None:
    return next((choice for choice in ZONE_CHOICES if choice.key == key), None)
