"""HTTP headers ⇄ gRPC metadata through the real bridge."""

from __future__ import annotations

import grpc
import httpx

from tests.bridge.conftest import BridgeHarness, Generated


def seen_metadata(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    return [(e["key"], e["value"]) for e in response.json()["entries"]]


FORWARDED = {
    "authorization": "Bearer tok-1",
    "x-api-key": "key-1",
    "idempotency-key": "idem-1",
    "x-tenant-id": "tenant-1",
    "x-custom": "custom-1",
}
NOT_FORWARDED = {
    # hop-by-hop (RFC 9110 section 7.6.1), and a header the Connection header nominates as such
    "connection": "keep-alive, x-hop-private",
    "x-hop-private": "secret",
    "keep-alive": "timeout=5",
    "te": "trailers",
    "proxy-authorization": "Basic cHJveHk=",
    # about HTTP itself, or never trusted from the client
    "accept": "application/json",
    "accept-encoding": "gzip",
    "cookie": "session=1",
    "x-forwarded-for": "203.0.113.9",
    "x-forwarded-host": "spoofed.example",
    "grpc-timeout": "1S",
    "grpc-custom": "no",
    "x-trace-bin": "AAEC",
}


def test_request_headers_become_metadata(client: httpx.Client) -> None:
    headers = {**FORWARDED, **NOT_FORWARDED, "x-request-id": "rid-42", "host": "api.example.test:8443"}
    seen = seen_metadata(client.get("/v1/metadata", headers=headers))
    keys = [k for k, _ in seen]
    for key, value in FORWARDED.items():
        assert (key, value) in seen
    assert [v for k, v in seen if k == "x-request-id"] == ["rid-42"]
    assert [v for k, v in seen if k == "x-forwarded-host"] == ["api.example.test:8443"]
    # The bridge is a proxy: the peer address goes after the client's own claim (the server
    # decides how much of the chain to believe).
    assert [v for k, v in seen if k == "x-forwarded-for"] == ["203.0.113.9, 127.0.0.1"]
    assert [v for k, v in seen if k == "forwarded"] == ["for=127.0.0.1"]
    for key in (*NOT_FORWARDED, "host", "content-length", "content-type", "transfer-encoding"):
        if key not in ("x-forwarded-for", "x-forwarded-host"):
            assert key not in keys, key


def test_forwarding_headers_are_one_chain_ending_in_the_peer(client: httpx.Client) -> None:
    headers = [
        ("x-forwarded-for", "198.51.100.1, 203.0.113.9"),
        ("x-forwarded-for", "10.0.0.5"),
        ("forwarded", 'for="[2001:db8::1]:80";proto=https'),
        ("forwarded", "for=10.0.0.5"),
    ]
    seen = seen_metadata(client.get("/v1/metadata", headers=headers))
    assert [v for k, v in seen if k == "x-forwarded-for"] == ["198.51.100.1, 203.0.113.9, 10.0.0.5, 127.0.0.1"]
    assert [v for k, v in seen if k == "forwarded"] == [
        'for="[2001:db8::1]:80";proto=https, for=10.0.0.5, for=127.0.0.1'
    ]
    # An entry metadata cannot carry keeps its place as "unknown".
    unreadable = [("x-forwarded-for", "caf\xe9, 203.0.113.9".encode("latin-1"))]
    odd = seen_metadata(client.get("/v1/metadata", headers=unreadable))
    assert [v for k, v in odd if k == "x-forwarded-for"] == ["unknown, 203.0.113.9, 127.0.0.1"]


def test_body_framing_headers_are_not_metadata(client: httpx.Client) -> None:
    seen = seen_metadata(client.post("/v1/metadata", json={"note": "n"}, headers={"x-custom": "c"}))
    keys = {k for k, _ in seen}
    assert ("x-custom", "c") in seen
    assert not keys & {"content-type", "content-length", "transfer-encoding", "host"}


def test_repeated_headers_are_all_forwarded(client: httpx.Client) -> None:
    headers = [("x-multi", "one"), ("x-multi", "two")]
    seen = seen_metadata(client.get("/v1/metadata", headers=headers))
    assert [v for k, v in seen if k == "x-multi"] == ["one", "two"]


def test_request_id_is_generated_when_absent(client: httpx.Client) -> None:
    seen = seen_metadata(client.get("/v1/metadata"))
    (request_id,) = [v for k, v in seen if k == "x-request-id"]
    assert len(request_id) == 36


def test_response_metadata_becomes_headers(client: httpx.Client, bridge: BridgeHarness, generated: Generated) -> None:
    # The servicer really sends grpc-* and *-bin keys (seen here by a plain gRPC client)...
    async def raw_call() -> tuple[list[str], list[str]]:
        async with grpc.aio.insecure_channel(bridge.grpc_target) as channel:
            call = generated.pb2_grpc.BridgeTestServiceStub(channel).InspectMetadata(
                generated.pb2.InspectMetadataRequest()
            )
            await call
            initial = [k for k, _ in await call.initial_metadata()]
            trailing = [k for k, _ in await call.trailing_metadata()]
            return initial, trailing

    initial, trailing = bridge.run(raw_call())
    assert {"grpc-test-reserved", "trace-context-bin"} <= set(initial)
    assert "x-custom-trailer-bin" in trailing

    # ...and the bridge turns only the others into HTTP headers, initial and trailing alike.
    response = client.get("/v1/metadata")
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == "41"
    assert response.headers["x-custom-initial"] == "yes"
    assert response.headers["x-ratelimit-reset"] == "30"
    for key in response.headers:
        assert not key.startswith("grpc-"), key
        assert not key.endswith("-bin"), key
    assert response.headers["content-type"] == "application/json"


def test_response_metadata_on_204(client: httpx.Client) -> None:
    response = client.delete("/v1/items/i-77")
    assert response.status_code == 204
    assert response.headers["x-deleted-id"] == "i-77"
