"""The document's error envelope and X-Correlation-ID, on every kind of response."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.envelopes import assert_error
from tests.support.mcos_identity import TestIdp, new_sub
from tests.surfaces.mcos.conftest import mcos_config


def test_correlation_id_is_echoed_on_success_and_errors(mcos: ChorusProcess) -> None:
    with httpx.Client(base_url=mcos.rest_url, headers={"x-correlation-id": "corr_abc123"}) as client:
        assert client.get("/api/health").headers["x-correlation-id"] == "corr_abc123"
        assert_error(client.get("/api/no-such-route"), "mcos", 404, "NOT_FOUND")
        assert client.get("/api/no-such-route").json()["error"]["correlation_id"] == "corr_abc123"
        assert_error(client.get("/api/tasks"), "mcos", 401, "UNAUTHORIZED")
        assert client.get("/api/tasks").headers["x-correlation-id"] == "corr_abc123"


def test_correlation_id_is_generated_when_missing_or_unusable(mcos: ChorusProcess) -> None:
    first = httpx.get(f"{mcos.rest_url}/api/health")
    second = httpx.get(f"{mcos.rest_url}/api/health")
    ids = {first.headers["x-correlation-id"], second.headers["x-correlation-id"]}
    assert len(ids) == 2
    for value in ids:
        assert uuid.UUID(value).version == 4
    too_long = httpx.get(f"{mcos.rest_url}/api/health", headers={"x-correlation-id": "x" * 500})
    assert uuid.UUID(too_long.headers["x-correlation-id"])


def test_wrong_method_on_a_known_path_is_405_validation_error(mcos: ChorusProcess) -> None:
    response = httpx.get(f"{mcos.rest_url}/api/chat")
    error = assert_error(response, "mcos", 405, "VALIDATION_ERROR")
    assert response.headers["allow"] == "POST"
    assert "POST" in error["message"]
    response = httpx.put(f"{mcos.rest_url}/api/tasks/task_1", json={})
    assert_error(response, "mcos", 405, "VALIDATION_ERROR")
    assert set(response.headers["allow"].split(", ")) == {"PATCH", "DELETE"}


def test_bad_payloads_are_400_with_field_issues(mcos: ChorusProcess) -> None:
    url = f"{mcos.rest_url}/api/tasks"
    malformed = httpx.post(url, content=b'{"title": ', headers={"content-type": "application/json"})
    error = assert_error(malformed, "mcos", 400, "VALIDATION_ERROR")
    assert error["details"]["issues"][0]["message"].startswith("Malformed JSON")
    wrong_type = httpx.post(url, json={"title": 5, "tags": "finance"})
    error = assert_error(wrong_type, "mcos", 400, "VALIDATION_ERROR")
    paths = {tuple(issue["path"]) for issue in error["details"]["issues"]}
    assert ("title",) in paths or ("tags",) in paths
    # Unknown keys are dropped, as the source system's Zod schemas do: past the bridge, to the auth check.
    unknown = httpx.post(url, json={"title": "x", "colour": "red"})
    assert_error(unknown, "mcos", 401, "UNAUTHORIZED")


def test_oversized_body_is_rejected_in_the_envelope(mcos: ChorusProcess) -> None:
    response = httpx.post(f"{mcos.rest_url}/api/chat", content=b"x" * (1_048_576 + 10))
    assert_error(response, "mcos", 413, "VALIDATION_ERROR")


def test_other_surfaces_keep_their_envelopes(mcos: ChorusProcess) -> None:
    """MCoS owns /api/ on the catch-all host; ChittyOS's api.* host and Crispy keep theirs."""
    chitty = httpx.get(f"{mcos.rest_url}/api/no-such-route", headers={"host": "api.chitty.cc"})
    assert chitty.status_code == 404 and chitty.json()["error"] == "Not found"
    assert "x-request-id" in chitty.headers
    crispy = httpx.get(f"{mcos.rest_url}/no-such-route")
    assert crispy.status_code == 404
    assert crispy.json()["requestId"] == crispy.headers["x-request-id"]
    assert "x-correlation-id" not in crispy.headers


def test_a_failed_calls_log_line_carries_its_correlation_id(tmp_path: Path, idp: TestIdp) -> None:
    extra = '[mcos.flights]\ncommand = ["/nonexistent/flights-mcp"]\ntimeout = 5.0\n'
    data = tmp_path / "data"
    data.mkdir()
    config = mcos_config(idp.write_jwks(data / "jwks.json"), extra)
    with ChorusProcess(data, config_toml=config) as proc:
        response = httpx.post(
            f"{proc.rest_url}/api/tools/search_flights",
            json={"origin": "SFO", "destination": "CDG", "departure_date": "2026-05-10"},
            headers={"cf-access-jwt-assertion": idp.token(new_sub()), "x-correlation-id": "corr_log_0042"},
            timeout=30,
        )
        error = assert_error(response, "mcos", 500, "TOOL_ERROR")
        assert error["correlation_id"] == "corr_log_0042"
        assert wait_until(lambda: any("[corr_log_0042]" in line for line in proc.output))
    line = next(line for line in proc.output if "[corr_log_0042]" in line)
    assert "SearchFlights failed: TOOL_ERROR" in line
