"""Reading google.rpc.Status details off a failed gRPC call."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The call's ErrorInfo detail (every Chorus error carries exactly one)."""
    for key, value in error.trailing_metadata() or ():  # type: ignore[attr-defined]
        if key == "grpc-status-details-bin":
            for detail in status_pb2.Status.FromString(value).details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return info
    raise AssertionError("no ErrorInfo in the status details")
