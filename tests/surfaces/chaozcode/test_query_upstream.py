"""Catalog models routed to a real OpenAI-compatible upstream: the catalog names the vendor,
context reaches the model, a model that is down is 503 SERVICE_UNAVAILABLE, and a failure
after the stream opened arrives in the stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from httpx_sse import connect_sse

from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess
from tests.support.openai_upstream import OpenAIUpstream, cut


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream().serve() as server:
        yield server


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory, upstream: OpenAIUpstream) -> Iterator[ChorusProcess]:
    config = f"""
[models.providers.builtin]
kind = "builtin"
[models.providers.vendor]
kind = "openai-compatible"
base_url = "{upstream.base_url}"
max_retries = 0
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes."@cf/meta/llama-3.1-8b-instruct"]
provider = "builtin"
[models.routes.upstream-gpt]
provider = "vendor"
upstream_model = "gpt-4-0613"
[chaozcode.models.gpt-4]
route = "upstream-gpt"
name = "GPT-4"
vendor = "openai"
context_window = 128000
input_price = 0.03
output_price = 0.06
capabilities = ["chat", "code", "analysis"]
"""
    with ChorusProcess(tmp_path_factory.mktemp("chaozcode-upstream"), config_toml=config) as proc:
        yield proc


@pytest.fixture(autouse=True)
def _fresh(upstream: OpenAIUpstream) -> None:
    upstream.reset()


def test_the_catalog_names_the_vendor_and_context_reaches_the_model(
    routed: ChorusProcess, upstream: OpenAIUpstream
) -> None:
    account = add_user(routed)
    with rest(routed, account.key) as client:
        models = client.get("/models").json()["models"]
        assert [(m["id"], m["provider"]) for m in models] == [("gpt-4", "openai")]
        upstream.reply("REST and GraphQL differ.")
        answer = client.post(
            "/query",
            json={"prompt": "Compare them", "systemPrompt": "Be brief.", "context": {"project": "auth-v2"}},
        )
    assert answer.status_code == 200 and answer.json()["text"] == "REST and GraphQL differ."
    sent = upstream.chat_requests()[-1].body
    assert sent["model"] == "gpt-4-0613"
    assert [m["role"] for m in sent["messages"]] == ["system", "system", "user"]
    assert sent["messages"][0]["content"] == "Be brief."
    assert '{"project":"auth-v2"}' in sent["messages"][1]["content"]


def test_a_model_that_is_down_is_503(routed: ChorusProcess, upstream: OpenAIUpstream) -> None:
    account = add_user(routed)
    upstream.fail_next(2)
    with rest(routed, account.key) as client:
        for path in ("/query", "/query/stream"):
            down = client.post(path, json={"prompt": "hi"})
            assert down.status_code == 503, down.text
            assert down.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_failure_after_the_start_arrives_in_the_stream(routed: ChorusProcess, upstream: OpenAIUpstream) -> None:
    account = add_user(routed)
    upstream.reply("one two three four five six")
    upstream.push_faults(cut(after_chunks=2))
    with (
        rest(routed, account.key) as client,
        connect_sse(client, "POST", "/query/stream", json={"prompt": "hi"}) as source,
    ):
        assert source.response.status_code == 200
        events = [json.loads(e.data) for e in source.iter_sse()]
    assert events[0]["type"] == "start" and events[1]["type"] == "delta"
    last = events[-1]
    assert last["type"] == "error" and last["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert list(last["error"]) == ["code", "message", "details", "requestId"]
