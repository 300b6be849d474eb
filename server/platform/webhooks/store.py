"""The SQL of webhooks: endpoints (scoped by tenant and owner) and the attempt log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.storage.tables import WebhookAttemptRow, WebhookEndpointRow

endpoints = cast(Table, WebhookEndpointRow.__table__)
attempts = cast(Table, WebhookAttemptRow.__table__)
_e, _a = endpoints.c, attempts.c


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    id: str
    tenant_id: str
    owner_id: str
    url: str
    events: list[str]
    sealed_secret: str
    created_at_ms: int
    failing_since_ms: int | None
    disabled_at_ms: int | None


@dataclass(frozen=True, slots=True)
class Attempt:
    event_id: str
    event_type: str
    attempt: int
    at_ms: int
    duration_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None


_ENDPOINT_COLUMNS = (
    _e.id,
    _e.tenant_id,
    _e.owner_id,
    _e.url,
    _e.events,
    _e.secret,
    _e.created_at_ms,
    _e.failing_since_ms,
    _e.disabled_at_ms,
)


def _record(row: Any) -> EndpointRecord:
    return EndpointRecord(*row)


async def insert_endpoint(conn: AsyncConnection, record: EndpointRecord) -> None:
    await conn.execute(
        insert(endpoints).values(
            id=record.id,
            tenant_id=record.tenant_id,
            owner_id=record.owner_id,
            url=record.url,
            events=record.events,
            secret=record.sealed_secret,
            created_at_ms=record.created_at_ms,
        )
    )


async def owned(conn: AsyncConnection, tenant_id: str, owner_id: str) -> list[EndpointRecord]:
    rows = await conn.execute(
        select(*_ENDPOINT_COLUMNS)
        .where(_e.tenant_id == tenant_id, _e.owner_id == owner_id)
        .order_by(_e.created_at_ms, _e.id)
    )
    return [_record(r) for r in rows.all()]


async def one(conn: AsyncConnection, endpoint_id: str, tenant_id: str | None = None, owner_id: str | None = None):  # type: ignore[no-untyped-def]
    query = select(*_ENDPOINT_COLUMNS).where(_e.id == endpoint_id)
    if tenant_id is not None:
        query = query.where(_e.tenant_id == tenant_id, _e.owner_id == owner_id)
    row = (await conn.execute(query)).first()
    return None if row is None else _record(row)


async def delete_endpoint(conn: AsyncConnection, tenant_id: str, owner_id: str, endpoint_id: str) -> bool:
    gone = await conn.execute(
        delete(endpoints).where(_e.id == endpoint_id, _e.tenant_id == tenant_id, _e.owner_id == owner_id)
    )
    if not gone.rowcount:
        return False
    await conn.execute(delete(attempts).where(_a.endpoint_id == endpoint_id))
    return True


async def log_attempt(conn: AsyncConnection, endpoint_id: str, attempt: Attempt) -> None:
    await conn.execute(
        insert(attempts).values(
            endpoint_id=endpoint_id,
            event_id=attempt.event_id,
            event_type=attempt.event_type,
            attempt=attempt.attempt,
            at_ms=attempt.at_ms,
            duration_ms=attempt.duration_ms,
            status_code=attempt.status_code,
            succeeded=attempt.succeeded,
            error=attempt.error,
        )
    )


async def record_outcome(
    conn: AsyncConnection, endpoint_id: str, succeeded: bool, now_ms: int, disable_after_ms: int
) -> bool:
    """Tracks the endpoint's run of failures; returns True when this failure disabled it."""
    if succeeded:
        await conn.execute(
            update(endpoints)
            .where(_e.id == endpoint_id, _e.failing_since_ms.is_not(None))
            .values(failing_since_ms=None)
        )
        return False
    await conn.execute(
        update(endpoints).where(_e.id == endpoint_id, _e.failing_since_ms.is_(None)).values(failing_since_ms=now_ms)
    )
    disabled = await conn.execute(
        update(endpoints)
        .where(
            _e.id == endpoint_id,
            _e.disabled_at_ms.is_(None),
            _e.failing_since_ms <= now_ms - disable_after_ms,
        )
        .values(disabled_at_ms=now_ms)
    )
    return bool(disabled.rowcount)


async def attempts_of(
    conn: AsyncConnection, endpoint_id: str, limit: int, before_seq: int | None
) -> list[tuple[int, Attempt]]:
    query = select(
        _a.seq,
        _a.event_id,
        _a.event_type,
        _a.attempt,
        _a.at_ms,
        _a.duration_ms,
        _a.status_code,
        _a.succeeded,
        _a.error,
    ).where(_a.endpoint_id == endpoint_id)
    if before_seq is not None:
        query = query.where(_a.seq < before_seq)
    rows = await conn.execute(query.order_by(_a.seq.desc()).limit(limit))
    return [(int(r[0]), Attempt(*r[1:])) for r in rows.all()]


async def subscribed(conn: AsyncConnection, tenant_id: str, owner_id: str, event_type: str) -> list[str]:
    """The owner's enabled endpoints that take `event_type`."""
    rows = await conn.execute(
        select(_e.id, _e.events).where(_e.tenant_id == tenant_id, _e.owner_id == owner_id, _e.disabled_at_ms.is_(None))
    )
    return [endpoint_id for endpoint_id, events in rows.all() if event_type in events]
