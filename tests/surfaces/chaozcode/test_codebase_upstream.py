"""Codebase routes with the catalog model routed to a real OpenAI-compatible upstream: the
request asks for JSON by schema, the model's review issues are merged with ruff's (each tagged
by source, both filtered by focus), `deep` analysis adds the model's suggestions, a reply that
is not JSON still answers, and a model that is down is 503."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess
from tests.support.openai_upstream import OpenAIUpstream

CONFIG = """
[models.providers.builtin]
kind = "builtin"
[models.providers.vendor]
kind = "openai-compatible"
base_url = "{base_url}"
max_retries = 0
[models.routes.upstream-gpt]
provider = "vendor"
upstream_model = "gpt-4-0613"
[models.routes.chorus-builtin]
provider = "builtin"
[models.routes."@cf/meta/llama-3.1-8b-instruct"]
provider = "builtin"
[chaozcode.models.gpt-4]
route = "upstream-gpt"
name = "GPT-4"
vendor = "openai"
context_window = 128000
input_price = 0.03
output_price = 0.06
capabilities = ["chat", "code", "analysis"]
"""


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream().serve() as server:
        yield server


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory, upstream: OpenAIUpstream) -> Iterator[ChorusProcess]:
    config = CONFIG.format(base_url=upstream.base_url)
    with ChorusProcess(tmp_path_factory.mktemp("codebase-upstream"), config_toml=config) as proc:
        yield proc


@pytest.fixture(autouse=True)
def _fresh(upstream: OpenAIUpstream) -> None:
    upstream.reset()


MODEL_REVIEW = {
    "summary": "Shell injection and a slow loop.",
    "issues": [
        {
            "category": "security",
            "severity": "error",
            "line": 4,
            "message": "Shell injection",
            "suggestion": "No shell",
        },
        {"category": "performance", "severity": "info", "line": 5, "message": "Loop copies", "suggestion": ""},
        {"category": "vibes", "severity": "info", "line": 1, "message": "not an area: dropped", "suggestion": ""},
    ],
}
CODE = "import os\nimport subprocess\ndef run(c):\n    subprocess.call(c, shell=True)\n"


def test_review_merges_the_models_issues_with_ruffs(routed: ChorusProcess, upstream: OpenAIUpstream) -> None:
    account = add_user(routed)
    upstream.reply(json.dumps(MODEL_REVIEW))
    with rest(routed, account.key) as client:
        review = client.post("/codebase/review", json={"code": CODE}).json()
        sent = upstream.chat_requests()[-1].body
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["name"] == "code_review"
        assert CODE in sent["messages"][-1]["content"]
        assert review["summary"] == "Shell injection and a slow loop."
        by_source = {(i["source"], i["category"], i["message"]) for i in review["issues"]}
        assert ("model", "security", "Shell injection") in by_source
        assert ("model", "performance", "Loop copies") in by_source
        assert ("ruff", "security", "`subprocess` call with `shell=True` identified, security issue") in by_source
        assert ("ruff", "bugs", "`os` imported but unused") in by_source
        assert not any("dropped" in message for _, _, message in by_source)
        secure = client.post("/codebase/review", json={"code": CODE, "focus": ["security"]}).json()
        assert {(i["source"], i["category"]) for i in secure["issues"]} == {("model", "security"), ("ruff", "security")}
        assert "for security." in upstream.chat_requests()[-1].body["messages"][0]["content"]


def test_deep_analysis_adds_the_models_suggestions(routed: ChorusProcess, upstream: OpenAIUpstream) -> None:
    account = add_user(routed)
    upstream.reply(json.dumps({"suggestions": ["Add a README", "Use TypeScript strict mode"]}))
    files = [{"path": "src/index.ts", "content": "export const x = 1;\n"}]
    with rest(routed, account.key) as client:
        standard = client.post("/codebase/analyze", json={"files": files}).json()
        assert upstream.chat_requests() == []  # no model below `deep`
        deep = client.post("/codebase/analyze", json={"files": files, "depth": "deep"}).json()
    assert deep["suggestions"] == standard["suggestions"] + [
        {"source": "model", "message": "Add a README", "path": ""},
        {"source": "model", "message": "Use TypeScript strict mode", "path": ""},
    ]


def test_generate_and_fix_read_the_models_json(routed: ChorusProcess, upstream: OpenAIUpstream) -> None:
    account = add_user(routed)
    with rest(routed, account.key) as client:
        upstream.reply(
            json.dumps({"language": "python", "code": "def add(a, b):\n    return a + b\n", "explanation": "Adds."})
        )
        generated = client.post("/codebase/generate", json={"task": "add two numbers"}).json()
        assert generated["code"] == "def add(a, b):\n    return a + b\n" and generated["explanation"] == "Adds."
        upstream.reply(json.dumps({"fixedCode": "def f():\n    pass\n", "explanation": "Closed it.", "changes": ["a"]}))
        fixed = client.post("/codebase/fix", json={"code": "def f(:\n    pass", "error": "SyntaxError"}).json()
        assert fixed == {
            "fixedCode": "def f():\n    pass\n",
            "explanation": "Closed it.",
            "changes": ["a"],
            "model": "gpt-4",
            "usage": fixed["usage"],
        }
        assert "SyntaxError" in upstream.chat_requests()[-1].body["messages"][-1]["content"]
        upstream.reply("Sorry, plain words.")
        plain = client.post("/codebase/fix", json={"code": "x = ("}).json()
        assert plain["explanation"] == "Sorry, plain words." and plain["fixedCode"] == ""
        upstream.fail_next(1)
        down = client.post("/codebase/generate", json={"task": "anything"})
        assert down.status_code == 503 and down.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
