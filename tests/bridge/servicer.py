"""The echo servicer behind the bridge tests (tests/protos/chorus_testing/v1/bridge_test.proto).

Imported by the conftest only after the proto has been compiled onto sys.path.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
from chorus_testing.v1 import bridge_test_pb2 as pb
from chorus_testing.v1 import bridge_test_pb2_grpc as pb_grpc
from google.protobuf import duration_pb2, empty_pb2, json_format, struct_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

# What InspectMetadata sets on its response (the `grpc-*` / `*-bin` ones must not become headers).
INITIAL_METADATA = (
    ("x-ratelimit-remaining", "41"),
    ("x-custom-initial", "yes"),
    ("trace-context-bin", b"\x00\x01\x02"),
    ("grpc-test-reserved", "no"),
)
TRAILING_METADATA = (
    ("x-ratelimit-reset", "30"),
    ("x-custom-trailer-bin", b"\xff\xfe"),
)


@dataclass
class Recorder:
    """What the servicer observed, shared with the tests (they run on another thread)."""

    cancelled: dict[str, threading.Event] = field(default_factory=dict)
    finished: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event(self, table: dict[str, threading.Event], tag: str) -> threading.Event:
        with self.lock:
            return table.setdefault(tag, threading.Event())


def _as_struct(message: Message) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(json_format.MessageToDict(message))
    return out


def _echo(method: str, request: Message) -> pb.Echo:
    return pb.Echo(method=method, request=_as_struct(request))


def _code(name: str) -> grpc.StatusCode:
    return grpc.StatusCode[name]


def rich_status(code: grpc.StatusCode, message: str) -> grpc.Status:
    """A google.rpc.Status with ErrorInfo, BadRequest and RetryInfo details."""
    info = error_details_pb2.ErrorInfo(reason="QUOTA_CHECK_FAILED", domain="testing", metadata={"limit": "5"})
    bad = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field="item.quantity", description="must be positive"),
            error_details_pb2.BadRequest.FieldViolation(field="labels.1", description="too long"),
        ]
    )
    retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=7, nanos=400_000_000))
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in (info, bad, retry):
        status.details.add().Pack(detail)
    return rpc_status.to_status(status)


class BridgeTestServicer(pb_grpc.BridgeTestServiceServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def GetItem(self, request: pb.GetItemRequest, context: Any) -> pb.Echo:
        return _echo("GetItem", request)

    async def GetItemStats(self, request: pb.GetItemStatsRequest, context: Any) -> pb.Echo:
        return _echo("GetItemStats", request)

    async def GetBook(self, request: pb.GetBookRequest, context: Any) -> pb.Echo:
        return _echo("GetBook", request)

    async def GetFile(self, request: pb.GetFileRequest, context: Any) -> pb.Echo:
        return _echo("GetFile", request)

    async def GetThing(self, request: pb.GetThingRequest, context: Any) -> pb.Echo:
        return _echo("GetThing", request)

    async def CancelThing(self, request: pb.CancelThingRequest, context: Any) -> pb.Echo:
        return _echo("CancelThing", request)

    async def CreateItem(self, request: pb.CreateItemRequest, context: Any) -> pb.CreateItemResponse:
        item = pb.Item()
        item.CopyFrom(request.item)
        item.id = "created-1"
        return pb.CreateItemResponse(item=item, request=_as_struct(request))

    async def UpdateItem(self, request: pb.UpdateItemRequest, context: Any) -> pb.Echo:
        return _echo("UpdateItem", request)

    async def EchoBody(self, request: pb.EchoBodyRequest, context: Any) -> pb.Echo:
        return _echo("EchoBody", request)

    async def Search(self, request: pb.SearchRequest, context: Any) -> pb.Echo:
        return _echo("Search", request)

    async def DeleteItem(self, request: pb.DeleteItemRequest, context: Any) -> empty_pb2.Empty:
        await context.send_initial_metadata((("x-deleted-id", request.id),))
        return empty_pb2.Empty()

    async def InspectMetadata(self, request: pb.InspectMetadataRequest, context: Any) -> pb.InspectMetadataResponse:
        await context.send_initial_metadata(INITIAL_METADATA)
        context.set_trailing_metadata(TRAILING_METADATA)
        entries = [
            pb.MetadataEntry(key=key, value=value if isinstance(value, str) else value.hex())
            for key, value in context.invocation_metadata()
        ]
        return pb.InspectMetadataResponse(entries=entries)

    async def Fail(self, request: pb.FailRequest, context: Any) -> pb.Echo:
        code = _code(request.code)
        if request.rich:
            await context.abort_with_status(rich_status(code, f"rich {request.code}"))
        await context.abort(code, f"failed with {request.code}")
        raise AssertionError("unreachable")

    async def StreamEvents(
        self, request: pb.StreamEventsRequest, context: Any
    ) -> AsyncIterator[pb.StreamEventsResponse]:
        tag = request.tag
        await context.send_initial_metadata((("x-stream-tag", tag),))
        stream = request.stream if request.HasField("stream") else True
        fail_after = request.fail_after if request.fail_code else -1
        try:
            if not stream:
                if request.fail_code:
                    await context.abort(_code(request.fail_code), "stream setup failed")
                text = "".join(f"t{i}" for i in range(request.count))
                yield pb.StreamEventsResponse(summary=pb.StreamSummary(total=request.count, text=text))
                return
            for index in range(request.count):
                if index == fail_after:
                    await self._fail(context, request.fail_code, index)
                yield pb.StreamEventsResponse(delta=pb.StreamDelta(index=index, text=f"t{index}"))
            if fail_after >= request.count:
                await self._fail(context, request.fail_code, request.count)
            if request.hang:
                await asyncio.Event().wait()  # until the client goes away
            yield pb.StreamEventsResponse(summary=pb.StreamSummary(total=request.count))
        except asyncio.CancelledError:
            self.recorder.event(self.recorder.cancelled, tag).set()
            raise
        finally:
            self.recorder.event(self.recorder.finished, tag).set()

    async def _fail(self, context: Any, code_name: str, index: int) -> None:
        code = _code(code_name or "INTERNAL")
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            await context.abort_with_status(rich_status(code, f"failed at {index}"))
        await context.abort(code, f"failed at {index}")
