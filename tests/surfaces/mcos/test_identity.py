"""Cloudflare Access: every MCoS call but health needs a valid assertion; `sub` is the principal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import httpx
import jwt
import pytest
from chorus_contracts.mcos.v1 import memory_pb2, memory_pb2_grpc
from cryptography.hazmat.primitives import serialization

from tests.support.chorus_process import ChorusProcess, run_cli
from tests.support.grpc_status import error_info
from tests.support.mcos_identity import AUDIENCE, ISSUER, TestIdp, new_sub
from tests.surfaces.mcos.conftest import mcos_config


def _unauthorized(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "UNAUTHORIZED"
    assert error["correlation_id"] == response.headers["x-correlation-id"]
    message: str = error["message"]
    return message


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _hs256_confusion(idp: TestIdp, claims: dict[str, Any]) -> str:
    """An HS256 token keyed with the RSA public key's PEM: the classic algorithm confusion."""
    pem = idp.rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _b64({"alg": "HS256", "kid": "rsa-1"}) + "." + _b64(claims)
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_valid_rs256_and_es256_assertions_are_accepted(mcos: ChorusProcess, idp: TestIdp) -> None:
    for algorithm in ("RS256", "ES256"):
        token = idp.token(new_sub(), algorithm=algorithm)
        response = httpx.get(f"{mcos.rest_url}/api/memory", headers={"cf-access-jwt-assertion": token})
        assert response.status_code == 200, (algorithm, response.text)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "Missing CF-Access-JWT-Assertion"),
        ("garbage", "Malformed"),
        ("expired", "expired"),
        ("wrong_audience", "audience"),
        ("wrong_issuer", "issuer"),
        ("alg_none", "algorithm not allowed"),
        ("hs256_with_public_key", "algorithm not allowed"),
        ("tampered_payload", "signature"),
        ("foreign_key", "signature"),
        ("unknown_kid", "unknown key"),
        ("no_sub", "'sub'"),
        ("future_nbf", "not valid yet"),
    ],
)
def test_bad_assertions_are_401(mcos: ChorusProcess, idp: TestIdp, case: str, expected: str) -> None:
    sub = new_sub()
    now = int(time.time())
    good = idp.token(sub)
    header, payload, signature = good.split(".")
    tokens = {
        "missing": "",
        "garbage": "not-a-jwt",
        "expired": idp.token(sub, expires_in=-120),
        "wrong_audience": idp.token(sub, audience="someone-else"),
        "wrong_issuer": idp.token(sub, issuer="https://evil.cloudflareaccess.com"),
        "alg_none": _b64({"alg": "none", "kid": "rsa-1"}) + "." + payload + ".",
        "hs256_with_public_key": _hs256_confusion(idp, {"sub": sub, "aud": AUDIENCE, "iss": ISSUER, "exp": now + 60}),
        "tampered_payload": header
        + "."
        + _b64({"sub": "admin", "aud": [AUDIENCE], "iss": ISSUER, "exp": now + 60})
        + "."
        + signature,
        "foreign_key": TestIdp().token(sub),
        "unknown_kid": jwt.encode(
            {"sub": sub, "aud": AUDIENCE, "iss": ISSUER, "exp": now + 60},
            idp.rsa_key,
            algorithm="RS256",
            headers={"kid": "rsa-unknown"},
        ),
        "no_sub": jwt.encode(
            {"aud": AUDIENCE, "iss": ISSUER, "exp": now + 60}, idp.rsa_key, algorithm="RS256", headers={"kid": "rsa-1"}
        ),
        "future_nbf": idp.token(sub, nbf=now + 3600),
    }
    headers = {"cf-access-jwt-assertion": tokens[case]} if tokens[case] else {}
    message = _unauthorized(httpx.get(f"{mcos.rest_url}/api/memory", headers=headers))
    assert expected in message


