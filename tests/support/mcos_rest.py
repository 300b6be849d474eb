"""MCoS calls over the REST bridge that several test modules make: a task, a pinned
memory, a flight search and a chat turn that calls tools, each checked to succeed."""

from __future__ import annotations

from typing import Any

from tests.support.mcos_identity import User
from tests.support.sse import parse_sse

ROUND_TRIP = {
    "origin": "SFO",
    "destination": "CDG",
    "departure_date": "2025-05-10",
    "return_date": "2025-05-15",
    "passengers": 1,
    "cabin_class": "economy",
}


def create_task(user: User, **body: Any) -> dict[str, Any]:
    response = user.rest.post("/api/tasks", json=body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def pin_memory(user: User, **body: Any) -> dict[str, Any]:
    response = user.rest.post("/api/memory/pin", json=body)
    assert response.status_code == 200, response.text
    memory: dict[str, Any] = response.json()
    return memory


def search_flights(person: User, body: dict[str, Any]) -> dict[str, Any]:
    response = person.rest.post("/api/tools/search_flights", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def tool_turn(user: User, directive: str, conversation_id: str = "") -> list[dict[str, Any]]:
    """The events of one /api/chat turn (the builtin model runs `/tool NAME {json}` directives)."""
    body: dict[str, Any] = {"messages": [{"role": "user", "content": directive}]}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = user.rest.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return [event.json() for event in parse_sse(response.text)[0]]


def shape(events: list[dict[str, Any]]) -> list[str]:
    """Event types with runs of tokens folded into one."""
    kinds: list[str] = []
    for event in events:
        if not (event["type"] == "token" and kinds and kinds[-1] == "token"):
            kinds.append(event["type"])
    return kinds


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["token"] for e in events if e["type"] == "token")
