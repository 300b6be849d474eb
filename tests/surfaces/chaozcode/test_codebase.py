"""Codebase routes (spec 001, "Codebase Endpoints") end to end on a real server, over REST and
gRPC: the deterministic analysis (counts, roles, real manifests), ruff's findings merged into
reviews and filtered by focus, the model's structured answers, size limits, nothing executed.
The model's own issues and suggestions (an upstream that answers them) are in
test_codebase_upstream.py."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from chorus_contracts.chaozcode.v2 import codebase_pb2, codebase_pb2_grpc

from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess

PACKAGE_JSON = json.dumps(
    {
        "name": "web",
        "dependencies": {"react": "^18.2.0", "zod": "*"},
        "devDependencies": {"vitest": "1.6.0"},
        "peerDependencies": {"react-dom": ">=18"},
    }
)
PYPROJECT = """
[project]
name = "api"
dependencies = ["httpx>=0.27", "orjson"]
[project.optional-dependencies]
speed = ["uvloop>=0.19; sys_platform != 'win32'"]
[dependency-groups]
dev = ["pytest>=8"]
[build-system]
requires = ["setuptools>=69"]
"""
GO_MOD = """module example.com/svc

go 1.22

require github.com/gin-gonic/gin v1.9.1

require (
\tgolang.org/x/sync v0.7.0 // indirect
\tgithub.com/google/uuid v1.6.0
)
"""
CARGO = """
[package]
name = "cli"
[dependencies]
serde = { version = "1.0", features = ["derive"] }
clap = "4.5"
[dev-dependencies]
insta = "1"
"""
FILES = [
    {"path": "web/package.json", "content": PACKAGE_JSON},
    {"path": "web/src/components/Button.tsx", "content": "export const Button = () => <button/>;\n" * 10},
    {"path": "web/src/components/index.ts", "content": "export * from './Button';\n"},
    {"path": "web/src/hooks/useAuth.ts", "content": "export function useAuth() {\n  return null;\n}\n"},
    {"path": "web/src/utils/format.ts", "content": "export const f = (x: number) => x.toFixed(2);\n"},
    {"path": "web/src/Button.test.tsx", "content": "test('renders', () => {});\n"},
    {"path": "web/src/app.css", "content": "body {\n  margin: 0;\n}\n"},
    {"path": "api/pyproject.toml", "content": PYPROJECT},
    {"path": "api/requirements-dev.txt", "content": "# tools\nruff==0.6.0\n-r requirements.txt\nmypy>=1.10  # types\n"},
    {"path": "api/app/main.py", "content": "def main() -> None:\n    print('hi')\n"},
    {"path": "api/tests/test_main.py", "content": "def test_main() -> None:\n    assert True\n"},
    {"path": "api/app/broken.py", "content": "def broken(:\n"},
    {"path": "svc/go.mod", "content": GO_MOD},
    {"path": "cli/Cargo.toml", "content": CARGO},
]


def _deps(body: dict[str, object]) -> set[tuple[str, ...]]:
    return {(d["ecosystem"], d["name"], d["version"], d["kind"]) for d in body["dependencies"]}  # type: ignore[attr-defined, index]


def test_analyze_counts_classifies_and_parses_real_manifests(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        answer = client.post("/codebase/analyze", json={"files": FILES})
        assert answer.status_code == 200, answer.text
        body = answer.json()
    assert list(body) == ["summary", "structure", "dependencies", "suggestions", "parseProblems"]
    lines = sum(len(f["content"].splitlines()) for f in FILES)
    summary = body["summary"]
    assert summary["totalFiles"] == len(FILES) and summary["totalLines"] == lines
    assert summary["languages"]["typescript"] == round(100 * 16 / lines, 1)  # 10 + 1 + 3 + 1 + 1 lines
    assert summary["primaryLanguage"] == max(summary["languages"], key=summary["languages"].get)
    assert abs(sum(summary["languages"].values()) - 100) < 0.5
    # components/index.ts only re-exports: no role, whatever its folder.
    assert body["structure"] == {"components": 1, "hooks": 1, "utils": 1, "tests": 2}
    assert _deps(body) == {
        ("npm", "react", "^18.2.0", "runtime"),
        ("npm", "zod", "*", "runtime"),
        ("npm", "vitest", "1.6.0", "dev"),
        ("npm", "react-dom", ">=18", "peer"),
        ("pypi", "httpx", ">=0.27", "runtime"),
        ("pypi", "orjson", "", "runtime"),
        ("pypi", "uvloop", ">=0.19", "optional"),
        ("pypi", "pytest", ">=8", "dev"),
        ("pypi", "setuptools", ">=69", "build"),
        ("pypi", "ruff", "==0.6.0", "dev"),
        ("pypi", "mypy", ">=1.10", "dev"),
        ("go", "github.com/gin-gonic/gin", "v1.9.1", "runtime"),
        ("go", "golang.org/x/sync", "v0.7.0", "runtime"),
        ("go", "github.com/google/uuid", "v1.6.0", "runtime"),
        ("cargo", "serde", "1.0", "runtime"),
        ("cargo", "clap", "4.5", "runtime"),
        ("cargo", "insta", "1", "dev"),
    }
    assert [p["path"] for p in body["parseProblems"]] == ["api/app/broken.py"]
    messages = [(s["source"], s["path"], s["message"]) for s in body["suggestions"]]
    assert ("analysis", "web/package.json", "Dependency 'zod' has no version constraint: pin it") in messages
    assert ("analysis", "api/pyproject.toml", "Dependency 'orjson' has no version constraint: pin it") in messages
    assert any(p == "api/app/broken.py" and m.startswith("Fix the parse error") for _, p, m in messages)
    assert all(source == "analysis" for source, _, _ in messages)  # the model adds only at `deep`


def test_analyze_depths_and_problems(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    long_function = "def long():\n" + "    x = 1\n" * 100
    files = [{"path": "big.py", "content": long_function + "x = 2\n" * 450}]
    with rest(chaozcode, account.key) as client:
        basic = client.post("/codebase/analyze", json={"files": files, "depth": "basic", "language": "python"}).json()
        assert basic["suggestions"] == [] and basic["summary"]["primaryLanguage"] == "python"
        standard = client.post("/codebase/analyze", json={"files": files}).json()
        assert [s["message"] for s in standard["suggestions"]] == [
            "No test files found: add tests for the main code paths",
            "551 lines: consider splitting this file",
            "Function 'long' is 101 lines long: split it up",
        ]
        deep = client.post("/codebase/analyze", json={"files": files, "depth": "deep"})
        assert deep.status_code == 200 and deep.json()["suggestions"][:3] == standard["suggestions"]
        bad_manifest = client.post("/codebase/analyze", json={"files": [{"path": "package.json", "content": "{"}]})
        assert bad_manifest.json()["parseProblems"][0]["message"].startswith("not JSON")


# Each file's role comes from its syntax tree; the path would say otherwise for every one.
ROLE_CASES = [
    # Components named and placed like something else: a hooks/ folder, a utils/ folder.
    ("component", "src/hooks/badge.tsx", "export const Badge = ({ n }: { n: number }) => <b>{n}</b>;\n"),
    (
        "component",
        "src/utils/format.js",
        "export const formatBadge = 1;\nexport const Badge = ({ n }) => <b>{n}</b>;\n",
    ),
    # Button.tsx under components/ without JSX: a plain exported function.
    (
        "util",
        "src/components/Button.tsx",
        "export function Button(label: string): string {\n  return label.trim();\n}\n",
    ),
    # A hook whose path says nothing of hooks.
    (
        "hook",
        "src/state/thing.ts",
        "import { useState } from 'react';\nexport function useThing() {\n  return useState(0)[0];\n}\n",
    ),
    ("hook", "src/lib/store.js", "const useStore = () => ({ items: [] });\nexport default useStore;\n"),
    # A hooks/ folder file that only holds constants.
    ("", "src/hooks/keys.ts", "export const KEYS = ['a', 'b'];\n"),
    # Arrow-function components, also wrapped in memo().
    ("component", "src/utils/Row.js", "const Row = memo(() => <tr><td /></tr>);\nexport default Row;\n"),
    # Class components, by their base class or their JSX.
    (
        "component",
        "src/lib/panel.js",
        "import React from 'react';\nexport default class Panel extends React.Component {}\n",
    ),
    ("component", "src/widgets/Box.ts", "class Box extends Component<Props> {\n  state = {};\n}\nexport { Box };\n"),
    # Test calls in a file not named like a test.
    (
        "test",
        "src/checks.ts",
        "describe.each([1, 2])('n=%i', (n) => {\n  it('is positive', () => expect(n).toBeGreaterThan(0));\n});\n",
    ),
    # CommonJS exports of plain functions.
    ("util", "src/money.cjs", "function cents(x) { return x * 100; }\nmodule.exports = { cents };\n"),
    # Python, from its `ast`: plain public functions make a util wherever the file lives...
    ("util", "app/pricing.py", '"""Money."""\nimport math\n\nRATE = 2\n\ndef cents(x):\n    return math.floor(x)\n'),
    # ...and a utils/ file that holds a class, an entry point or a script is none.
    ("", "app/utils/models.py", "class Price:\n    pass\n\ndef cents(x):\n    return x\n"),
    ("", "app/utils/cli.py", "def run():\n    pass\n\nif __name__ == '__main__':\n    run()\n"),
    ("", "app/lib/routes.py", "@app.get('/')\ndef root():\n    return {}\n"),
    # pytest's own collection rule: test functions and Test classes, whatever the name.
    ("test", "app/checks.py", "class TestPrice:\n    def test_cents(self):\n        assert True\n"),
]
BROKEN_TSX = """export function Card() {
  return <div className="card">ok</div>;
}

