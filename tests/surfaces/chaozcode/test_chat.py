"""POST /v2/query/chat: message history, stored conversations resumed by conversationId."""

from __future__ import annotations

import json
import re

import grpc
from chorus_contracts.chaozcode.v2 import query_pb2, query_pb2_grpc
from httpx_sse import connect_sse

from tests.support import backends
from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess

# The document's example request, verbatim.
DOC_CHAT = {
    "messages": [
        {"role": "system", "content": "You are a helpful coding assistant."},
        {"role": "user", "content": "How do I create a React hook?"},
        {"role": "assistant", "content": "Here's how to create a custom React hook..."},
        {"role": "user", "content": "Can you show an example with useState?"},
    ],
    "model": "gpt-4",
}


def test_the_documents_chat_example_starts_a_conversation(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        answer = client.post("/query/chat", json=DOC_CHAT)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body) == ["id", "conversationId", "text", "model", "usage", "finishReason", "createdAt"]
    assert re.fullmatch(r"conv_[0-9a-f]{24}", body["conversationId"]) and body["model"] == "gpt-4"
    # The builtin model describes what it was given: three turns and the system prompt.
    assert "Can you show an example with useState?" in body["text"] and "system prompt" in body["text"]
    stored = backends.fetch(
        chaozcode.data_dir,
        "SELECT surface, role, content FROM conversation_messages WHERE owner_id = :u ORDER BY seq",
        u=account.user_id,
    )
    assert [(s, r) for s, r, _ in stored] == [("chaozcode", "user"), ("chaozcode", "assistant")] * 2
    assert stored[-1][2] == body["text"]


def test_conversation_id_resumes_the_stored_conversation(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        first = client.post("/query/chat", json={"messages": [{"role": "user", "content": "My name is Ada."}]}).json()
        conversation = first["conversationId"]
        resumed = client.post(
            "/query/chat",
            json={"messages": [{"role": "user", "content": "What is my name?"}], "conversationId": conversation},
        ).json()
        fresh = client.post("/query/chat", json={"messages": [{"role": "user", "content": "What is my name?"}]}).json()
    assert resumed["conversationId"] == conversation and fresh["conversationId"] != conversation
    # The model saw the stored turn: user turn 2 of a 3-message conversation.
    assert "user turn 2 of a 3-message conversation" in resumed["text"]
    assert "user turn 1 of a 1-message conversation" in fresh["text"]


def test_another_users_conversation_is_404(chaozcode: ChorusProcess) -> None:
    owner, stranger = add_user(chaozcode), add_user(chaozcode)
    with rest(chaozcode, owner.key) as client:
        conversation = client.post("/query/chat", json={"messages": [{"role": "user", "content": "secret"}]}).json()
    body = {"messages": [{"role": "user", "content": "hi"}], "conversationId": conversation["conversationId"]}
    with rest(chaozcode, stranger.key) as client:
        refused = client.post("/query/chat", json=body)
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "NOT_FOUND"
        unknown = client.post("/query/chat", json={**body, "conversationId": "conv_" + "0" * 24})
        assert unknown.status_code == 404


def test_chat_validation(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        none = client.post("/query/chat", json={"model": "gpt-4"})
        assert none.status_code == 400 and none.json()["error"]["details"] == {
            "field": "messages",
            "reason": "required",
        }
        bad_role = client.post("/query/chat", json={"messages": [{"role": "robot", "content": "x"}]})
        assert bad_role.status_code == 400 and bad_role.json()["error"]["code"] == "INVALID_REQUEST"
        last = client.post("/query/chat", json={"messages": [{"role": "assistant", "content": "x"}]})
        assert last.status_code == 422
        assert last.json()["error"]["details"] == {"field": "messages.0.role", "reason": "invalid"}
        long = client.post("/query/chat", json={"messages": [{"role": "user", "content": "x" * 100_001}]})
        assert long.status_code == 422
        assert long.json()["error"]["details"] == {"field": "messages.0.content", "reason": "too_long"}


def test_chat_streams_and_the_start_names_the_conversation(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        body = {**DOC_CHAT, "stream": True}
        with connect_sse(client, "POST", "/query/chat", json=body) as source:
            assert source.response.status_code == 200
            events = [json.loads(e.data) for e in source.iter_sse()]
    start, done = events[0], events[-1]
    assert start["type"] == "start" and list(start) == ["type", "id", "conversationId"]
    assert all(e["type"] == "delta" for e in events[1:-1]) and done["type"] == "done"
    with rest(chaozcode, account.key) as client:
        again = client.post(
            "/query/chat",
            json={"messages": [{"role": "user", "content": "more"}], "conversationId": start["conversationId"]},
        )
    assert again.status_code == 200 and "user turn 3 of a 5-message conversation" in again.json()["text"]


def test_chat_over_grpc(chaozcode: ChorusProcess, chaozcode_channel: grpc.Channel) -> None:
    account = add_user(chaozcode)
    stub = query_pb2_grpc.QueryServiceStub(chaozcode_channel)
    hello = query_pb2.ChatMessage(role=query_pb2.CHAT_ROLE_USER, content="Hello")
    (first,) = list(stub.Chat(query_pb2.ChatRequest(messages=[hello]), metadata=account.metadata))
    conversation = first.result.conversation_id
    request = query_pb2.ChatRequest(messages=[hello], conversation_id=conversation, stream=True)
    events = list(stub.Chat(request, metadata=account.metadata))
    assert events[0].start.conversation_id == conversation and events[-1].WhichOneof("event") == "done"
