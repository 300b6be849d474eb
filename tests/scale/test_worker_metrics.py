"""`chorus serve --workers N` with metrics: one admin port, and any worker's /metrics
adds up every worker's series (prometheus-client's multiprocess mode)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.platform.observability.support import parse, value
from tests.scale.conftest import WORKER_HEADER
from tests.support.chorus_process import ChorusProcess

CONFIG = """
[crispy.rate_limit]
per_minute = 100000
burst_per_second = 100000
[admin]
enabled = true
port = 0
"""
REQUESTS = 40


def _health(proc: ChorusProcess) -> str:
    # A client of its own: a new connection, which the kernel may hand to either worker.
    response = httpx.get(proc.rest_url + "/health", headers={"x-tenant-id": "demo"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers[WORKER_HEADER]


def test_any_worker_reports_every_workers_requests(
    tmp_path: Path, shared_backend: Callable[[], dict[str, str]]
) -> None:
    with ChorusProcess(tmp_path, args=("serve", "--workers", "2"), env=shared_backend(), config_toml=CONFIG) as proc:
        assert proc.admin_url
        with ThreadPoolExecutor(8) as pool:
            served_by = set(pool.map(lambda _: _health(proc), range(REQUESTS)))
        if len(served_by) < 2:
            pytest.skip("the kernel handed every connection to one worker")
        for _ in range(4):  # each scrape may land on either worker: each must see all
            scraped = httpx.get(proc.admin_url + "/metrics", timeout=30)
            assert scraped.status_code == 200
            samples = parse(scraped.text)
            served = value(samples, "chorus_requests_total", surface="crispy", transport="rest", status="200")
            assert served == REQUESTS
        assert httpx.get(proc.admin_url + "/readyz", timeout=30).json()["checks"]["redis"] == "ok"