export function total(xs: number[]) {
  return xs.reduce((a, b) => a + , 0);
}
"""


@pytest.mark.parametrize(("role", "path", "content"), ROLE_CASES, ids=[case[1] for case in ROLE_CASES])
def test_analyze_roles_come_from_the_syntax_tree(chaozcode: ChorusProcess, role: str, path: str, content: str) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        answer = client.post("/codebase/analyze", json={"files": [{"path": path, "content": content}]})
    assert answer.status_code == 200, answer.text
    expected = {"components": 0, "hooks": 0, "utils": 0, "tests": 0}
    if role:
        expected[role + "s"] = 1
    assert answer.json()["structure"] == expected
    assert answer.json()["parseProblems"] == []


def test_analyze_a_script_with_a_syntax_error(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    files = [
        {"path": "src/Card.tsx", "content": BROKEN_TSX},
        {"path": "src/garbage.js", "content": "}{ )( <<>> export function"},
    ]
    with rest(chaozcode, account.key) as client:
        answer = client.post("/codebase/analyze", json={"files": files})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["summary"]["totalFiles"] == 2 and body["summary"]["totalLines"] == 8
    # The component before the error still counts.
    assert body["structure"] == {"components": 1, "hooks": 0, "utils": 0, "tests": 0}
    assert body["parseProblems"] == [
        {"path": "src/Card.tsx", "message": "TypeScript syntax error at line 6, column 32"},
        {"path": "src/garbage.js", "message": "JavaScript syntax error at line 1, column 1"},
    ]
    assert ("src/Card.tsx", "Fix the parse error: TypeScript syntax error at line 6, column 32") in [
        (s["path"], s["message"]) for s in body["suggestions"]
    ]


def test_analyze_long_script_functions_from_the_tree(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    body = "  total += 1;\n" * 85
    content = (
        f"export const tally = (total: number) => {{\n{body}  return total;\n}};\n"
        f"export class Ledger {{\n  post(total: number) {{\n{body}    return total;\n  }}\n}}\n"
        "export function short() {\n  return 1;\n}\n"
    )
    with rest(chaozcode, account.key) as client:
        answer = client.post("/codebase/analyze", json={"files": [{"path": "src/ledger.ts", "content": content}]})
    assert answer.status_code == 200, answer.text
    assert [(s["path"], s["message"]) for s in answer.json()["suggestions"]][1:] == [
        ("src/ledger.ts", "Function 'tally' is 88 lines long: split it up"),
        ("src/ledger.ts", "Function 'post' is 88 lines long: split it up"),
    ]


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({}, "files", 400),
        ({"files": [{"path": "a.py", "content": "x"}], "depth": "extreme"}, "depth", 422),
        ({"files": [{"path": f"f{i}.py", "content": ""} for i in range(501)]}, "files", 422),
        ({"files": [{"path": "a.py", "content": "x" * 200_001}]}, "files[0].content", 422),
        ({"files": [{"path": f"f{i}.py", "content": "x" * 190_000} for i in range(5)]}, "files", 422),
        ({"files": [{"path": "", "content": "x"}]}, "files[0].path", 422),
    ],
)
def test_analyze_limits(chaozcode: ChorusProcess, body: dict[str, object], field: str, status: int) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        refused = client.post("/codebase/analyze", json=body)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["details"]["field"] == field


UNSAFE = """import os
import subprocess


