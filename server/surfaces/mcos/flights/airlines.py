"""Real airlines for the sample schedule: name, IATA code, home country, main hub.

A hand-picked table, not a complete or current list of who flies where. The
sample schedule lets an airline fly nonstop from or to its home country and
connect elsewhere through its hub. Low-cost carriers sell economy only and
fly short routes only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

LONG_HAUL_KM = 15_500.0  # about the longest nonstop flown today
SHORT_HAUL_KM = 4_000.0


@dataclass(frozen=True, slots=True)
class Airline:
    name: str
    code: str  # IATA designator, the flight-number prefix
    country: str  # ISO 3166-1 alpha-2
    hub: str  # IATA airport code
    low_cost: bool = False

    @property
    def range_km(self) -> float:
        return SHORT_HAUL_KM if self.low_cost else LONG_HAUL_KM


AIRLINES: tuple[Airline, ...] = (
    Airline("United Airlines", "UA", "US", "ORD"),
    Airline("Delta Air Lines", "DL", "US", "ATL"),
    Airline("American Airlines", "AA", "US", "DFW"),
    Airline("Alaska Airlines", "AS", "US", "SEA"),
    Airline("JetBlue", "B6", "US", "JFK", low_cost=True),
    Airline("Air Canada", "AC", "CA", "YYZ"),
    Airline("WestJet", "WS", "CA", "YYC", low_cost=True),
    Airline("Aeroméxico", "AM", "MX", "MEX"),
    Airline("LATAM Airlines", "LA", "CL", "SCL"),
    Airline("GOL Linhas Aéreas", "G3", "BR", "GRU", low_cost=True),
    Airline("Aerolíneas Argentinas", "AR", "AR", "EZE"),
    Airline("Avianca", "AV", "CO", "BOG"),
    Airline("British Airways", "BA", "GB", "LHR"),
    Airline("Virgin Atlantic", "VS", "GB", "LHR"),
    Airline("easyJet", "U2", "GB", "LGW", low_cost=True),
    Airline("Air France", "AF", "FR", "CDG"),
    Airline("Lufthansa", "LH", "DE", "FRA"),
    Airline("KLM", "KL", "NL", "AMS"),
    Airline("Iberia", "IB", "ES", "MAD"),
    Airline("ITA Airways", "AZ", "IT", "FCO"),
    Airline("Swiss", "LX", "CH", "ZRH"),
    Airline("Austrian Airlines", "OS", "AT", "VIE"),
    Airline("Aer Lingus", "EI", "IE", "DUB"),
    Airline("Ryanair", "FR", "IE", "DUB", low_cost=True),
    Airline("TAP Air Portugal", "TP", "PT", "LIS"),
    Airline("Brussels Airlines", "SN", "BE", "BRU"),
    Airline("SAS", "SK", "DK", "CPH"),
    Airline("Finnair", "AY", "FI", "HEL"),
    Airline("LOT Polish Airlines", "LO", "PL", "WAW"),
    Airline("Turkish Airlines", "TK", "TR", "IST"),
    Airline("Aegean Airlines", "A3", "GR", "ATH"),
    Airline("Emirates", "EK", "AE", "DXB"),
    Airline("Etihad Airways", "EY", "AE", "AUH"),
    Airline("Qatar Airways", "QR", "QA", "DOH"),
    Airline("Saudia", "SV", "SA", "JED"),
    Airline("El Al", "LY", "IL", "TLV"),
    Airline("EgyptAir", "MS", "EG", "CAI"),
    Airline("Ethiopian Airlines", "ET", "ET", "ADD"),
    Airline("Kenya Airways", "KQ", "KE", "NBO"),
    Airline("South African Airways", "SA", "ZA", "JNB"),
    Airline("Royal Air Maroc", "AT", "MA", "CMN"),
    Airline("Air India", "AI", "IN", "DEL"),
    Airline("IndiGo", "6E", "IN", "DEL", low_cost=True),
    Airline("Singapore Airlines", "SQ", "SG", "SIN"),
    Airline("Cathay Pacific", "CX", "HK", "HKG"),
    Airline("Japan Airlines", "JL", "JP", "HND"),
    Airline("ANA", "NH", "JP", "HND"),
    Airline("Korean Air", "KE", "KR", "ICN"),
    Airline("Air China", "CA", "CN", "PEK"),
    Airline("China Eastern Airlines", "MU", "CN", "PVG"),
    Airline("China Southern Airlines", "CZ", "CN", "CAN"),
    Airline("EVA Air", "BR", "TW", "TPE"),
    Airline("Thai Airways", "TG", "TH", "BKK"),
    Airline("Malaysia Airlines", "MH", "MY", "KUL"),
    Airline("Garuda Indonesia", "GA", "ID", "CGK"),
    Airline("Philippine Airlines", "PR", "PH", "MNL"),
    Airline("Vietnam Airlines", "VN", "VN", "HAN"),
    Airline("Qantas", "QF", "AU", "SYD"),
    Airline("Virgin Australia", "VA", "AU", "BNE"),
    Airline("Air New Zealand", "NZ", "NZ", "AKL"),
)


def _by_country() -> dict[str, tuple[Airline, ...]]:
    grouped: defaultdict[str, list[Airline]] = defaultdict(list)
    for airline in AIRLINES:
        grouped[airline.country].append(airline)
    return {country: tuple(airlines) for country, airlines in grouped.items()}


AIRLINES_BY_COUNTRY = _by_country()
