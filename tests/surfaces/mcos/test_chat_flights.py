"""Chat turns that search flights through the flights MCP server (the bundled sample-data
server, over stdio) and rank them: tool_call -> tool_result -> tokens -> done, over REST
SSE and over gRPC."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc
from chorus_contracts.mcos.v1 import chat_pb2, chat_pb2_grpc

from server.platform.struct_values import value_to_python
from tests.support.envelopes import assert_error
from tests.support.mcos_chat import user_says as grpc_user_says
from tests.support.mcos_rest import shape, text_of, tool_turn
from tests.surfaces.mcos.conftest import User

PARIS = {"origin": "SFO", "destination": "CDG", "departure_date": "2025-05-10", "return_date": "2025-05-15"}


def test_a_turn_searches_flights_over_mcp_and_summarises_them(user: Callable[..., User]) -> None:
    person = user()
    events = tool_turn(person, f"Find flights to Paris May 10-15\n/tool search_flights {json.dumps(PARIS)}", "paris")
    assert shape(events) == ["tool_call", "tool_result", "token", "done"]
    call, result, done = events[0], events[1], events[-1]
    assert call == {"type": "tool_call", "name": "search_flights", "args": PARIS, "id": call["id"]}
    assert result["id"] == call["id"] and result["name"] == "search_flights"
    found = result["result"]
    assert found["tool_invocation_id"].startswith("tool_")
    flights = found["flights"]
    assert flights and {f["direction"] for f in flights} == {"outbound", "return"}
    assert {(f["departure"]["airport"], f["arrival"]["airport"]) for f in flights} == {("SFO", "CDG"), ("CDG", "SFO")}
    # The builtin model answers from the result, counting the flights.
    text = text_of(events)
    assert text.startswith('The search_flights tool returned "{"tool_invocation_id":')
    assert f"({len(flights)} flights)" in text
    assert done["conversation_id"] == "paris"

    # The same flights the REST tool gives for the same query (the sample data is deterministic).
    direct = person.rest.post("/api/tools/search_flights", json=PARIS).json()
    assert [f["id"] for f in direct["flights"]] == [f["id"] for f in flights]

    [stored_user, stored_reply] = person.rest.get("/api/chat/history", params={"conversation_id": "paris"}).json()[
        "messages"
    ]
    assert stored_user["content"].startswith("Find flights to Paris")
    assert stored_reply["id"] == done["message_id"] and stored_reply["content"] == text
    assert stored_reply["tool_calls"] == [{"id": call["id"], "name": "search_flights", "args": PARIS, "result": found}]


def test_rank_flights_from_a_search(user: Callable[..., User]) -> None:
    person = user()
    flights = person.rest.post("/api/tools/search_flights", json={**PARIS, "return_date": None}).json()["flights"]
    args = {"flights": flights[:4], "user_preferences": {"max_stops": 0, "price_weight": 0.5}}
    events = tool_turn(person, f"/tool rank_flights {json.dumps(args)}")
    assert shape(events) == ["tool_call", "tool_result", "token", "done"]
    ranked = events[1]["result"]["ranked_flights"]
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert sorted(r["flight_id"] for r in ranked) == sorted(f["id"] for f in flights[:4])
    assert ranked == person.rest.post("/api/tools/rank_flights", json=args).json()["ranked_flights"]
    assert f"({len(ranked)} ranked_flights)" in text_of(events)


def test_bad_search_arguments_from_the_model_are_a_tool_error(user: Callable[..., User]) -> None:
    person = user()
    events = tool_turn(person, '/tool search_flights {"origin": "SFO", "destination": "SFO", "departure_date": "soon"}')
    assert [e["type"] for e in events] == ["tool_call", "error"]
    error = events[1]["error"]
    assert error["code"] == "TOOL_ERROR" and "destination" in error["message"] and "departure_date" in error["message"]
    stored = person.rest.get("/api/chat/history").json()["messages"]
    assert [(m["role"], m.get("status")) for m in stored] == [("user", None), ("assistant", "failed")]
    assert stored[1]["error"]["message"] == error["message"]


def test_a_flight_search_turn_over_grpc(user: Callable[..., User], mcos_channel: grpc.Channel) -> None:
    person = user()
    stub = chat_pb2_grpc.ChatServiceStub(mcos_channel)
    directive = f"/tool search_flights {json.dumps({**PARIS, 'cabin_class': 'business'})}"
    request = chat_pb2.ChatRequest(messages=[grpc_user_says(directive)])
    events = list(stub.Chat(request, metadata=person.grpc_metadata))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[:2] == ["tool_call", "tool_result"] and kinds[-1] == "done" and set(kinds[2:-1]) == {"token"}
    assert events[0].tool_call.name == "search_flights" and events[0].tool_call.id == events[1].tool_result.id
    result: dict[str, Any] = value_to_python(events[1].tool_result.result)
    assert result["flights"] and {f["cabin_class"] for f in result["flights"]} == {"business"}
    assert events[-1].done.message_id.startswith("msg_") and events[-1].done.conversation_id


def test_searches_in_chat_take_the_flight_search_quota(user: Callable[..., User]) -> None:
    person = user()
    for _ in range(10):
        assert person.rest.post("/api/tools/search_flights", json=PARIS).status_code == 200
    body = {"messages": [{"role": "user", "content": f"/tool search_flights {json.dumps(PARIS)}"}]}
    # Refused before the call is announced, so before any event: an HTTP error.
    error = assert_error(person.rest.post("/api/chat", json=body), "mcos", 429, "RATE_LIMIT_EXCEEDED")
    assert error["details"]["quota"] == "flight_searches"
    # The model was asked and answered with a call: the turn is on record, failed on the quota.
    stored = person.rest.get("/api/chat/history").json()["messages"]
    assert [(m["role"], m.get("status")) for m in stored] == [("user", None), ("assistant", "failed")]
    assert (
        stored[1]["error"]["code"] == "RATE_LIMIT_EXCEEDED"
        and stored[1]["error"]["details"]["quota"] == "flight_searches"
    )
