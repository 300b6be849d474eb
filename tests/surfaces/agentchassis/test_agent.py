"""POST /api/v1/agent/completion end to end, over REST (httpx, httpx-sse) and gRPC."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
from chorus_contracts.agentchassis.v1 import agent_pb2, agent_pb2_grpc
from httpx_sse import connect_sse

from tests.support.agentchassis import API_KEY, channel, rest, sign_up
from tests.support.chorus_process import ChorusProcess
from tests.support.smtp_server import SmtpServer

KEY = {"x-api-key": API_KEY}
CALC = '/tool calculate {"expression": "6*7"}'


def test_client_side_mode_answers_without_a_session(chassis: ChorusProcess) -> None:
    with rest(chassis, **KEY) as client:
        answer = client.post(
            "/agent/completion",
            json={"messages": [{"role": "user", "content": "What is 2+2?"}], "model": "kimi-k2-thinking"},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["role"] == "assistant" and "What is 2+2?" in body["content"]
    assert "session_id" not in body


def test_the_calculate_tool_runs_in_the_loop(chassis: ChorusProcess) -> None:
    with rest(chassis, **KEY) as client:
        answer = client.post(
            "/agent/completion",
            json={"messages": [{"role": "user", "content": CALC}], "allowed_tools": ["calculate"]},
        )
    assert answer.status_code == 200, answer.text
    assert "calculate tool returned" in answer.json()["content"]
    assert '"result":42' in answer.json()["content"]


def test_a_tool_outside_allowed_tools_is_not_offered(chassis: ChorusProcess) -> None:
    with rest(chassis, **KEY) as client:
        answer = client.post(
            "/agent/completion",
            json={"messages": [{"role": "user", "content": CALC}], "allowed_tools": ["word_count"]},
        )
    assert answer.status_code == 200, answer.text
    # The builtin model calls only offered tools: the directive stays text.
    assert "calculate tool returned" not in answer.json()["content"]
    with rest(chassis, **KEY) as client:
        unknown = client.post(
            "/agent/completion", json={"messages": [{"role": "user", "content": "x"}], "allowed_tools": ["rm"]}
        )
    assert unknown.status_code == 400 and "rm" in unknown.json()["detail"]


def test_a_tool_error_is_told_to_the_model(chassis: ChorusProcess) -> None:
    bad = '/tool calculate {"expression": "__import__(\'os\')"}'
    with rest(chassis, **KEY) as client:
        answer = client.post("/agent/completion", json={"messages": [{"role": "user", "content": bad}]})
    assert answer.status_code == 200, answer.text
    assert "calculate tool returned" in answer.json()["content"] and "error" in answer.json()["content"]


def test_streaming_is_content_events_then_done(chassis: ChorusProcess) -> None:
    with (
        rest(chassis, **KEY) as client,
        connect_sse(
            client,
            "POST",
            "/agent/completion",
            json={"messages": [{"role": "user", "content": "Hello there"}], "stream": True},
        ) as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(e.data) for e in source.iter_sse()]
    assert events[-1] == {"type": "done"}
    assert all(e["type"] == "content" for e in events[:-1]) and len(events) > 2
    assert "Hello there" in "".join(e["content"] for e in events[:-1])


def test_server_side_sessions_keep_the_conversation(chassis: ChorusProcess) -> None:
    with rest(chassis, **KEY) as client:
        first = client.post("/agent/completion", json={"message": "Hello!", "model": "kimi-k2-thinking"})
        assert first.status_code == 200, first.text
        session_id = first.json()["session_id"]
        second = client.post(
            "/agent/completion", json={"session_id": session_id, "message": "Continue the conversation"}
        )
        assert second.status_code == 200 and second.json()["session_id"] == session_id
        # The builtin model counts the turns it was given: the stored ones came back.
        assert "user turn 2" in second.json()["content"]
        read = client.get(f"/agent/session/{session_id}")
    assert read.status_code == 200, read.text
    session = read.json()
    assert [m["role"] for m in session["messages"]] == ["user", "assistant", "user", "assistant"]
    assert session["owner_id"] == "api-key" and session["access"]["visibility"] == "private"
    assert session["created_at"] and session["updated_at"]


def test_a_session_id_that_names_no_session_starts_one_under_it(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    session_id = f"abc-{uuid.uuid4().hex[:8]}"
    with rest(chassis, **KEY) as client:
        made = client.post("/agent/completion", json={"session_id": session_id, "message": "Continue"})
        assert made.status_code == 200 and made.json()["session_id"] == session_id
        bad = client.post("/agent/completion", json={"session_id": "no spaces/slashes", "message": "x"})
        assert bad.status_code == 400 and "session_id" in bad.json()["detail"]
    # Taken by the API key's principal: a user cannot claim it.
    user = sign_up(chassis, smtp)
    with rest(chassis, **user.headers) as client:
        assert client.post("/agent/completion", json={"session_id": session_id, "message": "x"}).status_code == 404


def test_streaming_a_new_session_names_it_in_done(chassis: ChorusProcess) -> None:
    with (
        rest(chassis, **KEY) as client,
        connect_sse(client, "POST", "/agent/completion", json={"message": "Hi", "stream": True}) as source,
    ):
        events = [json.loads(e.data) for e in source.iter_sse()]
    assert events[-1]["type"] == "done" and events[-1]["session_id"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"messages": [{"role": "user", "content": "x"}] * 101}, "100"),
        ({"messages": [{"role": "user", "content": "x" * 100_001}]}, "100000"),
        ({"message": "x" * 100_001}, "100000"),
        ({"message": "x", "metadata": {"blob": "y" * 10_300}}, "10 KB"),
        ({}, "messages"),
        ({"message": "x", "messages": [{"role": "user", "content": "x"}]}, "not both"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role"),
        ({"message": "x", "model": "no-such-model"}, "no-such-model"),
    ],
)
def test_over_limit_input_is_400_naming_the_limit(chassis: ChorusProcess, body: dict[str, object], named: str) -> None:
    with rest(chassis, **KEY) as client:
        refused = client.post("/agent/completion", json=body)
    assert refused.status_code == 400, refused.text
    assert named in refused.json()["detail"]


def test_credentials_are_required_and_checked(chassis: ChorusProcess) -> None:
    body = {"messages": [{"role": "user", "content": "x"}]}
    with rest(chassis) as client:
        assert client.post("/agent/completion", json=body).status_code == 401
        wrong = client.post("/agent/completion", json=body, headers={"x-api-key": "wrong"})
        assert wrong.status_code == 401 and wrong.json() == {"detail": "Invalid API key"}
        assert client.get("/health").json() == {"status": "healthy"}


def test_sessions_belong_to_their_user(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    alice, bob = sign_up(chassis, smtp), sign_up(chassis, smtp)
    with rest(chassis, **alice.headers) as client:
        made = client.post("/agent/completion", json={"message": "Alice's secret plan"})
    session_id = made.json()["session_id"]
    with rest(chassis, **bob.headers) as client:
        assert client.get(f"/agent/session/{session_id}").status_code == 404
        assert client.post("/agent/completion", json={"session_id": session_id, "message": "x"}).status_code == 404
        assert client.delete(f"/agent/session/{session_id}").status_code == 404
        patched = client.patch(f"/agent/session/{session_id}/access", json={"visibility": "public"})
        assert patched.status_code == 404, patched.text
    with rest(chassis, **KEY) as client:  # the API key is a principal of its own
        assert client.get(f"/agent/session/{session_id}").status_code == 404

    # Public: anyone authenticated reads; only the owner and shared users continue.
    with rest(chassis, **alice.headers) as client:
        public = client.patch(f"/agent/session/{session_id}/access", json={"visibility": "public"})
    assert public.status_code == 200 and public.json()["access"]["visibility"] == "public"
    with rest(chassis, **bob.headers) as client:
        assert client.get(f"/agent/session/{session_id}").json()["owner_id"] == alice.id
        assert client.post("/agent/completion", json={"session_id": session_id, "message": "x"}).status_code == 404

    # Shared with Bob: he continues it, into Alice's session.
    with rest(chassis, **alice.headers) as client:
        shared = client.patch(
            f"/agent/session/{session_id}/access", json={"visibility": "shared", "shared_with": [bob.id]}
        )
    assert shared.json()["access"] == {"visibility": "shared", "shared_with": [bob.id]}
    with rest(chassis, **bob.headers) as client:
        more = client.post("/agent/completion", json={"session_id": session_id, "message": "Bob adds"})
        assert more.status_code == 200, more.text
        assert client.delete(f"/agent/session/{session_id}").status_code == 404  # owner only
    with rest(chassis, **alice.headers) as client:
        assert len(client.get(f"/agent/session/{session_id}").json()["messages"]) == 4
        bad = client.patch(f"/agent/session/{session_id}/access", json={"visibility": "everyone"})
        assert bad.status_code == 400
        gone = client.delete(f"/agent/session/{session_id}")
        assert gone.status_code == 200 and gone.json() == {"deleted": True, "session_id": session_id}
        assert client.get(f"/agent/session/{session_id}").status_code == 404


def test_every_agent_route_over_grpc(chassis: ChorusProcess) -> None:
    metadata = (("x-api-key", API_KEY),)
    with channel(chassis) as ch:
        stub = agent_pb2_grpc.AgentServiceStub(ch)
        request = agent_pb2.CompletionRequest(message="Hello over gRPC", allowed_tools=["calculate"])
        (only,) = list(stub.Completion(request, metadata=metadata))
        session_id = only.result.session_id
        assert only.result.role == "assistant" and session_id
        streamed = list(
            stub.Completion(
                agent_pb2.CompletionRequest(session_id=session_id, message=CALC, stream=True), metadata=metadata
            )
        )
        assert streamed[-1].WhichOneof("event") == "done"
        assert "42" in "".join(e.content.content for e in streamed[:-1])
        session = stub.GetSession(agent_pb2.GetSessionRequest(session_id=session_id), metadata=metadata).session
        assert len(session.messages) == 4
        updated = stub.UpdateSessionAccess(
            agent_pb2.UpdateSessionAccessRequest(session_id=session_id, visibility=agent_pb2.VISIBILITY_PUBLIC),
            metadata=metadata,
        )
        assert updated.session.access.visibility == agent_pb2.VISIBILITY_PUBLIC
        deleted = stub.DeleteSession(agent_pb2.DeleteSessionRequest(session_id=session_id), metadata=metadata)
        assert deleted.deleted
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetSession(agent_pb2.GetSessionRequest(session_id=session_id), metadata=metadata)
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as anonymous:
            list(stub.Completion(request))
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        health = agent_pb2_grpc.HealthServiceStub(ch).Health(agent_pb2.HealthRequest())
        assert health.status == "healthy"
