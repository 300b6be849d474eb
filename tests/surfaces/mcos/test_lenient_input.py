"""MCoS takes input the way its Zod-validated source system does, and never answers a 5xx to it.

- Unknown body keys and query parameters are dropped (z.object() strips them).
- The document's assistant-ui snippet posts `JSON.stringify(...)` without
  headers, which fetch() sends as text/plain: that body is read as JSON.
- Free-form JSON nests at most 32 levels; issue paths keep odd keys as keys.
- A Unicode or non-ASCII X-Correlation-ID is replaced by a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.envelopes import assert_error
from tests.surfaces.mcos.conftest import User


def nest(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def test_unknown_body_keys_are_ignored(user: Callable[..., User]) -> None:
    person = user()
    body = {"messages": [{"role": "user", "content": "hi"}], "stream": False, "model": "gpt-4", "³": 1}
    response = person.rest.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["content"].startswith("You said")


def test_unknown_query_parameters_are_ignored(user: Callable[..., User]) -> None:
    # `?_=123` is what cache-busting clients (jQuery's cache: false) append.
    response = user().rest.get("/api/tasks", params={"_": "123", "12345678901234567890123": "x"})
    assert response.status_code == 200, response.text
    assert "tasks" in response.json()


def test_fetch_snippet_text_plain_body_is_read_as_json(user: Callable[..., User]) -> None:
    person = user()
    raw = b'{"messages": [{"role": "user", "content": "hi"}], "stream": false}'
    response = person.rest.post("/api/chat", content=raw, headers={"content-type": "text/plain;charset=UTF-8"})
    assert response.status_code == 200, response.text
    assert response.json()["content"].startswith("You said")


def test_other_media_types_are_415(user: Callable[..., User]) -> None:
    response = user().rest.post(
        "/api/tasks", content=b"title=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    error = assert_error(response, "mcos", 415, "VALIDATION_ERROR")
    assert "application/json" in error["message"]


@pytest.mark.parametrize("key", ["³", "12345678901234567890123"])
def test_too_deep_free_form_json_is_a_400_with_the_key_in_its_path(user: Callable[..., User], key: str) -> None:
    body = {"flights": [], "calendar_context": [{key: nest(40)}]}
    response = user().rest.post("/api/tools/rank_flights", json=body)
    error = assert_error(response, "mcos", 400, "VALIDATION_ERROR")
    issue = error["details"]["issues"][0]
    assert issue["path"][:3] == ["calendar_context", 0, key]
    assert "32 levels" in issue["message"]


@pytest.mark.parametrize("given", ["é-corr".encode(), b"a\tb"])
def test_invalid_correlation_id_is_replaced(user: Callable[..., User], given: bytes) -> None:
    response = user().rest.get("/api/tasks", headers={"x-correlation-id": given})  # type: ignore[dict-item]
    assert response.status_code == 200, response.text
    fresh = response.headers["x-correlation-id"]
    assert fresh.isascii() and len(fresh) == 36


def test_a_patch_ignores_unknown_keys_and_keeps_the_rest(user: Callable[..., User]) -> None:
    person = user()
    response = person.rest.patch("/api/state/preferences", json={"theme": "dark", "timezone": "Asia/Tokyo"})
    assert response.status_code == 200, response.text
    assert person.rest.patch("/api/state/preferences", json={"theme": "light"}).status_code == 200
    preferences = person.rest.get("/api/state").json()["preferences"]
    assert preferences["timezone"] == "Asia/Tokyo" and "theme" not in preferences
