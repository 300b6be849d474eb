"""An MCoS-configured Chorus in the test's event loop with the admin port on, and a
Prometheus text parser for what `/metrics` answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.app import Chorus
from server.surfaces.mcos.settings import McosRateLimits
from tests.support import mcos_identity as identity
from tests.support.inprocess_chorus import running_chorus
from tests.surfaces.mcos.inprocess import mcos_settings


def observed_settings(data_dir: Path, idp: identity.TestIdp, **platform: Any) -> Any:
    settings = mcos_settings(
        data_dir, idp, rest_transport="inprocess", rate_limits=McosRateLimits(chat_messages_per_minute=2)
    )
    update = {"admin": settings.admin.model_copy(update={"enabled": True, "port": 0}), **platform}
    return settings.model_copy(update=update)


@asynccontextmanager
async def observed_chorus(settings: Any) -> AsyncIterator[Chorus]:
    async with running_chorus(settings) as chorus:
        yield chorus


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """sample name + sorted labels -> value."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


async def scrape(admin: str) -> Samples:
    async with httpx.AsyncClient(base_url=admin) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)
