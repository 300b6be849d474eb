"""A deterministic flight schedule over real airports and airlines. SAMPLE DATA.

Nothing here is a real schedule, fare or seat: it is generated, offline, so
that the flights tools work (and tests reproduce) with no network and no
account anywhere. The airports are real (`airportsdata`: IATA codes, time
zones, coordinates) and so are the airline names; the flights are not.

The same query always gives the same flights. Every number comes from a
SHA-256 of the inputs, not from a random generator, so it is also stable
across Python versions:

- Airlines based in the origin's or the destination's country fly the route
  nonstop (1-3 departures a day, more on shorter routes) when it is within
  their range, and also connect through their hub when the detour is small.
  The two airlines from elsewhere with the smallest detour through their
  hubs add one-stop connections. Low-cost airlines fly short routes and
  sell economy only. At most 12 flights a day; none under 100 km.
- Departures are between 06:00 and 22:30 local time at the origin; times
  are printed in each airport's local time with its UTC offset.
- Block time is 30 minutes plus a minute per 14 km, 5% shorter eastbound and
  5% longer westbound; a connection adds a 60-180 minute layover.
- Fares (USD, for all passengers together) grow with the distance flown,
  vary by date, weekday and airline, and scale with the cabin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from server.surfaces.mcos.flights.airlines import AIRLINES, AIRLINES_BY_COUNTRY, Airline
from server.surfaces.mcos.flights.airports import Airport, airport, distance_km, is_known_airport

CABIN_CLASSES = ("economy", "premium_economy", "business", "first")
CABIN_FARE_FACTORS = {"economy": 1.0, "premium_economy": 1.7, "business": 4.2, "first": 7.0}
MAX_PASSENGERS = 9
MAX_FLIGHTS_PER_DAY = 12
MIN_DISTANCE_KM = 100.0
MAX_DETOUR = 1.25  # a connection flies at most 25% further than the direct route
CONNECTING_AIRLINES = 2
CURRENCY = "USD"

_FIRST_DEPARTURE = 6 * 60  # minutes after local midnight
_LAST_DEPARTURE = 22 * 60 + 30


class ScheduleError(ValueError):
    """The query cannot be answered: an unknown airport, a bad date or cabin."""


@dataclass(frozen=True, slots=True)
class _Service:
    """One way an airline serves a route: nonstop, or through its hub."""

    airline: Airline
    via: Airport | None
    departures: int


def search(
    origin: str,
    destination: str,
    departure_date: date,
    return_date: date | None = None,
    passengers: int = 1,
    cabin_class: str = "economy",
) -> list[dict[str, Any]]:
    """The outbound flights, then (with `return_date`) the return flights, as JSON-shaped dicts."""
    _check(origin, destination, departure_date, return_date, passengers, cabin_class)
    flights = day_flights(origin, destination, departure_date, passengers, cabin_class, "outbound")
    if return_date is not None:
        flights += day_flights(destination, origin, return_date, passengers, cabin_class, "return")
    return flights


def _check(
    origin: str, destination: str, departure: date, back: date | None, passengers: int, cabin_class: str
) -> None:
    for code in (origin, destination):
        if not is_known_airport(code):
            raise ScheduleError(f"Unknown airport {code!r}: use an IATA code such as 'SFO'")
    if origin == destination:
        raise ScheduleError("Origin and destination are the same airport")
    if back is not None and back < departure:
        raise ScheduleError("The return date is before the departure date")
    if not 1 <= passengers <= MAX_PASSENGERS:
        raise ScheduleError(f"Passengers must be between 1 and {MAX_PASSENGERS}")
    if cabin_class not in CABIN_CLASSES:
        raise ScheduleError(f"Cabin class must be one of {', '.join(CABIN_CLASSES)}")


def day_flights(
    origin_code: str, destination_code: str, day: date, passengers: int, cabin_class: str, direction: str
) -> list[dict[str, Any]]:
    origin, destination = airport(origin_code), airport(destination_code)
    direct = distance_km(origin, destination)
    if direct < MIN_DISTANCE_KM:
        return []
    flights = [
        _flight(origin, destination, day, service, n, passengers, cabin_class, direction)
        for service in _services(origin, destination, direct)
        if cabin_class == "economy" or not service.airline.low_cost
        for n in range(service.departures)
    ]
    # Keep a deterministic but airline-mixed selection, then list it by departure.
    flights.sort(key=lambda flight: _digest("keep", flight["id"]))
    kept = flights[:MAX_FLIGHTS_PER_DAY]
    kept.sort(key=lambda flight: (flight["departure"]["time"], flight["flight_number"]))
    return kept


def _services(origin: Airport, destination: Airport, direct: float) -> list[_Service]:
    services: list[_Service] = []
    home = {origin.country, destination.country}
    daily = 3 if direct < 1_500 else 2 if direct < 5_000 else 1
    for airline in (a for country in sorted(home) for a in AIRLINES_BY_COUNTRY.get(country, ())):
        if direct <= airline.range_km:
            services.append(_Service(airline, None, daily))
        hub = _connection(airline, origin, destination, direct)
        if hub is not None:
            services.append(_Service(airline, hub, 1))
    connecting = sorted(
        (_detour(a, origin, destination, direct), a.code, a)
        for a in AIRLINES
        if a.country not in home and _connection(a, origin, destination, direct) is not None
    )
    for _, _, airline in connecting[:CONNECTING_AIRLINES]:
        services.append(_Service(airline, airport(airline.hub), 1))
    return services


def _connection(airline: Airline, origin: Airport, destination: Airport, direct: float) -> Airport | None:
    """The airline's hub, when a connection through it is short enough to sell."""
    if airline.hub in (origin.iata, destination.iata):
        return None
    hub = airport(airline.hub)
    first, second = distance_km(origin, hub), distance_km(hub, destination)
    if max(first, second) > airline.range_km or (first + second) > direct * MAX_DETOUR:
        return None
    return hub


