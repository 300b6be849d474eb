"""Method rules from the contracts: the generated table, deny by default at start-up,
and a rate limit keyed by a request field."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest
from chorus_contracts.crispy.v1 import chat_pb2

from rest_bridge.codegen.protoc import GENERATED_PACKAGE, PROTO
from rest_bridge.method_rules import PUBLIC, Access, MethodRule, RateLimitRule, load_method_rules
from server.app import Chorus
from server.config import RateLimitSettings
from server.platform.admission.call import CallInfo
from server.platform.admission.client_address import ClientAddresses
from server.platform.admission.pipeline import Pipeline
from server.platform.admission.policies import TenantRateLimit
from server.platform.admission.rate_limit import RateLimiter
from server.platform.admission.rules import RuleError
from server.platform.errors import ChorusError, unauthenticated
from tests.support import mcos_identity as identity
from tests.surfaces.mcos.inprocess import mcos_settings

RULES = load_method_rules()


def _our_methods() -> set[str]:
    """Every method of every service in proto/ (HTTP-bound or not)."""
    methods = set()
    for proto in PROTO.rglob("*.proto"):
        name = str(proto.relative_to(PROTO))
        module = importlib.import_module(f"{GENERATED_PACKAGE}.{name[: -len('.proto')].replace('/', '.')}_pb2")
        for service in module.DESCRIPTOR.services_by_name.values():
            methods |= {f"/{service.full_name}/{m.name}" for m in service.methods}
    return methods


def test_every_method_of_every_contract_has_a_rule() -> None:
    methods = _our_methods()
    assert len(methods) > 50
    assert methods == set(RULES)


def test_the_table_states_todays_rules() -> None:
    chat = RULES["/mcos.v1.ChatService/Chat"]
    assert chat.access.authenticated and chat.spends_quotas == ("chat_messages",)
    assert chat.checks_quotas == ("llm_tokens",) and chat.honours_idempotency_key
    assert RULES["/mcos.v1.HealthService/GetHealth"].access.public
    assert RULES["/chittyos.auth.v1.AuthService/CreateToken"].access.permission == "admin"
    assert RULES["/chittyos.sync.v1.SyncService/ListTodos"].access.permission == "read"
    assert RULES["/crispy.v1.ChatService/GetHealth"].rate_limit == RateLimitRule()
    assert RULES["/chittyos.sync.v1.SyncService/SyncPlatform"].http_verbs == ("GET", "POST")


def _replacing(rules: dict[str, MethodRule], path: str, **changes: object) -> dict[str, MethodRule]:
    return {**rules, path: dataclasses.replace(rules[path], **changes)}  # type: ignore[arg-type]


async def _start(tmp_path: Path, idp: identity.TestIdp, rules: dict[str, MethodRule]) -> str:
    """Starts a real Chorus with `rules`; returns the start-up failure's message."""
    chorus = Chorus(mcos_settings(tmp_path, idp), rules=rules)
    try:
        with pytest.raises(RuleError) as refused:
            await chorus.start_grpc()
    finally:
        await chorus.stop()
    assert chorus.endpoints.grpc == ""  # never listened
    return str(refused.value)


async def test_a_served_method_without_a_rule_stops_start_up(tmp_path: Path, idp: identity.TestIdp) -> None:
    rules = {path: rule for path, rule in RULES.items() if path != "/mcos.v1.TaskService/CreateTask"}
    message = await _start(tmp_path, idp, rules)
    assert "/mcos.v1.TaskService/CreateTask has no rule" in message


async def test_a_rule_for_a_method_not_served_stops_start_up(tmp_path: Path, idp: identity.TestIdp) -> None:
    ghost = MethodRule("mcos.v1.TaskService", "ArchiveTask", "mcos", PUBLIC)
    message = await _start(tmp_path, idp, {**RULES, ghost.grpc_path: ghost})
    assert "/mcos.v1.TaskService/ArchiveTask has a rule but is not served" in message


async def test_a_demand_no_policy_enforces_stops_start_up(tmp_path: Path, idp: identity.TestIdp) -> None:
    # The AI gateway's policies check no permission, and MCoS knows no such quota.
    rules = _replacing(RULES, "/chittyos.ai.v1.AiGatewayService/ListModels", access=Access(permission="read"))
    rules = _replacing(rules, "/mcos.v1.MemoryService/PinMemory", spends_quotas=("gpu_minutes",))
    message = await _start(tmp_path, idp, rules)
    assert (
        "/chittyos.ai.v1.AiGatewayService/ListModels demands access (permission 'read'), "
        "which no policy of chittyos.ai.v1.AiGatewayService enforces"
    ) in message
    assert "/mcos.v1.MemoryService/PinMemory demands quota 'gpu_minutes' (spent)" in message


async def _refuse(call: CallInfo) -> None:
    raise unauthenticated("no identity here")


async def test_a_rate_limit_keyed_by_a_request_field_counts_per_value() -> None:
    path = "/crispy.v1.ChatService/GetSessionHistory"
    rule = dataclasses.replace(RULES[path], access=PUBLIC, rate_limit=RateLimitRule("session_id"))
    limit = TenantRateLimit(RateLimiter(), RateLimitSettings(per_minute=2, burst_per_second=10), _refuse)
    pipeline = Pipeline({rule.service: [limit]}, ClientAddresses(), rules={path: rule})

    async def admit(session_id: str, peer: str) -> CallInfo:
        request = chat_pb2.GetSessionHistoryRequest(session_id=session_id)
        return await pipeline.admit(path, {}, peer, request=request)

    await admit("s-1", "ipv4:192.0.2.1:1")
    await admit("s-1", "ipv4:192.0.2.2:1")  # another client, the same value: the same count
    with pytest.raises(ChorusError) as refused:
        await admit("s-1", "ipv4:192.0.2.3:1")
    assert refused.value.reason == "RATE_LIMITED"
    assert (await admit("s-2", "ipv4:192.0.2.3:1")).response_headers["x-ratelimit-remaining"] == "1"


async def test_a_bridge_alone_refuses_routes_without_a_rule(tmp_path: Path, idp: identity.TestIdp) -> None:
    rules = {path: rule for path, rule in RULES.items() if path != "/crispy.v1.ChatService/DeleteSession"}
    chorus = Chorus(mcos_settings(tmp_path, idp), rules=rules)
    try:
        with pytest.raises(RuleError, match=r"/crispy\.v1\.ChatService/DeleteSession"):
            await chorus.start_rest("127.0.0.1:1")  # in front of another server: nothing served here
    finally:
        await chorus.stop()
    assert chorus.endpoints.rest == ""
