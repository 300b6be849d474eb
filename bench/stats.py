"""Small statistics helpers shared by the load generator and the report."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..100) of `values`; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for a report cell, with thousands separators; "n/a" for None or NaN."""
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan
