"""Agents (spec 001, "Agent Endpoints"): runs of the platform agent loop as jobs, with
tools over the user's projects; timeouts, cancellation, kill -9, and the agent.*
webhooks they emit (verified as every delivery is)."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support import backends
from tests.support.chaozcode import Account, add_user, rest
from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.webhook_receiver import WebhookReceiver, config_toml, verify_both_ways, webhook_receiver

# A second builtin provider that streams a token every 0.2 s: runs that take a while.
SLOW_MODEL = """
[models.providers.builtin]
kind = "builtin"
[models.providers.slow]
kind = "builtin"
token_delay = 0.2
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes."@cf/meta/llama-3.1-8b-instruct"]
provider = "builtin"
[models.routes.slow-route]
provider = "slow"
[chaozcode.models.gpt-4]
name = "GPT-4"
vendor = "openai"
context_window = 128000
input_price = 0.03
output_price = 0.06
[chaozcode.models.slow]
route = "slow-route"
name = "Slow builtin"
vendor = "chorus"
context_window = 128000
input_price = 0.01
output_price = 0.02
"""
SETTLE_OFTEN = "[chaozcode]\nagent_settle_seconds = 1.0\n"
LONG_PROMPT = " ".join(f"word{n}" for n in range(400))


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookReceiver]:
    with webhook_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[ChorusProcess]:
    toml = config_toml(receiver, extra=SLOW_MODEL)
    with ChorusProcess(tmp_path_factory.mktemp("agents"), config_toml=toml) as proc:
        yield proc


def spawn(proc: ChorusProcess, account: Account, **body: Any) -> dict[str, Any]:
    with rest(proc, account.key) as client:
        made = client.post("/agents/spawn", json=body)
    assert made.status_code == 202, made.text
    return dict(made.json())


def agent(proc: ChorusProcess, account: Account, agent_id: str) -> dict[str, Any]:
    with rest(proc, account.key) as client:
        got = client.get(f"/agents/{agent_id}")
    assert got.status_code == 200, got.text
    return dict(got.json())


def finished(proc: ChorusProcess, account: Account, agent_id: str, timeout: float = 20) -> dict[str, Any]:
    assert wait_until(lambda: agent(proc, account, agent_id)["status"] != "running", timeout=timeout)
    return agent(proc, account, agent_id)


def hook_all_agent_events(proc: ChorusProcess, account: Account, receiver: WebhookReceiver, path: str) -> str:
    with rest(proc, account.key) as client:
        made = client.post(
            "/webhooks",
            json={"url": receiver.script(path, "ok"), "events": ["agent.started", "agent.completed", "agent.failed"]},
        )
    assert made.status_code == 201, made.text
    return str(made.json()["secret"])


def events_at(receiver: WebhookReceiver, path: str, secret: str) -> list[dict[str, Any]]:
    return [verify_both_ways(secret, r) for r in receiver.at(path)]


def test_types_list_every_documented_type(agents: ChorusProcess) -> None:
    account = add_user(agents)
    with rest(agents, account.key) as client:
        answer = client.get("/agents/types")
    assert answer.status_code == 200, answer.text
    types = {t["type"]: t for t in answer.json()["types"]}
    assert list(types) == ["explore", "task", "code-review", "general-purpose"]
    for one in types.values():
        assert one["description"] and one["capabilities"] and one["tools"]
    assert "list_projects" in types["explore"]["tools"] and "get_project" in types["code-review"]["tools"]


def test_a_run_calls_tools_over_the_users_projects_and_completes(
    agents: ChorusProcess, receiver: WebhookReceiver
) -> None:
    account = add_user(agents)
    secret = hook_all_agent_events(agents, account, receiver, "/agents-ok")
    with rest(agents, account.key) as client:
        project = client.post("/projects", json={"name": "Payments", "settings": {"language": "rust"}}).json()
    started = spawn(agents, account, type="explore", prompt=f'/tool get_project {{"projectId": "{project["id"]}"}}')
    assert list(started) == ["agentId", "type", "status", "createdAt"]
    assert re.fullmatch(r"agent_[0-9a-f]{24}", started["agentId"])
    assert started["type"] == "explore" and started["status"] == "running"
    done = finished(agents, account, started["agentId"])
    assert done["status"] == "completed", done
    result = done["result"]
    assert "get_project tool returned" in result["summary"] and "rust" in result["summary"]
    assert result["confidence"] == 0.95 and result.get("files", []) == []
    assert done["usage"]["tokens"] > 0 and done["model"] == "gpt-4"
    assert done["usage"]["cost"] > 0 and done["duration"] >= 0
    assert wait_until(lambda: len(receiver.at("/agents-ok")) == 2)
    kinds = [(e["type"], e["data"]["agentId"]) for e in events_at(receiver, "/agents-ok", secret)]
    assert sorted(kinds) == sorted([("agent.started", started["agentId"]), ("agent.completed", started["agentId"])])
    completed = next(e for e in events_at(receiver, "/agents-ok", secret) if e["type"] == "agent.completed")
    assert completed["data"]["result"] == result


def test_a_tool_over_another_users_project_fails_the_run(agents: ChorusProcess) -> None:
    owner, other = add_user(agents), add_user(agents)
    with rest(agents, owner.key) as client:
        project = client.post("/projects", json={"name": "Private"}).json()
    started = spawn(agents, other, type="task", prompt=f'/tool get_project {{"projectId": "{project["id"]}"}}')
    done = finished(agents, other, started["agentId"])
    assert done["status"] == "failed" and "not found" in done["error"]


def test_a_run_past_its_timeout_fails_with_a_reason(agents: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(agents)
    secret = hook_all_agent_events(agents, account, receiver, "/agents-timeout")
    started = spawn(agents, account, type="general-purpose", prompt=LONG_PROMPT, model="slow", timeout=1)
    done = finished(agents, account, started["agentId"])
    assert done["status"] == "failed" and done["error"] == "timed out after 1 s"
    assert 1.0 <= done["duration"] < 10
    assert wait_until(lambda: len(receiver.at("/agents-timeout")) == 2)
    failed = [e for e in events_at(receiver, "/agents-timeout", secret) if e["type"] == "agent.failed"]
    assert [e["data"]["error"] for e in failed] == ["timed out after 1 s"]


def job_state(proc: ChorusProcess, agent_id: str) -> str:
    sql = "SELECT j.state FROM jobs j JOIN chaozcode_agent_runs r ON r.job_id = j.id WHERE r.id = :a"
    [(state,)] = backends.fetch(proc.data_dir, sql, a=agent_id)
    return str(state)


def test_cancelling_stops_the_run(agents: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(agents)
    secret = hook_all_agent_events(agents, account, receiver, "/agents-cancel")
    started = spawn(agents, account, type="task", prompt=LONG_PROMPT, model="slow")
    assert wait_until(lambda: job_state(agents, started["agentId"]) == "running")
    with rest(agents, account.key) as client:
        cancelled = client.delete(f"/agents/{started['agentId']}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["error"] == "cancelled"
    assert wait_until(lambda: job_state(agents, started["agentId"]) == "cancelled")
    time.sleep(0.5)
    after = agent(agents, account, started["agentId"])
    assert after["status"] == "cancelled" and "result" not in after
    assert wait_until(lambda: len(receiver.at("/agents-cancel")) == 2)
    failed = [e for e in events_at(receiver, "/agents-cancel", secret) if e["type"] == "agent.failed"]
    assert [e["data"]["status"] for e in failed] == ["cancelled"]
    # Cancelling a finished run changes nothing.
    with rest(agents, account.key) as client:
        assert client.delete(f"/agents/{started['agentId']}").json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"prompt": "x"}, 400, "type"),
        ({"type": "explore"}, 400, "prompt"),
        ({"type": "wizard", "prompt": "x"}, 422, "type"),
        ({"type": "explore", "prompt": "x", "model": "gpt-9"}, 422, "model"),
        ({"type": "explore", "prompt": "x", "timeout": 3601}, 422, "timeout"),
        ({"type": "explore", "prompt": "x", "timeout": -1}, 422, "timeout"),
        ({"type": "explore", "prompt": "x" * 100_001}, 422, "prompt"),
    ],
)
def test_invalid_spawns_are_refused(agents: ChorusProcess, body: dict[str, Any], status: int, field: str) -> None:
    account = add_user(agents)
    with rest(agents, account.key) as client:
        answer = client.post("/agents/spawn", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["details"]["field"] == field


def test_runs_are_their_owners(agents: ChorusProcess) -> None:
    owner, stranger = add_user(agents), add_user(agents)
    started = spawn(agents, owner, type="explore", prompt="hello")
    with rest(agents, stranger.key) as client:
        for answer in (client.get(f"/agents/{started['agentId']}"), client.delete(f"/agents/{started['agentId']}")):
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
        assert client.get("/agents/agent_nope").status_code == 404


def test_a_run_whose_process_is_killed_fails_with_the_reason(tmp_path: Path, receiver: WebhookReceiver) -> None:
    """Agent runs are not repeated after a crash (see agents/runs.py): the run ends failed,
    and agent.failed is emitted by the periodic sweep before anyone reads it."""
    toml = config_toml(receiver, extra=SETTLE_OFTEN + SLOW_MODEL)
    first = ChorusProcess(tmp_path, config_toml=toml).start()
    try:
        account = add_user(first)
        secret = hook_all_agent_events(first, account, receiver, "/agents-killed")
        started = spawn(first, account, type="task", prompt=LONG_PROMPT, model="slow")
        assert wait_until(lambda: job_state(first, started["agentId"]) == "running")
    finally:
        first.signal(signal.SIGKILL)
        first.wait(10)
    with ChorusProcess(tmp_path, config_toml=toml) as second:
        # Deliveries are at least once: agent.started, in flight at the kill, may come twice.
        def failed_delivered() -> bool:
            return any(e["type"] == "agent.failed" for e in events_at(receiver, "/agents-killed", secret))

        assert wait_until(failed_delivered, timeout=30)
        events = list({e["id"]: e for e in events_at(receiver, "/agents-killed", secret)}.values())
        assert sorted(e["type"] for e in events) == ["agent.failed", "agent.started"]
        reason = "the process running it stopped (its lease expired)"
        assert [e["data"]["error"] for e in events if e["type"] == "agent.failed"] == [reason]
        done = agent(second, account, started["agentId"])
        assert done["status"] == "failed" and done["error"] == reason


def test_readonly_keys_cannot_spawn(agents: ChorusProcess) -> None:
    account = add_user(agents, key_type="readonly")
    answer = httpx.post(
        f"{agents.rest_url}/v2/agents/spawn", json={"type": "explore", "prompt": "x"}, headers=account.headers
    )
    assert answer.status_code == 403


def test_a_run_searches_the_users_memories(agents: ChorusProcess) -> None:
    account = add_user(agents)
    other = add_user(agents)
    with rest(agents, account.key) as client:
        stored = {"id": "db-choice", "content": "We picked PostgreSQL for the billing service", "tags": ["infra"]}
        assert client.post("/memory/store", json=stored).status_code == 201
    with rest(agents, other.key) as client:
        theirs = {"id": "secret-plan", "content": "Another user's note about databases", "tags": ["infra"]}
        assert client.post("/memory/store", json=theirs).status_code == 201
    started = spawn(
        agents, account, type="explore", prompt='/tool search_memory {"query": "which database for billing?"}'
    )
    done = finished(agents, account, started["agentId"])
    assert done["status"] == "completed", done
    summary = done["result"]["summary"]
    assert "search_memory tool returned" in summary and "PostgreSQL" in summary
    assert "Another user's note" not in summary


def test_a_code_review_run_analyses_the_files_it_is_given(agents: ChorusProcess) -> None:
    account = add_user(agents)
    manifest = '{"name": "web", "dependencies": {"react": "^18.2.0"}}'
    files = [
        {"path": "package.json", "content": manifest},
        {"path": "src/util.py", "content": "def f():\n    return 1\n"},
    ]
    prompt = "/tool analyze_code " + orjson.dumps({"files": files}).decode()
    started = spawn(agents, account, type="code-review", prompt=prompt)
    done = finished(agents, account, started["agentId"])
    assert done["status"] == "completed", done
    summary = done["result"]["summary"]
    assert "analyze_code tool returned" in summary and "(2 files, 1 dependencies" in summary
    assert sorted(done["result"]["files"]) == ["package.json", "src/util.py"]
