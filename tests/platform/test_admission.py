"""Admission: request ids, and client addresses read through trusted proxies."""

from __future__ import annotations

import pytest

from rest_bridge.method_rules import PUBLIC, MethodRule
from server.config import ConfigError, load_settings
from server.platform.admission.call import CallInfo
from server.platform.admission.client_address import ClientAddresses, peer_ip
from server.platform.admission.pipeline import Pipeline
from server.platform.errors import ChorusError, unauthenticated


def test_peer_ip_forms() -> None:
    assert peer_ip("ipv4:10.1.2.3:5555") == "10.1.2.3"
    assert peer_ip("ipv6:[::1]:5555") == "::1"
    assert peer_ip("unix:/tmp/sock") == "/tmp/sock"


LOOPBACK = "ipv4:127.0.0.1:1"
# Rules for the made-up methods these tests admit.
RULES = {
    "/s.v1.S/M": MethodRule("s.v1.S", "M", "testing", PUBLIC, http_verbs=("GET",)),
    "/other.v1.S/M": MethodRule("other.v1.S", "M", "testing", PUBLIC),
}


def test_forwarded_for_only_from_trusted_peers() -> None:
    addresses = ClientAddresses()
    assert addresses.resolve(LOOPBACK, {"x-forwarded-for": "203.0.113.9"}) == "203.0.113.9"
    assert addresses.resolve("ipv4:192.0.2.1:1", {"x-forwarded-for": "203.0.113.9"}) == "192.0.2.1"
    assert addresses.resolve(LOOPBACK, {"x-forwarded-for": "nonsense"}) == "127.0.0.1"
    assert addresses.resolve(LOOPBACK, {}) == "127.0.0.1"


def test_the_right_most_untrusted_address_is_the_client() -> None:
    addresses = ClientAddresses(["127.0.0.0/8", "10.0.0.0/8", "::1"])
    chain = {"x-forwarded-for": "198.51.100.1, 203.0.113.9, 10.0.0.5,10.1.1.1"}
    assert addresses.resolve(LOOPBACK, chain) == "203.0.113.9"
    # Every hop trusted: the left-most one is the client.
    assert addresses.resolve("ipv6:[::1]:80", {"x-forwarded-for": "10.0.0.7, 10.0.0.5"}) == "10.0.0.7"
    # A trusted hop that reports junk is the last address known.
    assert addresses.resolve(LOOPBACK, {"x-forwarded-for": "203.0.113.9, unknown, 10.0.0.5"}) == "10.0.0.5"
    # Ports, brackets and IPv4-mapped IPv6 are read as the address they carry.
    assert addresses.resolve(LOOPBACK, {"x-forwarded-for": "203.0.113.9:4711"}) == "203.0.113.9"
    assert addresses.resolve(LOOPBACK, {"x-forwarded-for": "[2001:db8::1]:443"}) == "2001:db8::1"
    assert addresses.resolve("ipv6:[::ffff:127.0.0.1]:1", {"x-forwarded-for": "::ffff:203.0.113.9"}) == "203.0.113.9"


def test_rfc_7239_forwarded_when_the_proxies_write_it() -> None:
    addresses = ClientAddresses(header="forwarded")
    forwarded = 'for=198.51.100.1, for="[2001:db8:cafe::17]:4711";proto=https, for=127.0.0.1;by=127.0.0.1'
    assert addresses.resolve(LOOPBACK, {"forwarded": forwarded}) == "2001:db8:cafe::17"
    # Only the header the proxies write is read: the other is the client's to forge.
    assert addresses.resolve(LOOPBACK, {"x-forwarded-for": "203.0.113.9"}) == "127.0.0.1"
    assert ClientAddresses().resolve(LOOPBACK, {"forwarded": "for=203.0.113.9"}) == "127.0.0.1"
    assert addresses.resolve(LOOPBACK, {"forwarded": "for=_hidden, for=127.0.0.2"}) == "127.0.0.2"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        ClientAddresses(["127.0.0.1", "10.0.0.0/33"])


async def test_the_pipeline_resolves_the_client_address() -> None:
    pipeline = Pipeline({}, ClientAddresses(), rules=RULES)
    call = await pipeline.admit("/s.v1.S/M", {"x-forwarded-for": "192.0.2.5, 203.0.113.9"}, LOOPBACK)
    assert call.client_ip == "203.0.113.9"


async def test_request_id_echoed_or_generated() -> None:
    pipeline = Pipeline({}, ClientAddresses(), rules=RULES)
    echoed = await pipeline.admit("/s.v1.S/M", {"x-request-id": "abc"}, "ipv4:1.1.1.1:1")
    assert echoed.request_id == "abc" and echoed.response_headers["x-request-id"] == "abc"
    made = await pipeline.admit("/s.v1.S/M", {"x-request-id": "x" * 500}, "ipv4:1.1.1.1:1")
    assert len(made.request_id) == 36


async def test_policy_failure_keeps_response_headers() -> None:
    async def limit_headers(call: CallInfo) -> None:
        call.response_headers["x-ratelimit-limit"] = "1"

    async def deny(call: CallInfo) -> None:
        raise unauthenticated("no")

    pipeline = Pipeline({"s.v1.S": [limit_headers, deny]}, ClientAddresses(), rules=RULES)
    with pytest.raises(ChorusError) as caught:
        await pipeline.admit("/s.v1.S/M", {"x-request-id": "r1"}, "ipv4:1.1.1.1:1")
    assert caught.value.headers == {"x-request-id": "r1", "x-ratelimit-limit": "1"}
    # Other services do not run these policies.
    await pipeline.admit("/other.v1.S/M", {}, "ipv4:1.1.1.1:1")


def test_a_bad_trusted_proxy_setting_names_itself() -> None:
    with pytest.raises(ConfigError, match=r"trusted_proxies.*'10\.0\.0\.0/33' is not an IP address or network"):
        load_settings(trusted_proxies=["127.0.0.1", "10.0.0.0/33"])
