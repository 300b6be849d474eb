"""Reading the rich status (google.rpc.Status and its details) off a failed gRPC call."""

from __future__ import annotations

from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

M = TypeVar("M", bound=Message)


def detail(error: grpc.RpcError, kind: type[M]) -> M | None:
    """The call's detail of type `kind` (e.g. ErrorInfo, BadRequest), or None.

    `rpc_status.from_call` also checks that the rich status agrees with the
    call's own code and message."""
    status = rpc_status.from_call(error)
    if status is None:
        return None
    for packed in status.details:
        if packed.Is(kind.DESCRIPTOR):
            found = kind()
            packed.Unpack(found)
            return found
    return None


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The call's ErrorInfo detail (every Chorus error carries exactly one)."""
    info = detail(error, error_details_pb2.ErrorInfo)
    assert info is not None, "no ErrorInfo in the status details"
    return info


def field_violations(error: grpc.RpcError) -> list[error_details_pb2.BadRequest.FieldViolation]:
    """The BadRequest field violations of the call (none without a BadRequest detail)."""
    bad = detail(error, error_details_pb2.BadRequest)
    return list(bad.field_violations) if bad is not None else []


def violated_fields(error: grpc.RpcError) -> list[str]:
    """The field paths the call's BadRequest names, in order."""
    return [violation.field for violation in field_violations(error)]
