"""The FastAPI peer of Crispy's `GET /chat/{id}/history`: what a FastAPI user would write.

    python -m bench.fastapi_peer --database-url sqlite+aiosqlite:////tmp/x/chorus.db --port 0

FastAPI + SQLAlchemy 2 async (aiosqlite, or asyncpg on PostgreSQL), written
the way the FastAPI and SQLAlchemy docs show it: an `AsyncConnection` per
request from a dependency (Core `select`s on the ORM models: an `AsyncSession`
costs several times more per query), pydantic response models.
It serves the same read on the same database (a Chorus data dir's, schema
and all) with the same JSON, status codes and headers as Chorus: the tenant
from `x-tenant-id` (looked up once, then cached for 5 s as Chorus does), a
`limits` moving-window rate limit in process memory with the tenant's
per-minute and per-second windows (as Chorus's limiter), `X-RateLimit-*` and
`X-Request-Id` headers, and the error body `{"error", "requestId"}`.

Tuned as a careful user would: every dependency `async` (FastAPI runs a
plain `def` dependency in a worker thread) and a connection pool as large as
the requests in flight.

Served by uvicorn on uvloop and httptools, one process, access log off: the
settings `chorus serve` gives its own uvicorn.
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies (closures in
# `create_app`) from the annotations, which must therefore be objects, not strings.
import argparse
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import uvicorn
from cachetools import TTLCache
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import BigInteger, Boolean, Integer, String, Text, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# --- models: the table of the read, and a tenant's limits ------------------------


class Base(DeclarativeBase):
    pass


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    burst_per_second: Mapped[int | None] = mapped_column(Integer)


class ChatMessage(Base):
    __tablename__ = "conversation_messages"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    surface: Mapped[str] = mapped_column(String(32))
    tenant_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at_ms: Mapped[int] = mapped_column(BigInteger)
    incomplete: Mapped[bool] = mapped_column(Boolean)


# --- response schema -----------------------------------------------------------------


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class MessageOut(CamelModel):
    role: str
    content: str
    timestamp: int
    incomplete: bool | None = None


class HistoryOut(CamelModel):
    session_id: str
    messages: list[MessageOut]
    request_id: str


# --- the app ---------------------------------------------------------------------------

POOL_SIZE = 32
# Chorus's defaults when a tenant sets no limit of its own (server/config.py).
DEFAULT_PER_MINUTE = 100
DEFAULT_PER_SECOND = 20


class ApiError(Exception):
    def __init__(self, status: int, message: str, request_id: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.message, self.request_id, self.headers = status, message, request_id, headers or {}


def create_app(database_url: str) -> FastAPI:
    # The pool holds a connection per request in flight (the bench runs 16): with the default
    # 5 + 10 overflow, the 16th request would open and close a connection (an aiosqlite thread) each time.
    engine = create_async_engine(database_url, pool_size=POOL_SIZE, max_overflow=0)
    limiter = MovingWindowRateLimiter(MemoryStorage())
    tenants: TTLCache[str, Row[Any]] = TTLCache(10_000, 5.0)
    app = FastAPI()

    async def get_db() -> AsyncIterator[AsyncConnection]:
        async with engine.connect() as conn:
            yield conn

    async def request_id(response: Response) -> str:  # async: FastAPI runs a plain `def` in a thread
        rid = str(uuid.uuid4())
        response.headers["X-Request-Id"] = rid
        return rid

    async def current_tenant(
        x_tenant_id: Annotated[str, Header()],
        db: Annotated[AsyncConnection, Depends(get_db)],
        rid: Annotated[str, Depends(request_id)],
    ) -> Row[Any]:
        tenant = tenants.get(x_tenant_id)
        if tenant is None:
            limits_of = select(Tenant.id, Tenant.rate_per_minute, Tenant.burst_per_second)
            tenant = (await db.execute(limits_of.where(Tenant.id == x_tenant_id))).first()
            if tenant is None:
                raise ApiError(401, "Unknown tenant", rid)
            tenants[x_tenant_id] = tenant
        return tenant

    async def rate_limited(
        tenant: Annotated[Row[Any], Depends(current_tenant)],
        response: Response,
        rid: Annotated[str, Depends(request_id)],
    ) -> None:
        per_minute = RateLimitItemPerMinute(tenant.rate_per_minute or DEFAULT_PER_MINUTE)
        per_second = RateLimitItemPerSecond(tenant.burst_per_second or DEFAULT_PER_SECOND)
        allowed = await limiter.hit(per_second, tenant.id) and await limiter.hit(per_minute, tenant.id)
        reset, remaining = await limiter.get_window_stats(per_minute, tenant.id)
        headers = {
            "X-RateLimit-Limit": str(per_minute.amount),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(reset)),
        }
        if not allowed:
            retry_after = str(max(1, int(reset - time.time())))
            raise ApiError(429, "Rate limit exceeded", rid, {**headers, "Retry-After": retry_after})
        response.headers.update(headers)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"X-Request-Id": exc.request_id, **exc.headers}
        return JSONResponse({"error": exc.message, "requestId": exc.request_id}, exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [{"path": ["sessionId"], "message": "Invalid UUID format"} for _ in exc.errors()[:1]]
        body = {"error": "Validation error", "requestId": str(uuid.uuid4()), "details": {"issues": issues}}
        return JSONResponse(body, 400)

    @app.get(
        "/chat/{session_id}/history",
        response_model=HistoryOut,
        response_model_by_alias=True,
        response_model_exclude_none=True,
        dependencies=[Depends(rate_limited)],
    )
    async def get_history(
        session_id: uuid.UUID,
        tenant: Annotated[Row[Any], Depends(current_tenant)],
        db: Annotated[AsyncConnection, Depends(get_db)],
        rid: Annotated[str, Depends(request_id)],
    ) -> HistoryOut:
        sid = str(session_id)
        rows = (
            await db.execute(
                select(ChatMessage.role, ChatMessage.content, ChatMessage.created_at_ms, ChatMessage.incomplete)
                .where(
                    ChatMessage.surface == "crispy",
                    ChatMessage.tenant_id == tenant.id,
                    ChatMessage.owner_id == "",
                    ChatMessage.conversation_id == sid,
                )
                .order_by(ChatMessage.seq)
            )
        ).all()
        if not rows:  # a session exists while it has messages
            raise ApiError(404, "Session not found", rid)
        return HistoryOut(
            session_id=sid,
            messages=[
                MessageOut(role=r.role, content=r.content, timestamp=r.created_at_ms, incomplete=r.incomplete or None)
                for r in rows
            ],
            request_id=rid,
        )

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fastapi_peer", description=__doc__)
    parser.add_argument("--database-url", required=True, help="sqlite+aiosqlite:///… or postgresql+asyncpg://…")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        create_app(args.database_url),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )
    print(f"fastapi_peer: listening on http://{host}:{port}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
