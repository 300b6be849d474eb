"""Who is calling and how often: rate-limit headers on every answer, sessions per
key user, the client address behind proxies, and lockout after bad keys.

The test client connects from loopback, which the default `trusted_proxies`
trusts like a proxy on the same host: `X-Forwarded-For` then names the client,
so each test can act from addresses of its own (TEST-NET ranges)."""

from __future__ import annotations

import itertools
import time
import uuid

import grpc
import httpx
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc

from server.config import ApiKeyLockoutSettings
from tests.support.chorus_process import ChorusProcess
from tests.support.crispy_server import assert_sessions_kept_apart
from tests.support.grpc_status import error_info

_addresses = (f"203.0.113.{n}" for n in itertools.count(1))
LOCKOUT = ApiKeyLockoutSettings()  # the default a fresh server runs with


def new_address() -> str:
    """A client address no other test (of this process) has used."""
    return next(_addresses)


def _assert_limit_headers(response: httpx.Response, limit: int, longest_wait: int = 60) -> tuple[int, int]:
    headers = response.headers
    assert headers["x-ratelimit-limit"] == str(limit), dict(headers)
    remaining, reset = int(headers["x-ratelimit-remaining"]), int(headers["x-ratelimit-reset"])
    assert 0 <= remaining < limit
    assert time.time() - 1 <= reset <= time.time() + longest_wait + 1
    return remaining, reset


# --- rate-limit headers on every answer ---


def test_a_burst_refusal_says_there_is_no_room_and_for_how_long(rest: httpx.Client) -> None:
    headers = {"x-tenant-id": "bursty", "x-forwarded-for": new_address()}
    for _ in range(40):  # two a second pass; quick requests meet the burst window
        refused = rest.get("/health", headers=headers)
        if refused.status_code == 429:
            break
        assert refused.status_code == 200, refused.text
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded", "requestId": refused.headers["x-request-id"]}
    remaining, reset = _assert_limit_headers(refused, 100)
    retry_after = int(refused.headers["retry-after"])
    assert remaining == 0 and retry_after == 1
    # The reset is when a retry passes, as retry-after says.
    assert reset <= time.time() + retry_after + 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-tenant-id": "ghost"}, {"x-tenant-id": "acme"}, {"x-api-key": "chorus_deadbeef_not-a-key"}],
    ids=["no tenant", "unknown tenant", "key required", "wrong key"],
)
def test_refused_credentials_carry_the_rate_limit_headers(rest: httpx.Client, headers: dict[str, str]) -> None:
    client = {"x-forwarded-for": new_address()}
    first = rest.get("/health", headers={**headers, **client})
    assert first.status_code == 401, first.text
    remaining, _ = _assert_limit_headers(first, 100)
    assert "retry-after" not in first.headers
    second = rest.get("/health", headers={**headers, **client})
    assert _assert_limit_headers(second, 100)[0] == remaining - 1


def test_errors_of_the_service_carry_the_rate_limit_headers(rest: httpx.Client) -> None:
    headers = {"x-tenant-id": "bursty", "x-forwarded-for": new_address()}
    missing = rest.get(f"/chat/{uuid.uuid4()}/history", headers=headers)
    assert missing.status_code == 404
    invalid = rest.post("/chat", json={"sessionId": str(uuid.uuid4()), "message": ""}, headers=headers)
    assert invalid.status_code == 400
    assert _assert_limit_headers(invalid, 100)[0] == _assert_limit_headers(missing, 100)[0] - 1


# --- sessions belong to the key's user ---


def test_a_key_users_sessions_are_theirs(rest: httpx.Client, acme_key: str, acme_bob_key: str) -> None:
    assert_sessions_kept_apart(rest, {"x-api-key": acme_key}, {"x-api-key": acme_bob_key})


# --- the client address behind proxies ---


def _health_codes(rest: httpx.Client, forwarded_for: str, times: int) -> list[int]:
    headers = {"x-tenant-id": "proxied", "x-forwarded-for": forwarded_for}
    return [rest.get("/health", headers=headers).status_code for _ in range(times)]


def test_a_trusted_proxy_names_the_client_over_rest(rest: httpx.Client) -> None:
    client, neighbour = new_address(), new_address()
    assert _health_codes(rest, client, 4) == [200, 200, 200, 429]
    # Another client behind the same proxy has a bucket of its own.
    assert _health_codes(rest, neighbour, 1) == [200]
    # Whatever a client writes in front of what the proxy appended is not believed.
    assert _health_codes(rest, f"198.51.100.7, {client}", 1) == [429]
    assert _health_codes(rest, f"198.51.100.8,{client}", 1) == [429]


def test_a_trusted_proxy_names_the_client_over_grpc(chorus: ChorusProcess) -> None:
    client = new_address()
    with grpc.insecure_channel(chorus.grpc_addr) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)

        def health(forwarded_for: str) -> str:
            metadata = (("x-tenant-id", "proxied-grpc"), ("x-forwarded-for", forwarded_for))
            try:
                stub.GetHealth(chat_pb2.GetHealthRequest(), metadata=metadata)
                return "OK"
            except grpc.RpcError as error:
                return error.code().name

        assert [health(f"192.0.2.{n}, {client}") for n in range(4)] == ["OK"] * 3 + ["RESOURCE_EXHAUSTED"]
        assert health(new_address()) == "OK"


# --- lockout after bad keys ---


def test_repeated_bad_keys_lock_their_source_out(rest: httpx.Client, acme_key: str) -> None:
    source, bystander = new_address(), new_address()

    def health(key: str, address: str) -> httpx.Response:
        return rest.get("/health", headers={"x-api-key": key, "x-forwarded-for": address})

    for n in range(LOCKOUT.failures):
        assert health(f"chorus_{n:08x}_guess", source).status_code == 401
    locked = health(acme_key, source)  # the right key too, while locked out
    assert locked.status_code == 429, locked.text
    assert locked.json() == {"error": "Too many failed API key attempts", "requestId": locked.headers["x-request-id"]}
    retry_after = int(locked.headers["retry-after"])
    assert LOCKOUT.window - 60 <= retry_after <= LOCKOUT.window
    remaining, reset = _assert_limit_headers(locked, 100, longest_wait=LOCKOUT.window)
    assert remaining == 0 and abs(reset - (time.time() + retry_after)) <= 2
    # Other addresses are not affected, and requests without a key are not refused.
    assert health(acme_key, bystander).status_code == 200
    assert rest.get("/health", headers={"x-tenant-id": "e2e", "x-forwarded-for": source}).status_code == 200


def test_a_locked_out_grpc_caller_gets_retry_info(chorus: ChorusProcess) -> None:
    source = new_address()
    with grpc.insecure_channel(chorus.grpc_addr) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        metadata = (("x-api-key", "chorus_00000000_guess"), ("x-forwarded-for", source))
        codes = []
        for _ in range(LOCKOUT.failures + 1):
            with pytest.raises(grpc.RpcError) as caught:
                stub.GetHealth(chat_pb2.GetHealthRequest(), metadata=metadata)
            codes.append(caught.value.code())
    assert codes == [grpc.StatusCode.UNAUTHENTICATED] * LOCKOUT.failures + [grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert error_info(caught.value).reason == "TOO_MANY_KEY_FAILURES"
    assert int(dict(caught.value.trailing_metadata())["retry-after"]) >= 1  # type: ignore[attr-defined]
