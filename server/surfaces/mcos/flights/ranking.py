"""rank_flights: scores flights against the user's preferences and calendar. A pure function.

The same request always gives the same ranking. Each flight is compared with
the others on its route (same departure and arrival airport, so a round
trip's outbound and return legs are each compared among themselves):

    cheapness  = (max_price - price) / (max_price - min_price)
    shortness  = (longest - minutes) / (longest - shortest)       minutes = arrival - departure
    earliness  = (latest - arrival) / (latest - earliest)         arrival instant
    directness = 1 / (1 + stops)
    (each ratio is 1 when every flight on the route is equal on it)

    convenience = 0.4 * shortness + 0.4 * directness + 0.2 * earliness
    score = price_weight * cheapness + (1 - price_weight) * convenience
    score *= 0.8   when preferred airlines are given and this is not one of them
    score *= 0.5   when it has more stops than max_stops
    score *= 0.6   when it overlaps a calendar entry (departure < end and start < arrival)

`price_weight` defaults to 0.5. Scores are rounded to 3 decimals; rank 1 is
the highest score, ties going to the cheaper, then the earlier departure,
then the smaller id. An airline is preferred when a preference names it
(case-insensitively, whole words: "United" matches "United Airlines") or
is its IATA code (the flight number's prefix). Prices are compared as
numbers: mixing currencies in one request ranks by amount alone.

The reasoning names the factors behind the score, e.g. "Nonstop, lowest
price, earliest arrival, preferred airline": the stops; "lowest price",
"shortest trip" or "earliest arrival" for the one best flight of its route
on that measure, "low price" or "early arrival" for one in the best quarter,
"high price" or "long trip" in the worst; the airline preference; and any
calendar entries it overlaps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from server.platform.validation import Violations
from server.surfaces.mcos.flights.fields import FieldReader

MAX_FLIGHTS = 200
MAX_CALENDAR_ENTRIES = 500
MAX_AIRLINES = 50
DEFAULT_PRICE_WEIGHT = 0.5
NOT_PREFERRED = 0.8
OVER_MAX_STOPS = 0.5
CALENDAR_CONFLICT = 0.6
_RANK_KEYS = frozenset({"flights", "user_preferences", "calendar_context"})
_PREFERENCE_KEYS = frozenset({"airlines", "max_stops", "price_weight"})
T = TypeVar("T", float, datetime)


@dataclass(frozen=True, slots=True)
class RankableFlight:
    id: str
    airline: str
    flight_number: str
    route: tuple[str, str]  # departure and arrival airports
    departs: datetime
    arrives: datetime
    stops: int
    price: float


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    start: datetime
    end: datetime
    title: str


@dataclass(frozen=True, slots=True)
class RankRequest:
    flights: tuple[RankableFlight, ...]
    airlines: tuple[str, ...]
    max_stops: int | None
    price_weight: float
    calendar: tuple[CalendarEntry, ...]


@dataclass(frozen=True, slots=True)
class RankedFlight:
    flight_id: str
    rank: int
    score: float
    reasoning: str


def parse_rank_request(args: Mapping[str, object]) -> RankRequest:
    """The ranking request, checked: VALIDATION_ERROR listing every bad field."""
    violations = Violations()
    for key in sorted(set(args) - _RANK_KEYS):
        violations.add(key, f'Unrecognized key "{key}"')
    read = FieldReader(args, violations)
    flights = _flights(read)
    airlines: tuple[str, ...] = ()
    max_stops: int | None = None
    price_weight = DEFAULT_PRICE_WEIGHT
    preferences = read.object("user_preferences")
    if preferences is not None:
        for key in sorted(set(preferences.data) - _PREFERENCE_KEYS):
            violations.add(preferences.at(key), f'Unrecognized key "{key}"')
        airlines = _airlines(preferences)
        max_stops = preferences.integer("max_stops", minimum=0)
        weight = preferences.number("price_weight")
        if weight is not None and not 0 <= weight <= 1:
            violations.add(preferences.at("price_weight"), "Must be between 0 and 1")
        elif weight is not None:
            price_weight = weight
    calendar = _calendar(read)
    violations.raise_if_any()
    return RankRequest(flights, airlines, max_stops, price_weight, calendar)


def _flights(read: FieldReader) -> tuple[RankableFlight, ...]:
    # Absent reads as empty, as it must over protobuf (where the two are one).
    items = read.array("flights") if read.data.get("flights") is not None else ()
    if items is None:
        return ()
    if not 1 <= len(items) <= MAX_FLIGHTS:
        read.violations.add("flights", f"Expected 1 to {MAX_FLIGHTS} flights")
        return ()
    flights: list[RankableFlight] = []
    seen: set[str] = set()
    for item in read.items("flights", items):
        if item is None:
            continue
        flight_id = item.string("id", required=True)
        if flight_id is not None and flight_id in seen:
            item.violations.add(item.at("id"), "Duplicate flight id")
        seen.add(flight_id or "")
        departure = item.object("departure", required=True)
        arrival = item.object("arrival", required=True)
        departs = departure.timestamp("time", required=True) if departure else None
        arrives = arrival.timestamp("time", required=True) if arrival else None
        if departs and arrives and arrives <= departs:
            item.violations.add(item.at("arrival.time"), "Must be after the departure time")
        price = item.object("price", required=True)
        amount = price.number("amount", required=True) if price else None
        if price and amount is not None and amount < 0:
            item.violations.add(price.at("amount"), "Number must be greater than or equal to 0")
        stops = item.integer("stops", minimum=0)
        airline = item.string("airline") or ""
        number = item.string("flight_number") or ""
        if flight_id and departure and arrival and departs and arrives and amount is not None:
            route = (departure.string("airport") or "", arrival.string("airport") or "")
            flights.append(RankableFlight(flight_id, airline, number, route, departs, arrives, stops or 0, amount))
    return tuple(flights)


def _airlines(preferences: FieldReader) -> tuple[str, ...]:
    items = preferences.array("airlines")
    if items is None:
        return ()
    if len(items) > MAX_AIRLINES:
        preferences.violations.add(preferences.at("airlines"), f"At most {MAX_AIRLINES} airlines")
        return ()
    airlines = []
    for index, name in enumerate(items):
        if not isinstance(name, str) or not name.strip():
            preferences.violations.add(f"{preferences.at('airlines')}.{index}", "Expected a non-empty string")
        else:
            airlines.append(name)
    return tuple(airlines)


def _calendar(read: FieldReader) -> tuple[CalendarEntry, ...]:
    items = read.array("calendar_context")
    if items is None:
        return ()
    if len(items) > MAX_CALENDAR_ENTRIES:
        read.violations.add("calendar_context", f"At most {MAX_CALENDAR_ENTRIES} entries")
        return ()
    entries: list[CalendarEntry] = []
    for entry in read.items("calendar_context", items):
        if entry is None:
            continue
        start = entry.timestamp("start", required=True)
        end = entry.timestamp("end", required=True)
        title = entry.string("title") or ""
        if start and end and end < start:
            entry.violations.add(entry.at("end"), "Must not be before start")
        elif start and end:
            entries.append(CalendarEntry(start, end, title))
    return tuple(entries)


def rank_flights(request: RankRequest) -> list[RankedFlight]:
    scored = []
    for flight in request.flights:
        score, reasons = _score(flight, request)
        scored.append((round(score, 3), flight, reasons))
    scored.sort(key=lambda item: (-item[0], item[1].price, item[1].departs, item[1].id))
    return [
        RankedFlight(flight.id, rank, score, _sentence(reasons))
        for rank, (score, flight, reasons) in enumerate(scored, start=1)
    ]


def _score(flight: RankableFlight, request: RankRequest) -> tuple[float, list[str]]:
    peers = [f for f in request.flights if f.route == flight.route]
    prices = [f.price for f in peers]
    minutes = [_minutes(f) for f in peers]
    arrivals = [f.arrives for f in peers]
    first = min(arrivals)
    cheapness = _closeness(flight.price, min(prices), max(prices))
    shortness = _closeness(_minutes(flight), min(minutes), max(minutes))
    earliness = _closeness((flight.arrives - first).total_seconds(), 0, (max(arrivals) - first).total_seconds())
    directness = 1 / (1 + flight.stops)
    convenience = 0.4 * shortness + 0.4 * directness + 0.2 * earliness
    score = request.price_weight * cheapness + (1 - request.price_weight) * convenience

    reasons = ["Nonstop" if flight.stops == 0 else f"{flight.stops} stop" + ("s" if flight.stops > 1 else "")]
    if request.max_stops is not None and flight.stops > request.max_stops:
        score *= OVER_MAX_STOPS
        reasons[0] += f" (more than your maximum of {request.max_stops})"
    if len(peers) > 1:
        reasons += _relative(_only_best(flight.price, prices), cheapness, "lowest price", "low price", "high price")
        reasons += _relative(_only_best(_minutes(flight), minutes), shortness, "shortest trip", "", "long trip")
        reasons += _relative(_only_best(flight.arrives, arrivals), earliness, "earliest arrival", "early arrival", "")
    if request.airlines:
        if _preferred(flight, request.airlines):
            reasons.append("preferred airline")
        else:
            score *= NOT_PREFERRED
            reasons.append("not a preferred airline")
    conflicts = [entry for entry in request.calendar if flight.departs < entry.end and entry.start < flight.arrives]
    if conflicts:
        score *= CALENDAR_CONFLICT
        titles = ", ".join(f'"{entry.title}"' if entry.title else "an untitled event" for entry in conflicts[:2])
        more = f" and {len(conflicts) - 2} more" if len(conflicts) > 2 else ""
        reasons.append(f"overlaps {titles}{more} on your calendar")
    return score, reasons


def _minutes(flight: RankableFlight) -> float:
    return (flight.arrives - flight.departs).total_seconds() / 60


def _closeness(value: float, best: float, worst: float) -> float:
    """1 at `best`, 0 at `worst` (1 when they are equal)."""
    return 1.0 if worst == best else (worst - value) / (worst - best)


def _only_best(value: T, values: Sequence[T]) -> bool:
    """`value` is the smallest, and no other flight's equals it."""
    return value == min(values) and values.count(value) == 1


def _relative(best: bool, ratio: float, best_text: str, good_text: str, bad_text: str) -> list[str]:
    if best:
        return [best_text]
    if ratio >= 0.75 and good_text:
        return [good_text]
    if ratio <= 0.25 and bad_text:
        return [bad_text]
    return []


def _preferred(flight: RankableFlight, airlines: Sequence[str]) -> bool:
    name = f" {' '.join(flight.airline.casefold().split())} "
    code = flight.flight_number[:2].upper()
    for preference in airlines:
        wanted = " ".join(preference.casefold().split())
        if f" {wanted} " in name or (len(wanted) == 2 and wanted.upper() == code):
            return True
    return False


def _sentence(reasons: Sequence[str]) -> str:
    return ", ".join(reasons)