def run(command, path):
    subprocess.call(command, shell=True)
    for i in range(len(path)):
        print(path[i])
    open("{marker}", "w").write(eval(command))
    return undefined_name
"""


def test_review_merges_ruff_findings_by_source_and_focus(chaozcode: ChorusProcess, tmp_path: Path) -> None:
    account = add_user(chaozcode)
    marker = tmp_path / "executed"
    code = UNSAFE.format(marker=marker)
    with rest(chaozcode, account.key) as client:
        answer = client.post("/codebase/review", json={"code": code})
        assert answer.status_code == 200, answer.text
        review = answer.json()
        assert list(review) == ["language", "summary", "issues", "analyzers", "model", "usage"]
        assert review["language"] == "python" and review["analyzers"] == ["ruff"] and review["model"] == "gpt-4"
        found = {(i["source"], i["rule"], i["category"], i["line"]) for i in review["issues"]}
        assert {
            ("ruff", "F401", "bugs", 1),
            ("ruff", "S602", "security", 6),
            ("ruff", "S307", "security", 9),
            ("ruff", "F821", "bugs", 10),
        } <= found
        assert review["usage"]["totalTokens"] > 0 and review["summary"]
        secure = client.post("/codebase/review", json={"code": code, "focus": ["security"]}).json()
        assert secure["issues"] and {i["category"] for i in secure["issues"]} == {"security"}
        assert {i["rule"] for i in secure["issues"]} >= {"S602", "S307"}
        style = client.post("/codebase/review", json={"code": code, "focus": ["style", "bugs"]}).json()
        assert {i["category"] for i in style["issues"]} <= {"style", "bugs"} and "S602" not in str(style)
        plain = client.post("/codebase/review", json={"code": "SELECT 1;", "language": "sql"}).json()
        assert plain["analyzers"] == [] and plain["language"] == "sql"
        unknown = client.post("/codebase/review", json={"code": code, "focus": ["speed"]})
        assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "focus"
        too_long = client.post("/codebase/review", json={"code": "x" * 100_001})
        assert too_long.status_code == 422 and too_long.json()["error"]["details"]["field"] == "code"
        assert client.post("/codebase/review", json={}).status_code == 400
    assert not marker.exists()  # read, never run


def test_generate_and_fix_answer_in_structure(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        generated = client.post(
            "/codebase/generate",
            json={
                "task": "A function that adds two numbers",
                "language": "python",
                "style": {"indent": 4},
                "context": [{"path": "math_utils.py", "content": "def sub(a, b):\n    return a - b\n"}],
                "model": "claude-3-sonnet",
            },
        )
        assert generated.status_code == 200, generated.text
        body = generated.json()
        assert list(body) == ["language", "code", "explanation", "model", "usage"]
        assert body["code"] and body["model"] == "claude-3-sonnet" and body["usage"]["promptTokens"] > 0
        fixed = client.post(
            "/codebase/fix", json={"code": "def f(:\n    pass", "error": "SyntaxError: invalid syntax"}
        ).json()
        assert list(fixed) == ["fixedCode", "explanation", "changes", "model", "usage"]
        assert fixed["fixedCode"] and fixed["model"] == "gpt-4"
        for path, body_, field in (
            ("/codebase/generate", {"task": "x", "model": "gpt-5"}, "model"),
            ("/codebase/generate", {"task": "x" * 20_001}, "task"),
            ("/codebase/generate", {"task": "x", "context": [{"path": "a", "content": "y" * 200_001}]}, "context"),
            ("/codebase/fix", {"code": "x", "error": "e" * 20_001}, "error"),
            ("/codebase/fix", {"code": "x" * 100_001}, "code"),
        ):
            refused = client.post(path, json=body_)
            assert refused.status_code == 422, (path, refused.text)
            assert refused.json()["error"]["details"]["field"] == field
        assert client.post("/codebase/generate", json={}).status_code == 400
        assert client.post("/codebase/fix", json={}).status_code == 400


def test_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    account = add_user(chaozcode)
    stub = codebase_pb2_grpc.CodebaseServiceStub(chaozcode_channel)
    meta = account.metadata
    analysis = stub.AnalyzeCodebase(
        codebase_pb2.AnalyzeCodebaseRequest(
            files=[codebase_pb2.SourceFile(path="svc/go.mod", content=GO_MOD)], depth="basic"
        ),
        metadata=meta,
    )
    assert [d.name for d in analysis.dependencies] == [
        "github.com/gin-gonic/gin",
        "golang.org/x/sync",
        "github.com/google/uuid",
    ]
    review = stub.ReviewCode(codebase_pb2.ReviewCodeRequest(code="import os\n", focus=["bugs"]), metadata=meta)
    assert [(i.source, i.rule) for i in review.issues] == [("ruff", "F401")]
    assert stub.GenerateCode(codebase_pb2.GenerateCodeRequest(task="hello world"), metadata=meta).code
    assert stub.FixCode(codebase_pb2.FixCodeRequest(code="x = ", error="SyntaxError"), metadata=meta).fixed_code
    with pytest.raises(grpc.RpcError) as refused:
        stub.ReviewCode(codebase_pb2.ReviewCodeRequest(code="x", focus=["speed"]), metadata=meta)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