def _detour(airline: Airline, origin: Airport, destination: Airport, direct: float) -> float:
    hub = airport(airline.hub)
    return (distance_km(origin, hub) + distance_km(hub, destination)) / direct


def _flight(
    origin: Airport,
    destination: Airport,
    day: date,
    service: _Service,
    n: int,
    passengers: int,
    cabin_class: str,
    direction: str,
) -> dict[str, Any]:
    airline = service.airline
    via = service.via.iata if service.via else "-"
    route = (airline.code, origin.iata, via, destination.iata, str(n))
    # Departures repeat daily (they depend on the route, not the date); the
    # n-th of a day leaves in the n-th slice of the day.
    window = (_LAST_DEPARTURE - _FIRST_DEPARTURE) / service.departures
    minute = _FIRST_DEPARTURE + int(window * n + _unit("time", *route) * window)
    minute -= minute % 5
    leaves = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=origin.timezone)
    if service.via is None:
        flown = distance_km(origin, destination)
        minutes = _block_minutes(origin, destination)
    else:
        flown = distance_km(origin, service.via) + distance_km(service.via, destination)
        layover = 60 + _round5(_unit("layover", *route) * 120)
        minutes = _block_minutes(origin, service.via) + layover + _block_minutes(service.via, destination)
    arrives = (leaves.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(destination.timezone)
    number = f"{airline.code}{1 + int(_unit('number', *route) * 9998)}"
    return {
        "id": "flight_" + _digest("id", number, *route, day.isoformat(), cabin_class)[:16],
        "airline": airline.name,
        "departure": {"airport": origin.iata, "time": rfc3339(leaves)},
        "arrival": {"airport": destination.iata, "time": rfc3339(arrives)},
        "stops": 0 if service.via is None else 1,
        "price": {"amount": _fare(flown, service, day, route, cabin_class) * passengers, "currency": CURRENCY},
        "flight_number": number,
        "duration_minutes": minutes,
        "cabin_class": cabin_class,
        "direction": direction,
    }


def _block_minutes(origin: Airport, destination: Airport) -> int:
    minutes = 30 + distance_km(origin, destination) / 14
    # Jet streams: eastbound (the shorter way round) flies faster.
    east = (destination.lon - origin.lon + 540) % 360 - 180 > 0
    return _round5(minutes * (0.95 if east else 1.05))


def _fare(flown: float, service: _Service, day: date, route: tuple[str, ...], cabin_class: str) -> float:
    fare = 50 + 0.11 * flown
    fare *= 0.85 + 0.4 * _unit("demand", route[1], route[3], day.isoformat())
    fare *= 1.1 if day.weekday() in (4, 6) else 1.0  # Fridays and Sundays
    fare *= 0.9 + 0.2 * _unit("airline", *route[:4])
    fare *= 0.6 if service.airline.low_cost else 1.0
    fare *= 0.85 if service.via is not None else 1.0
    return float(round(fare * CABIN_FARE_FACTORS[cabin_class]))


def rfc3339(moment: datetime) -> str:
    """Local time with its UTC offset, seconds precision; "Z" when the offset is zero."""
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _round5(minutes: float) -> int:
    return int(round(minutes / 5) * 5)


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _unit(*parts: str) -> float:
    """A number in [0, 1) fixed by `parts`."""
    return int(_digest(*parts)[:13], 16) / 16**13
