"""Crispy chat answered by an OpenAI-compatible upstream (a real server started here)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.support.chorus_process import ChorusProcess
from tests.support.openai_upstream import OpenAIUpstream
from tests.support.sse import parse_sse

KEY = "sk-upstream-e2e-42"


def test_chat_through_openai_compatible_provider(tmp_path: Path) -> None:
    with OpenAIUpstream(api_key=KEY).serve() as upstream:
        upstream.reply("Multi-tenant architecture shares one deployment.", usage=(50, 7))
        config = f"""
[models]
default = "gpt-4"
[models.providers.builtin]
kind = "builtin"
[models.providers.local]
kind = "openai-compatible"
base_url = "{upstream.base_url}"
api_key = "{KEY}"
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes."gpt-4"]
provider = "local"
upstream_model = "llama-3.1-8b-instruct"
"""
        session = str(uuid.uuid4())
        headers = {"x-tenant-id": "demo"}
        with (
            ChorusProcess(tmp_path / "oa", config_toml=config) as proc,
            httpx.Client(base_url=proc.rest_url, timeout=30) as client,
        ):
            streamed = client.post("/chat", json={"sessionId": session, "message": "What is it?"}, headers=headers)
            events, _ = parse_sse(streamed.text)
            text = "".join(e.json()["token"] for e in events if e.event == "token")
            assert text == "Multi-tenant architecture shares one deployment."
            assert events[-1].json() == {"usage": {"promptTokens": 50, "completionTokens": 7}}

            single = client.post(
                "/chat", json={"sessionId": session, "message": "Again?", "stream": False}, headers=headers
            ).json()
            assert single["response"] == "Multi-tenant architecture shares one deployment."

        sent = [r for r in upstream.requests if r.path.endswith("/chat/completions")]
        assert len(sent) == 2
        assert sent[0].authorization == f"Bearer {KEY}"
        assert sent[0].body["model"] == "llama-3.1-8b-instruct"
        assert sent[0].body["stream"] is True
        # The second turn carries the first as context.
        assert [m["role"] for m in sent[1].body["messages"]] == ["user", "assistant", "user"]
        assert sent[1].body["messages"][-1]["content"] == "Again?"
