"""ChorusError → google.rpc.Status → the bridge's ErrorView → each envelope."""

from __future__ import annotations

import errno
from pathlib import Path

import asyncpg
import grpc
import orjson
import sqlalchemy
import sqlalchemy.exc
from grpc_status import rpc_status
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection, PGDialect_asyncpg

from rest_bridge.dialects.chittyos import ChittyOSDialect
from rest_bridge.dialects.crispy import CrispyDialect
from rest_bridge.dialects.mcos import McosDialect
from rest_bridge.dialects.openai import OpenAIDialect
from rest_bridge.errors import ErrorView, _apply_details, error_from_rpc, http_status_for
from server.platform.errors import (
    ChorusError,
    FieldViolation,
    from_storage_failure,
    invalid_argument,
    not_found,
    storage_full,
)


def _view(error: ChorusError, request_id: str) -> ErrorView:
    view = ErrorView(grpc.StatusCode.UNKNOWN, "", "")
    _apply_details(view, error.to_status(request_id))
    return view


def test_status_carries_one_error_info_and_the_details() -> None:
    error = invalid_argument("Validation error", [FieldViolation("messages.2.role", "Required")])
    status = error.to_status("rid-1")
    kinds = [d.type_url.rsplit("/", 1)[1] for d in status.details]
    assert kinds == ["google.rpc.ErrorInfo", "google.rpc.BadRequest", "google.rpc.RequestInfo"]
    view = _view(error, "rid-1")
    assert view.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (view.reason, view.message, view.request_id) == ("VALIDATION_ERROR", "Validation error", "rid-1")
    assert view.violations == [("messages.2.role", "Required")]


def test_retry_info_round_trips() -> None:
    error = ChorusError(grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED", "Rate limit exceeded", retry_after=42.0)
    view = _view(error, "r")
    assert view.retry_after == 42.0
    assert CrispyDialect().http_status(view) == 429


def test_crispy_envelope() -> None:
    dialect = CrispyDialect()
    view = _view(invalid_argument("Validation error", [FieldViolation("messages.2.role", "Bad")]), "rid")
    assert orjson.loads(orjson.dumps(dialect.error_body(view))) == {
        "error": "Validation error",
        "requestId": "rid",
        "details": {"issues": [{"path": ["messages", 2, "role"], "message": "Bad"}]},
    }
    plain = _view(not_found("Session not found"), "rid2")
    assert dialect.error_body(plain) == {"error": "Session not found", "requestId": "rid2"}
    assert dialect.http_status(plain) == 404


def test_status_table_matches_the_architecture() -> None:
    table = {
        "INVALID_ARGUMENT": 400,
        "FAILED_PRECONDITION": 400,
        "OUT_OF_RANGE": 400,
        "UNAUTHENTICATED": 401,
        "PERMISSION_DENIED": 403,
        "NOT_FOUND": 404,
        "ALREADY_EXISTS": 409,
        "ABORTED": 409,
        "RESOURCE_EXHAUSTED": 429,
        "CANCELLED": 499,
        "UNIMPLEMENTED": 501,
        "UNAVAILABLE": 503,
        "DEADLINE_EXCEEDED": 504,
        "INTERNAL": 500,
        "UNKNOWN": 500,
        "DATA_LOSS": 500,
    }
    for name, status in table.items():
        assert http_status_for(grpc.StatusCode[name]) == status, name


def _full_sqlite_error(path: Path) -> BaseException:
    """A real SQLITE_FULL, as SQLAlchemy raises it: a database capped at a few pages, overfilled."""
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA max_page_count = 4")
            conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
            for _ in range(100):
                conn.exec_driver_sql("INSERT INTO t VALUES (?)", ("x" * 4096,))
    except sqlalchemy.exc.OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("the capped database never filled up")


def test_a_full_disk_is_storage_full_whatever_the_driver(tmp_path: Path) -> None:
    sqlite_full = _full_sqlite_error(tmp_path / "full.db")
    assert "database or disk is full" in str(sqlite_full)
    # asyncpg's disk_full (SQLSTATE 53100), translated by SQLAlchemy's asyncpg dialect, then wrapped.
    pg_full = asyncpg.exceptions.DiskFullError('could not extend file "base/16384/16385": No space left on device')
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(PGDialect_asyncpg.import_dbapi(), pg_full)
    except Exception as translated:
        pg_wrapped: BaseException = sqlalchemy.exc.OperationalError("INSERT ...", {}, translated)
    no_space = OSError(errno.ENOSPC, "No space left on device")
    for failure in (sqlite_full, pg_wrapped, pg_full, no_space):
        error = from_storage_failure(failure)
        assert error is not None, failure
        assert (error.code, error.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "STORAGE_FULL")
    assert from_storage_failure(sqlalchemy.exc.OperationalError("SELECT", {}, Exception("locked"))) is None
    assert from_storage_failure(OSError(errno.EACCES, "Permission denied")) is None


def test_text_postgresql_cannot_store_is_invalid_argument() -> None:
    nul = asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(PGDialect_asyncpg.import_dbapi(), nul)
    except Exception as translated:
        wrapped: BaseException = sqlalchemy.exc.DataError("INSERT ...", {}, translated)
    error = from_storage_failure(wrapped)
    assert error is not None and error.code == grpc.StatusCode.INVALID_ARGUMENT


def test_storage_full_is_507_in_every_surface_envelope() -> None:
    status = rpc_status.to_status(storage_full().to_status("rid-9"))
    rpc = grpc.aio.AioRpcError(
        status.code, grpc.aio.Metadata(), grpc.aio.Metadata(*status.trailing_metadata), status.details
    )
    view = error_from_rpc(rpc, "rid-9")
    message = "The server's storage is full; nothing was written"
    assert CrispyDialect().http_status(view) == 507
    assert CrispyDialect().error_body(view) == {"error": message, "requestId": "rid-9"}
    assert McosDialect().http_status(view) == 507
    assert McosDialect().error_body(view)["error"]["code"] == "INTERNAL_ERROR"  # the document's code for a 5xx
    assert ChittyOSDialect().http_status(view) == 507
    assert ChittyOSDialect().error_body(view) == {"error": message}
    assert OpenAIDialect().http_status(view) == 507
    assert OpenAIDialect().error_body(view)["error"] == {
        "message": message,
        "type": "server_error",
        "param": None,
        "code": "storage_full",
    }


def test_details_that_contradict_the_call_are_not_trusted() -> None:
    """grpcio-status refuses a rich status whose code or message differs from the call's own."""
    status = rpc_status.to_status(storage_full().to_status("rid-9"))
    rpc = grpc.aio.AioRpcError(
        grpc.StatusCode.INTERNAL, grpc.aio.Metadata(), grpc.aio.Metadata(*status.trailing_metadata), "boom"
    )
    view = error_from_rpc(rpc, "rid-10")
    assert (view.code, view.reason, view.message) == (grpc.StatusCode.INTERNAL, "INTERNAL", "boom")
    assert view.request_id == "rid-10"
