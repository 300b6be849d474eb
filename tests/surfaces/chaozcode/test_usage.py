"""GET /v2/user/usage: calls and tokens per day, endpoint and model, and cost from the catalog,
persisted in the database (so a restart and other replicas see the same numbers)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support import backends
from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess

COUNTS = ["calls", "promptTokens", "completionTokens", "totalTokens", "cost"]


def test_usage_per_day_endpoint_and_model_with_costs(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        first = client.post("/query", json={"prompt": "one", "model": "gpt-4"}).json()["usage"]
        second = client.post("/query", json={"prompt": "two words", "model": "claude-3-sonnet"}).json()["usage"]
        client.get("/models")
        report = client.get("/user/usage")
    assert report.status_code == 200
    body = report.json()
    assert list(body) == ["period", "totals", "days", "endpoints", "models"]
    today = datetime.now(UTC).date().isoformat()
    assert body["period"]["end"] == today
    cost_gpt4 = first["promptTokens"] / 1000 * 0.03 + first["completionTokens"] / 1000 * 0.06
    cost_claude = second["promptTokens"] / 1000 * 0.003 + second["completionTokens"] / 1000 * 0.015
    assert body["endpoints"] == [
        {"endpoint": "GET /models", "calls": 1},
        {"endpoint": "GET /user/usage", "calls": 1},
        {"endpoint": "POST /query", "calls": 2},
    ]
    models = {m["model"]: m["usage"] for m in body["models"]}
    assert list(models["gpt-4"]) == COUNTS
    assert models["gpt-4"]["calls"] == 1 and models["gpt-4"]["totalTokens"] == first["totalTokens"]
    assert models["gpt-4"]["cost"] == pytest.approx(cost_gpt4, abs=1e-6)
    assert models["claude-3-sonnet"]["cost"] == pytest.approx(cost_claude, abs=1e-6)
    totals = body["totals"]
    assert totals["calls"] == 4
    assert totals["totalTokens"] == first["totalTokens"] + second["totalTokens"]
    assert totals["cost"] == pytest.approx(cost_gpt4 + cost_claude, abs=1e-5)
    assert body["days"] == [{"date": today, "usage": totals}]
    with rest(chaozcode, account.key) as client:
        assert client.get("/user/me").json()["usage"]["apiCalls"] == 5
        assert client.get("/user/usage", params={"days": 91}).status_code == 422


def test_usage_outlives_a_restart(tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("chaozcode-restart")
    with ChorusProcess(data) as proc:
        account = add_user(proc)
        with rest(proc, account.key) as client:
            client.post("/query", json={"prompt": "remember me"})
    with ChorusProcess(data) as proc, rest(proc, account.key) as client:
        report = client.get("/user/usage").json()
    assert {e["endpoint"]: e["calls"] for e in report["endpoints"]}["POST /query"] == 1
    assert report["models"][0]["model"] == "gpt-4"


def test_counts_pending_at_shutdown_are_written(tmp_path_factory: pytest.TempPathFactory) -> None:
    data = tmp_path_factory.mktemp("chaozcode-flush")
    config = "[chaozcode]\nusage_flush_seconds = 3600\n"  # nothing is written but at reads and shutdown
    with ChorusProcess(data, config_toml=config) as proc:
        account = add_user(proc)
        with rest(proc, account.key) as client:
            for _ in range(3):
                client.get("/models")
        sql = "SELECT SUM(calls) FROM chaozcode_usage WHERE user_id = :u"
        assert backends.fetch(data, sql, u=account.user_id) == [(None,)]
    assert backends.fetch(data, sql, u=account.user_id) == [(3,)]
