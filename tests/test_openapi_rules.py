"""The methods' rules in the OpenAPI documents and in codegen.

Each operation states its access (`x-access`; no security for a public one),
the `Idempotency-Key` header where its method honours it, and the rate-limit
headers where a quota or rate limit applies; a rule that cannot be right fails
codegen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc_tools
import openapi_spec_validator
import pytest

from rest_bridge.codegen.protoc import plugin_wrapper
from rest_bridge.method_rules import load_method_rules

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted((ROOT / "gen" / "chorus_contracts" / "openapi").glob("*.json"))
RULES = load_method_rules()
RATE_LIMIT_HEADERS = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}
VERBS = {"get", "put", "post", "delete", "patch", "head", "options"}


def _operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in doc["paths"].values() for verb, op in item.items() if verb in VERBS]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_each_operation_carries_its_methods_rule(path: Path) -> None:
    doc = json.loads(path.read_text())
    openapi_spec_validator.validate(doc)
    schemes = set(doc["components"].get("securitySchemes", {}))
    for op in _operations(doc):
        rule = RULES[op["x-grpc-method"]]
        assert op["x-access"] == str(rule.access)
        if rule.access.public:
            assert op["security"] == []
        elif schemes:  # the surface's schemes, any one of them, with the permission as the role
            roles = [rule.access.permission] if rule.access.permission else []
            assert op["security"], op["operationId"]
            for requirement in op["security"]:
                assert requirement.keys() <= schemes and all(r == roles for r in requirement.values())
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) == rule.honours_idempotency_key
        limited = bool(rule.spends_quotas) or rule.rate_limit is not None
        for status, response in op["responses"].items():
            if status != "default":
                assert (set(response.get("headers", {})) >= RATE_LIMIT_HEADERS) == limited, (op["operationId"], status)


def test_mcos_tasks_and_health() -> None:
    doc = json.loads((ROOT / "gen" / "chorus_contracts" / "openapi" / "mcos.json").read_text())
    create = doc["paths"]["/api/tasks"]["post"]
    assert create["x-access"] == "authenticated" and create["x-quotas"] == ["storage_writes"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert set(create["responses"]["201"]["headers"]) >= RATE_LIMIT_HEADERS
    listing = doc["paths"]["/api/tasks"]["get"]
    assert "headers" not in listing["responses"]["200"] and "x-quotas" not in listing
    assert doc["paths"]["/api/health"]["get"]["security"] == []


BAD_RULE_PROTO = """
syntax = "proto3";
package rules_testing.v1;
import "chorus/api/v1/annotations.proto";
service Signup {
  rpc ResendVerification(ResendRequest) returns (ResendResponse) {
    option (chorus.api.v1.method) = {access: {public: true} rate_limit: {key_field: "mail"}};
  }
}
message ResendRequest { string email = 1; }
message ResendResponse {}
"""


def test_a_rate_limit_keyed_by_no_request_field_fails_codegen(tmp_path: Path) -> None:
    source = tmp_path / "rules_testing" / "v1" / "signup.proto"
    source.parent.mkdir(parents=True)
    source.write_text(BAD_RULE_PROTO)
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "gen"), str(ROOT)])}
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{tmp_path}",
            f"-I{ROOT / 'proto'}",
            f"-I{ROOT / 'third_party' / 'googleapis'}",
            f"-I{Path(grpc_tools.__file__).parent / '_proto'}",
            f"--plugin=protoc-gen-chorus={plugin_wrapper(tmp_path)}",
            f"--chorus_out={out}",
            "rules_testing/v1/signup.proto",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert made.returncode != 0
    assert "/rules_testing.v1.Signup/ResendVerification: rate_limit.key_field 'mail'" in made.stderr
    source.write_text(BAD_RULE_PROTO.replace('"mail"', '"email"'))
    made = subprocess.run(made.args, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    table = (out / "method_rules.py").read_text()
    assert "rate_limit=RateLimitRule('email')" in table and "access=Access(public=True)" in table


def test_a_service_names_the_schemes_that_prove_its_callers() -> None:
    def security(surface: str, path: str, verb: str) -> Any:
        doc = json.loads((ROOT / "gen" / "chorus_contracts" / "openapi" / f"{surface}.json").read_text())
        return doc["paths"][path][verb]["security"]

    assert security("chittyos-id", "/generate", "post") == [{"apiKey": []}]
    assert security("chittyos-sync", "/api/project", "get") == [{"accessToken": ["read"]}]
    assert security("chittyos-auth", "/api/auth/token", "post") == [{"adminKey": ["admin"]}]
    # A service that names none: any of its surface's schemes.
    assert security("crispy", "/health", "get") == [{"apiKey": []}, {"tenantId": []}]
