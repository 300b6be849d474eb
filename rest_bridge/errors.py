"""Errors as the bridge sees them: one view for upstream statuses and its own."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

# grpc-gateway / Envoy / Connect share this table; dialects may override by reason.
_HTTP_BY_CODE = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
_CODES_BY_VALUE = {c.value[0]: c for c in grpc.StatusCode}
# ErrorInfo reasons whose HTTP status is the same on every surface.
_HTTP_BY_REASON = {
    # RESOURCE_EXHAUSTED, but the server's disk, not the client's rate: never 429.
    "STORAGE_FULL": 507,
}


def http_status_for(code: grpc.StatusCode) -> int:
    return _HTTP_BY_CODE.get(code, 500)


@dataclass(slots=True)
class ErrorView:
    """What a dialect needs to render an error envelope."""

    code: grpc.StatusCode
    reason: str
    message: str
    request_id: str = ""
    violations: list[tuple[str, str]] = field(default_factory=list)  # (field path, description)
    retry_after: float | None = None
    info: dict[str, str] = field(default_factory=dict)
    http_status: int = 0  # 0: derive from code (and the dialect's overrides)
    domain: str = ""  # ErrorInfo.domain


def error_from_rpc(error: grpc.aio.AioRpcError, request_id: str) -> ErrorView:
    view = ErrorView(error.code(), "", error.details() or "", request_id)
    try:
        status = rpc_status.from_call(error)
    except ValueError:  # details that contradict the call's own code or message are not trusted
        status = None
    if status is not None:
        _apply_details(view, status)
    if not view.reason:
        _explain_transport_failure(view)
    if not view.reason:
        view.reason = view.code.name
    view.http_status = view.http_status or _HTTP_BY_REASON.get(view.reason, 0)
    return view


def _explain_transport_failure(view: ErrorView) -> None:
    """A status without ErrorInfo comes from gRPC itself (or a bare abort).

    gRPC's size limits answer RESOURCE_EXHAUSTED, which is no rate limit (and
    clients retry a 429): oversized metadata is the client's headers, 431. A
    message over a size limit (grpc.max_message_bytes) is the response: the
    bridge refuses bodies far below that limit itself, so "Sent" and
    "Received" (either side may say it) both mean a reply it cannot carry, 502.
    """
    if view.code != grpc.StatusCode.RESOURCE_EXHAUSTED:
        return
    if "metadata" in view.message:
        view.reason, view.http_status, view.message = "HEADERS_TOO_LARGE", 431, "Request headers are too large"
    elif "message larger than max" in view.message:
        view.code, view.reason, view.http_status = grpc.StatusCode.INTERNAL, "MESSAGE_TOO_LARGE", 502
        view.message = f"The response is larger than the gRPC message limit (grpc.max_message_bytes): {view.message}"


def _apply_details(view: ErrorView, status: status_pb2.Status) -> None:
    view.code = _CODES_BY_VALUE.get(status.code, view.code)
    view.message = status.message or view.message
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            view.reason = info.reason
            view.domain = info.domain
            view.info = dict(info.metadata)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            view.violations = [(v.field, v.description) for v in bad.field_violations]
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            view.retry_after = retry.retry_delay.ToTimedelta().total_seconds()
        elif detail.Is(error_details_pb2.RequestInfo.DESCRIPTOR):
            req = error_details_pb2.RequestInfo()
            detail.Unpack(req)
            view.request_id = req.request_id or view.request_id
