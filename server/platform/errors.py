"""One error model: typed errors raised by domain code, sent as google.rpc.Status.

Every error carries exactly one `ErrorInfo` whose `reason` is the surface
document's code (e.g. `VALIDATION_ERROR`, `RATE_LIMITED`), plus `BadRequest`
field violations, `RetryInfo` and `RequestInfo` where they apply. The bridge
reads the same details back to render each surface's envelope.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

# ErrorInfo.domain of errors outside any surface's methods; theirs name the surface.
ERROR_DOMAIN = "chorus"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str  # dotted JSON path, e.g. "sessionId" or "messages.2.role"
    description: str


@dataclass(eq=False)
class ChorusError(Exception):
    code: grpc.StatusCode
    reason: str
    message: str
    violations: tuple[FieldViolation, ...] = ()
    retry_after: float | None = None
    info: dict[str, str] = field(default_factory=dict)
    # Response metadata (HTTP headers on the bridge) that belong to this error.
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def to_status(self, request_id: str = "", domain: str = ERROR_DOMAIN) -> status_pb2.Status:
        """`domain`: the ErrorInfo's, the surface whose method failed."""
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        details = [error_details_pb2.ErrorInfo(reason=self.reason, domain=domain, metadata=self.info)]
        if self.violations:
            details.append(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                        for v in self.violations
                    ]
                )
            )
        if self.retry_after is not None:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(self.retry_after * 1e9))
            details.append(error_details_pb2.RetryInfo(retry_delay=delay))
        if request_id:
            details.append(error_details_pb2.RequestInfo(request_id=request_id))
        for detail in details:
            packed = any_pb2.Any()
            packed.Pack(detail)
            status.details.append(packed)
        return status


def invalid_argument(
    message: str,
    violations: list[FieldViolation] | tuple[FieldViolation, ...] = (),
    reason: str = "VALIDATION_ERROR",
) -> ChorusError:
    return ChorusError(grpc.StatusCode.INVALID_ARGUMENT, reason, message, tuple(violations))


def not_found(message: str, reason: str = "NOT_FOUND") -> ChorusError:
    return ChorusError(grpc.StatusCode.NOT_FOUND, reason, message)


def unauthenticated(message: str, reason: str = "UNAUTHORIZED") -> ChorusError:
    return ChorusError(grpc.StatusCode.UNAUTHENTICATED, reason, message)


def already_exists(message: str, reason: str = "CONFLICT", info: dict[str, str] | None = None) -> ChorusError:
    return ChorusError(grpc.StatusCode.ALREADY_EXISTS, reason, message, info=info or {})


def permission_denied(message: str, reason: str = "FORBIDDEN") -> ChorusError:
    return ChorusError(grpc.StatusCode.PERMISSION_DENIED, reason, message)


def unavailable(message: str, reason: str = "UNAVAILABLE") -> ChorusError:
    return ChorusError(grpc.StatusCode.UNAVAILABLE, reason, message)


def shutting_down() -> ChorusError:
    """A call still running when the server's shutdown grace period ran out."""
    return ChorusError(grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN", "The server is shutting down", retry_after=1.0)


STORAGE_FULL = "STORAGE_FULL"
_SQLITE_FULL = 13  # SQLITE_FULL: "database or disk is full"
_PG_DISK_FULL = "53100"  # SQLSTATE disk_full: "could not extend file ..."
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# character_not_in_repertoire (NUL in text) and untranslatable_character (\u0000 in
# jsonb): text PostgreSQL cannot store is the client's input, not a server fault.
_PG_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def storage_full() -> ChorusError:
    """The database's disk (or its quota) is full: nothing was written. RESOURCE_EXHAUSTED is
    gRPC's code for a full file system; the bridge answers 507 Insufficient Storage for it
    (not RESOURCE_EXHAUSTED's usual 429: the client sent too much of nothing)."""
    return ChorusError(
        grpc.StatusCode.RESOURCE_EXHAUSTED, STORAGE_FULL, "The server's storage is full; nothing was written"
    )


def from_storage_failure(exc: BaseException) -> ChorusError | None:
    """The error a storage failure means to a client, when it means more than INTERNAL:
    SQLite's SQLITE_FULL, PostgreSQL's disk_full and ENOSPC/EDQUOT are `storage_full()`;
    text PostgreSQL cannot store (a NUL) is INVALID_ARGUMENT."""
    for cause in _causes(exc):
        sqlstate = getattr(cause, "sqlstate", None)
        if (
            getattr(cause, "sqlite_errorcode", None) == _SQLITE_FULL
            or sqlstate == _PG_DISK_FULL
            or (isinstance(cause, OSError) and cause.errno in _DISK_FULL_ERRNOS)
        ):
            return storage_full()
        if sqlstate in _PG_UNSTORABLE_TEXT:
            return ChorusError(
                grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", "Text may not contain NUL characters"
            )
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, the driver error a SQLAlchemy error wraps (`orig`), and their causes."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen or len(seen) > 16:
            continue
        seen.add(id(cause))
        yield cause
        orig = getattr(cause, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, cause.__cause__, cause.__context__]


def internal(message: str = "Internal server error", reason: str = "INTERNAL") -> ChorusError:
    return ChorusError(grpc.StatusCode.INTERNAL, reason, message)
