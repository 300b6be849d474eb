"""Crispy over gRPC: metadata credentials, streaming, rich error status, grpcurl."""

from __future__ import annotations

import json
import subprocess
import uuid

import grpc
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc
from google.rpc import error_details_pb2

from tests.support.chorus_process import ChorusProcess
from tests.support.grpc_status import detail, error_info
from tests.support.grpcurl import grpcurl_path

DEMO_MD = (("x-tenant-id", "demo"),)


@pytest.fixture(scope="module")
def stub(chorus: ChorusProcess):  # type: ignore[no-untyped-def]
    channel = grpc.insecure_channel(chorus.grpc_addr)
    yield chat_pb2_grpc.ChatServiceStub(channel)
    channel.close()


def test_health_over_grpc(stub) -> None:  # type: ignore[no-untyped-def]
    response, call = stub.GetHealth.with_call(chat_pb2.GetHealthRequest(), metadata=DEMO_MD)
    assert response.status == "ok" and response.tenant == "demo"
    # A unary call's response headers come with its status, as trailing metadata.
    trailing = dict(call.trailing_metadata())
    assert trailing["x-request-id"] == response.request_id
    assert trailing["x-ratelimit-limit"] == "100"


def test_streaming_chat_over_grpc(stub) -> None:  # type: ignore[no-untyped-def]
    session = str(uuid.uuid4())
    events = list(stub.Chat(chat_pb2.ChatRequest(session_id=session, message="Hello there"), metadata=DEMO_MD))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"token"}
    assert events[-1].done.usage.completion_tokens == len(events) - 1
    single = list(stub.Chat(chat_pb2.ChatRequest(session_id=session, message="Again", stream=False), metadata=DEMO_MD))
    assert [e.WhichOneof("event") for e in single] == ["completion"]
    history = stub.GetSessionHistory(chat_pb2.GetSessionHistoryRequest(session_id=session), metadata=DEMO_MD)
    assert [m.role for m in history.messages] == [chat_pb2.ROLE_USER, chat_pb2.ROLE_ASSISTANT] * 2
    assert history.messages[3].content == single[0].completion.response


def test_rich_validation_status(stub) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.Chat(chat_pb2.ChatRequest(session_id="bad", message=""), metadata=DEMO_MD))
    error = caught.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(error).reason == "VALIDATION_ERROR"
    bad = detail(error, error_details_pb2.BadRequest)
    assert bad is not None
    fields = [(v.field, v.description) for v in bad.field_violations]
    assert fields == [("sessionId", "Invalid UUID format"), ("message", "String must contain at least 1 character(s)")]
    request_id = dict(error.initial_metadata())["x-request-id"]  # type: ignore[attr-defined]
    request_info = detail(error, error_details_pb2.RequestInfo)
    assert request_info is not None and request_info.request_id == request_id


def test_not_found_and_unauthenticated(stub) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetSessionHistory(chat_pb2.GetSessionHistoryRequest(session_id=str(uuid.uuid4())), metadata=DEMO_MD)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(caught.value).reason == "NOT_FOUND"
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetHealth(chat_pb2.GetHealthRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_rate_limit_status_has_retry_info(stub) -> None:  # type: ignore[no-untyped-def]
    md = (("x-tenant-id", "tiny-grpc"), ("x-request-id", "grpc-rl"))
    codes = []
    for _ in range(6):
        try:
            stub.GetHealth(chat_pb2.GetHealthRequest(), metadata=md)
            codes.append("OK")
        except grpc.RpcError as error:
            codes.append(error.code().name)
            limited = error
    assert codes[-1] == "RESOURCE_EXHAUSTED"
    assert error_info(limited).reason == "RATE_LIMITED"
    retry = detail(limited, error_details_pb2.RetryInfo)
    assert retry is not None and retry.retry_delay.seconds >= 1
    trailers = dict(limited.trailing_metadata())  # type: ignore[attr-defined]
    assert trailers["retry-after"] and trailers["x-ratelimit-remaining"] == "0"


def test_grpcurl_list_describe_invoke(chorus: ChorusProcess) -> None:
    grpcurl = grpcurl_path()
    listed = subprocess.run(
        [grpcurl, "-plaintext", chorus.grpc_addr, "list"], capture_output=True, text=True, timeout=30
    )
    assert listed.returncode == 0, listed.stderr
    services = listed.stdout.split()
    assert "crispy.v1.ChatService" in services and "grpc.health.v1.Health" in services
    described = subprocess.run(
        [grpcurl, "-plaintext", chorus.grpc_addr, "describe", "crispy.v1.ChatService"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "rpc Chat ( .crispy.v1.ChatRequest ) returns ( stream .crispy.v1.ChatResponse )" in described.stdout
    invoked = subprocess.run(
        [grpcurl, "-plaintext", "-H", "x-tenant-id: demo", chorus.grpc_addr, "crispy.v1.ChatService/GetHealth"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout)["tenant"] == "demo"
    health = subprocess.run(
        [grpcurl, "-plaintext", chorus.grpc_addr, "grpc.health.v1.Health/Check"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert json.loads(health.stdout)["status"] == "SERVING"
