"""`WebhookEndpoints`: one surface's webhooks, bound to its tenant, its event list and
its signature header; what the surface's routes call, and its `emit`."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform import trace_context
from server.platform.errors import ChorusError, FieldViolation, invalid_argument, not_found
from server.platform.webhooks import store
from server.platform.webhooks.address_guard import RefusedUrl, check_registration
from server.platform.webhooks.delivery import Event, WebhookDelivery, new_event_id
from server.platform.webhooks.signing import new_secret
from server.platform.webhooks.store import Attempt, EndpointRecord

MAX_ENDPOINTS = 20
MAX_URL = 2048
SECRET_LENGTHS = (16, 256)
DEFAULT_PAGE, MAX_PAGE = 50, 200
TEST_EVENT = "webhook.test"


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    url: str
    events: list[str]
    created_at_ms: int
    # Set when the endpoint was disabled for failing; deliveries stopped then.
    disabled_at_ms: int | None
    failing_since_ms: int | None
    # Only in the answer that made it (shown once).
    secret: str = ""


@dataclass(frozen=True, slots=True)
class AttemptPage:
    attempts: list[Attempt]
    next_token: str


def _endpoint(record: EndpointRecord, secret: str = "") -> Endpoint:
    return Endpoint(
        record.id,
        record.url,
        list(record.events),
        record.created_at_ms,
        record.disabled_at_ms,
        record.failing_since_ms,
        secret,
    )


def _invalid(name: str, reason: str, message: str) -> ChorusError:
    return invalid_argument(message, (FieldViolation(name, reason),))


class WebhookEndpoints:
    def __init__(self, delivery: WebhookDelivery, tenant_id: str, events: Sequence[str], signature_header: str) -> None:
        self._delivery = delivery
        self._db = delivery.db
        self._clock = delivery.clock
        self.tenant_id = tenant_id
        self.events = tuple(events)
        self._header = signature_header

    async def emit(
        self, conn: AsyncConnection, owner_id: str, event_type: str, data: dict[str, Any], event_id: str | None = None
    ) -> str:
        """Sends `event_type` to the owner's endpoints that take it, if `conn`'s open
        transaction commits; returns the event id."""
        if event_type not in self.events:
            raise ValueError(f"{event_type!r} is not one of this surface's webhook events")
        return await self._delivery.emit(
            conn, self.tenant_id, owner_id, event_type, data, signature_header=self._header, event_id=event_id
        )

    async def create(self, owner_id: str, url: str, events: Sequence[str], secret: str) -> Endpoint:
        if not url:
            raise _invalid("url", "required", "url is required")
        if len(url) > MAX_URL:
            raise _invalid("url", "too_long", f"url must be at most {MAX_URL} characters")
        try:
            await check_registration(url, self._delivery.settings.allow_private_addresses)
        except RefusedUrl as refused:
            raise _invalid("url", "invalid", str(refused)) from None
        if not events:
            raise _invalid("events", "required", "events is required: one or more of " + ", ".join(self.events))
        unknown = [e for e in events if e not in self.events]
        if unknown:
            raise _invalid(
                "events", "invalid", f"unknown events {', '.join(unknown)}; available: {', '.join(self.events)}"
            )
        low, high = SECRET_LENGTHS
        if secret and not low <= len(secret) <= high:
            raise _invalid("secret", "out_of_range", f"secret must be {low} to {high} characters")
        secret = secret or new_secret()
        record = EndpointRecord(
            id="wh_" + secrets.token_hex(12),
            tenant_id=self.tenant_id,
            owner_id=owner_id,
            url=url,
            events=list(dict.fromkeys(events)),
            sealed_secret=self._delivery.box.seal(secret),
            created_at_ms=self._clock.now_ms(),
            failing_since_ms=None,
            disabled_at_ms=None,
        )
        async with self._db.write() as conn:
            if len(await store.owned(conn, self.tenant_id, owner_id)) >= MAX_ENDPOINTS:
                raise _invalid("url", "limit", f"at most {MAX_ENDPOINTS} webhooks per user")
            await store.insert_endpoint(conn, record)
        return _endpoint(record, secret)

    async def list(self, owner_id: str) -> list[Endpoint]:
        async with self._db.engine.connect() as conn:
            return [_endpoint(r) for r in await store.owned(conn, self.tenant_id, owner_id)]

    async def delete(self, owner_id: str, endpoint_id: str) -> None:
        """The endpoint and its log; its queued deliveries end without sending."""
        async with self._db.write() as conn:
            if not await store.delete_endpoint(conn, self.tenant_id, owner_id, endpoint_id):
                raise _not_found(endpoint_id)

    async def _owned(self, owner_id: str, endpoint_id: str) -> EndpointRecord:
        async with self._db.engine.connect() as conn:
            record = await store.one(conn, endpoint_id, self.tenant_id, owner_id)
        if record is None:
            raise _not_found(endpoint_id)
        return record

    async def test(self, owner_id: str, endpoint_id: str) -> Attempt:
        """Sends a `webhook.test` event now, whatever the endpoint subscribes to, and
        answers with the outcome (logged like any attempt; not retried)."""
        record = await self._owned(owner_id, endpoint_id)
        event_id = new_event_id()
        data = {"webhookId": record.id, "message": "This is a test event."}
        event = Event(event_id, TEST_EVENT, self._delivery.body(event_id, TEST_EVENT, data))
        attempt = await self._delivery.attempt(record, event, 1, self._header, trace_context.captured())
        async with self._db.write() as conn:
            await store.log_attempt(conn, record.id, attempt)
        return attempt

    async def attempts(self, owner_id: str, endpoint_id: str, size: int, token: str) -> AttemptPage:
        """The endpoint's logged attempts, newest first."""
        if size < 0 or size > MAX_PAGE:
            raise _invalid("pageSize", "out_of_range", f"pageSize must be 1 to {MAX_PAGE}")
        before = _position(token) if token else None
        await self._owned(owner_id, endpoint_id)
        async with self._db.engine.connect() as conn:
            rows = await store.attempts_of(conn, endpoint_id, (size or DEFAULT_PAGE) + 1, before)
        more = len(rows) > (size or DEFAULT_PAGE)
        rows = rows[: size or DEFAULT_PAGE]
        next_token = base64.urlsafe_b64encode(str(rows[-1][0]).encode()).decode() if more else ""
        return AttemptPage([a for _, a in rows], next_token)


def _position(token: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise _invalid("pageToken", "invalid", "pageToken is not one this API gave") from None


def _not_found(endpoint_id: str) -> ChorusError:
    return not_found(f"Webhook '{endpoint_id}' not found")
