"""Admission: request ids, client addresses and trusted proxies."""

from __future__ import annotations

import pytest

from server.errors import ChorusError, unauthenticated
from server.pipeline.admission import Pipeline, peer_ip
from server.pipeline.call import CallInfo


def test_peer_ip_forms() -> None:
    assert peer_ip("ipv4:10.1.2.3:5555") == "10.1.2.3"
    assert peer_ip("ipv6:[::1]:5555") == "::1"
    assert peer_ip("unix:/tmp/sock") == "/tmp/sock"


async def test_forwarded_for_only_from_trusted_peers() -> None:
    pipeline = Pipeline({}, ["127.0.0.1"])
    trusted = await pipeline.admit("/s.v1.S/M", {"x-forwarded-for": "203.0.113.9"}, "ipv4:127.0.0.1:1")
    assert trusted.client_ip == "203.0.113.9"
    spoofed = await pipeline.admit("/s.v1.S/M", {"x-forwarded-for": "203.0.113.9"}, "ipv4:192.0.2.1:1")
    assert spoofed.client_ip == "192.0.2.1"
    garbage = await pipeline.admit("/s.v1.S/M", {"x-forwarded-for": "nonsense"}, "ipv4:127.0.0.1:1")
    assert garbage.client_ip == "127.0.0.1"


async def test_request_id_echoed_or_generated() -> None:
    pipeline = Pipeline({}, [])
    echoed = await pipeline.admit("/s.v1.S/M", {"x-request-id": "abc"}, "ipv4:1.1.1.1:1")
    assert echoed.request_id == "abc" and echoed.response_headers["x-request-id"] == "abc"
    made = await pipeline.admit("/s.v1.S/M", {"x-request-id": "x" * 500}, "ipv4:1.1.1.1:1")
    assert len(made.request_id) == 36


async def test_policy_failure_keeps_response_headers() -> None:
    async def limit_headers(call: CallInfo) -> None:
        call.response_headers["x-ratelimit-limit"] = "1"

    async def deny(call: CallInfo) -> None:
        raise unauthenticated("no")

    pipeline = Pipeline({"s.v1.S": [limit_headers, deny]}, [])
    with pytest.raises(ChorusError) as caught:
        await pipeline.admit("/s.v1.S/M", {"x-request-id": "r1"}, "ipv4:1.1.1.1:1")
    assert caught.value.headers == {"x-request-id": "r1", "x-ratelimit-limit": "1"}
    # Other services do not run these policies.
    await pipeline.admit("/other.v1.S/M", {}, "ipv4:1.1.1.1:1")
