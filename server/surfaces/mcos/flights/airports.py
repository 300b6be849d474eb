"""Real airports by IATA code, from the `airportsdata` package (offline).

Each airport has its name, country, time zone (IANA) and coordinates; the
sample schedule uses them for local times and great-circle distances, and
request validation uses them to reject unknown codes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import airportsdata

_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class Airport:
    iata: str
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    timezone: ZoneInfo
    lat: float
    lon: float


@cache
def _airports() -> dict[str, airportsdata.Airport]:
    import airportsdata  # about 0.1 s to load: only when first needed

    return airportsdata.load("IATA")


def is_known_airport(code: str) -> bool:
    return code in _airports()


def airport(code: str) -> Airport:
    """The airport with this IATA code; KeyError when there is none."""
    return _airport(code)


@cache
def _airport(code: str) -> Airport:
    row = _airports()[code]
    return Airport(
        iata=code,
        name=row["name"],
        city=row["city"],
        country=row["country"],
        timezone=ZoneInfo(row["tz"]),
        lat=float(row["lat"]),
        lon=float(row["lon"]),
    )


def distance_km(a: Airport, b: Airport) -> float:
    """Great-circle (haversine) distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(h))
