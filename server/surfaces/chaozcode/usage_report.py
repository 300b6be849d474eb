"""`GET /v2/user/usage`: the persisted counters summed per day, endpoint and model, with costs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from server.platform.clock import Clock
from server.platform.errors import FieldViolation, invalid_argument
from server.platform.times import utc_datetime
from server.surfaces.chaozcode.catalog import ModelCatalog
from server.surfaces.chaozcode.usage import UsageStore

DEFAULT_DAYS, MAX_DAYS = 30, 90


@dataclass
class Counts:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class UsageReport:
    start: str
    end: str
    totals: Counts = field(default_factory=Counts)
    days: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    endpoints: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    models: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))


class UsageReports:
    def __init__(self, usage: UsageStore, catalog: ModelCatalog, clock: Clock) -> None:
        self._usage = usage
        self._catalog = catalog
        self._clock = clock

    async def report(self, tenant_id: str, user_id: str, days: int) -> UsageReport:
        if days < 0 or days > MAX_DAYS:
            raise invalid_argument(f"days must be 1 to {MAX_DAYS}", (FieldViolation("days", "out_of_range"),))
        today = utc_datetime(self._clock.now_ms()).date()
        start = today - timedelta(days=(days or DEFAULT_DAYS) - 1)
        report = UsageReport(start.isoformat(), today.isoformat())
        for line in await self._usage.lines(tenant_id, user_id, report.start, report.end):
            day = report.days[line.day]
            if not line.model:  # the endpoint's own count of calls
                report.endpoints[line.endpoint] += line.calls
                day.calls += line.calls
                report.totals.calls += line.calls
                continue
            entry = self._catalog.get(line.model)
            cost = entry.cost(line.prompt_tokens, line.completion_tokens) if entry is not None else 0.0
            for counts in (report.models[line.model], day, report.totals):
                counts.prompt_tokens += line.prompt_tokens
                counts.completion_tokens += line.completion_tokens
                counts.cost += cost
            report.models[line.model].calls += line.calls
        return report