def test_grpc_uses_the_same_check(mcos_channel: grpc.Channel, idp: TestIdp) -> None:
    stub = memory_pb2_grpc.MemoryServiceStub(mcos_channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListMemories(memory_pb2.ListMemoriesRequest(), metadata=[("x-correlation-id", "corr_grpc_1")])
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_info(caught.value).reason == "UNAUTHORIZED"
    assert ("x-correlation-id", "corr_grpc_1") in (caught.value.trailing_metadata() or ())
    token = idp.token(new_sub(), algorithm="ES256")
    response, call = stub.ListMemories.with_call(
        memory_pb2.ListMemoriesRequest(), metadata=[("cf-access-jwt-assertion", token)]
    )
    assert list(response.pinned_memories) == []
    assert any(key == "x-correlation-id" and value for key, value in call.trailing_metadata())


def test_health_is_public(mcos: ChorusProcess) -> None:
    assert httpx.get(f"{mcos.rest_url}/api/health").status_code == 200


class _JwksServer:
    """A real HTTP server publishing a JWKS that the test can rotate, counting fetches."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps(owner.document).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/cdn-cgi/access/certs"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def jwks_server(idp: TestIdp) -> Iterator[_JwksServer]:
    server = _JwksServer(idp.jwks())
    yield server
    server.close()


def _url_config(tmp_path: Path, url: str, extra: str = "") -> str:
    unused = tmp_path / "unused.json"
    return mcos_config(unused, extra).replace(f'jwks_file = "{unused}"', f'jwks_url = "{url}"')


def test_jwks_url_is_fetched_cached_and_refetched_on_rotation(
    tmp_path: Path, idp: TestIdp, jwks_server: _JwksServer
) -> None:
    rotated = TestIdp(generation=2)
    config = _url_config(tmp_path, jwks_server.url, "jwks_min_refresh = 0.0\n")
    with ChorusProcess(tmp_path / "data", config_toml=config) as proc, httpx.Client(base_url=proc.rest_url) as client:
        sub = new_sub()
        for _ in range(3):
            ok = client.get("/api/memory", headers={"cf-access-jwt-assertion": idp.token(sub)})
            assert ok.status_code == 200, ok.text
        assert jwks_server.fetches == 1  # cached
        # The team rotates its keys: a token from the new key names a kid the cache lacks.
        jwks_server.document = rotated.jwks()
        rotated_ok = client.get("/api/memory", headers={"cf-access-jwt-assertion": rotated.token(sub)})
        assert rotated_ok.status_code == 200, rotated_ok.text
        assert jwks_server.fetches == 2


def test_unreachable_jwks_url_is_401_not_500(tmp_path: Path, idp: TestIdp) -> None:
    config = _url_config(tmp_path, "http://127.0.0.1:9/certs")
    with ChorusProcess(tmp_path / "data", config_toml=config) as proc:
        response = httpx.get(f"{proc.rest_url}/api/memory", headers={"cf-access-jwt-assertion": idp.token("u")})
        assert "Cannot verify" in _unauthorized(response)


def test_development_identity_provider(tmp_path: Path) -> None:
    """With no JWKS configured, `chorus mcos token` mints assertions the server accepts."""
    data = tmp_path / "data"
    with ChorusProcess(data) as proc:
        token = run_cli(data, "mcos", "token", "--sub", "user_123", "--email", "user@example.com").strip()
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["sub"] == "user_123" and claims["email"] == "user@example.com"
        assert (data / "mcos-dev-jwks.json").stat().st_mode & 0o777 == 0o600
        ok = httpx.get(f"{proc.rest_url}/api/memory", headers={"cf-access-jwt-assertion": token})
        assert ok.status_code == 200, ok.text
        # A token from another dev key (another data directory) is refused.
        other = run_cli(tmp_path / "other", "mcos", "token", "--sub", "user_123").strip()
        refused = httpx.get(f"{proc.rest_url}/api/memory", headers={"cf-access-jwt-assertion": other})
        assert refused.status_code == 401
