"""The document's error envelope and codes, and where ChaozCode is mounted."""

from __future__ import annotations

import httpx

from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess

ENVELOPE = ["code", "message", "details", "requestId"]


def _error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and list(body["error"]) == ENVELOPE
    assert body["error"]["code"] == code
    assert body["error"]["requestId"] == response.headers["x-request-id"]
    error: dict[str, object] = body["error"]
    return error


def test_missing_and_invalid_keys_are_401(chaozcode: ChorusProcess) -> None:
    with rest(chaozcode) as client:
        missing = _error(client.get("/user/me"), 401, "UNAUTHORIZED")
        assert missing["message"] == "Missing API key. Include Authorization: Bearer YOUR_API_KEY"
        forged = client.get("/user/me", headers={"authorization": "Bearer cc_live_12345678_forged"})
        assert _error(forged, 401, "UNAUTHORIZED")["message"] == "Invalid API key"
        assert forged.headers["x-ratelimit-limit"] == "10"  # counted per address, at the free plan


def test_bridge_errors_use_the_envelope(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        _error(client.get("/no-such-route"), 404, "NOT_FOUND")
        wrong_verb = client.put("/user/me", json={})
        _error(wrong_verb, 405, "INVALID_REQUEST")
        malformed = client.post("/user/api-keys", content=b'{"name": ', headers={"content-type": "application/json"})
        assert _error(malformed, 400, "INVALID_REQUEST")["details"] == {"reason": "malformed_body"}
        wrong_type = client.post("/user/api-keys", json={"name": 5})
        assert _error(wrong_type, 400, "INVALID_REQUEST")["details"] == {"field": "name", "reason": "invalid"}
        unknown = client.post("/user/api-keys", json={"nmae": "typo"})
        assert _error(unknown, 400, "INVALID_REQUEST")["details"] == {"field": "nmae", "reason": "unknown_field"}
        not_json = client.post("/user/api-keys", content=b"name", headers={"content-type": "text/plain"})
        _error(not_json, 415, "INVALID_REQUEST")


def test_the_documents_host_reaches_chaozcode_not_the_sync_hub(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    base = chaozcode.rest_url
    for host in ("api.chaozcode.com", "api.chaozcode.localhost", "localhost"):
        me = httpx.get(f"{base}/v2/user/me", headers={"host": host, **account.headers}, timeout=30)
        assert me.status_code == 200 and me.json()["id"] == account.user_id, host
        lost = httpx.get(f"{base}/v2/nothing", headers={"host": host}, timeout=30)
        _error(lost, 404, "NOT_FOUND")
    # Outside /v2 on the document's host: still ChaozCode's envelope, not the sync hub's.
    outside = httpx.get(f"{base}/api/project", headers={"host": "api.chaozcode.com"}, timeout=30)
    _error(outside, 404, "NOT_FOUND")
    # ChittyOS's sync hub keeps its own document's api host.
    sync = httpx.get(f"{base}/api/status", headers={"host": "api.chitty.cc"}, timeout=30)
    assert sync.status_code == 200 and "error" not in sync.json()
    document = httpx.get(f"{base}/v2/openapi.json", headers={"host": "api.chaozcode.com"}, timeout=30)
    assert document.status_code == 200 and "/user/me" in document.json()["paths"]
