"""`WebhookDelivery`: one per process, shared by every surface that offers webhooks.

`emit` runs in the caller's transaction: for each of the owner's enabled
endpoints that take the event it enqueues a delivery job (a transactional
outbox), so a rolled-back change sends nothing and a committed one survives any
restart. The event's body is fixed then: every attempt sends the same bytes
with the same event id (`webhook-id`), which receivers deduplicate on.

Each attempt is one job attempt (server/platform/jobs): any replica may run it,
at most one at a time. A 2xx answer within `webhooks.attempt_timeout` (15 s)
succeeds; anything else is logged and retried on `webhooks.retry_delays`
(Svix's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). A process
killed mid-attempt loses its lease and another takes the attempt again
(`LeaseLost.RETRY`): delivery is at least once. An endpoint whose deliveries
have failed for `webhooks.disable_after_days` is disabled; its remaining jobs
end without sending.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from server.config import WebhookSettings
from server.platform import trace_context
from server.platform.clock import Clock
from server.platform.jobs import JobContext, Jobs, JobType, LeaseLost, PermanentFailure, svix_backoff
from server.platform.storage.database import Database
from server.platform.times import rfc3339_ms
from server.platform.webhooks import store
from server.platform.webhooks.address_guard import IpAddress, RefusedUrl, allowed_addresses, parse
from server.platform.webhooks.secret_box import SecretBox
from server.platform.webhooks.signing import chaozcode_signature, standard_headers

DELIVER = "webhooks.deliver"
DAY_MS = 86_400_000
USER_AGENT = "Chorus-Webhooks/1"
MAX_ANSWER_BYTES = 64 * 1024


class DeliveryFailed(Exception):
    """An attempt that did not get a 2xx in time: the job retries it on the schedule."""


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    body: bytes


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


class WebhookDelivery:
    def __init__(self, db: Database, clock: Clock, jobs: Jobs, settings: WebhookSettings, data_dir: Path) -> None:
        self.db = db
        self.clock = clock
        self._jobs = jobs
        self.settings = settings
        self.box = SecretBox(settings.secret_key, data_dir)
        tls = ssl.create_default_context()
        if settings.ca_file:
            tls.load_verify_locations(settings.ca_file)
        # No proxies from the environment (the address check must see the real peer), no redirects.
        self._client = httpx.AsyncClient(
            verify=tls, follow_redirects=False, trust_env=False, timeout=settings.attempt_timeout
        )
        jobs.register(
            JobType(
                DELIVER,
                self._deliver,
                # The attempt's own bound is `attempt_timeout`; this leaves room for DNS and the log.
                timeout=settings.attempt_timeout + 15.0,
                max_attempts=1 + len(settings.retry_delays),
                backoff=svix_backoff(settings.retry_delays),
                on_lease_lost=LeaseLost.RETRY,
            )
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def emit(
        self,
        conn: AsyncConnection,
        tenant_id: str,
        owner_id: str,
        event_type: str,
        data: dict[str, Any],
        *,
        signature_header: str,
        event_id: str | None = None,
    ) -> str:
        """Enqueues `event_type` for each of the owner's endpoints that take it, in `conn`'s
        open transaction; returns the event id."""
        event_id = event_id or new_event_id()
        targets = await store.subscribed(conn, tenant_id, owner_id, event_type)
        if targets:
            body = self.body(event_id, event_type, data)
            # The request's trace, continued by the delivery (empty outside a request or untraced).
            trace = trace_context.captured()
            for endpoint_id in targets:
                payload: dict[str, Any] = {
                    "endpoint": endpoint_id,
                    "event": event_id,
                    "type": event_type,
                    "body": body.decode(),
                    "header": signature_header,
                }
                if trace:
                    payload["trace"] = trace
                await self._jobs.enqueue(conn, DELIVER, payload, key=endpoint_id)
        return event_id

    def body(self, event_id: str, event_type: str, data: dict[str, Any]) -> bytes:
        created = rfc3339_ms(self.clock.now_ms())
        return orjson.dumps({"id": event_id, "type": event_type, "createdAt": created, "data": data})

    # --- attempts ---

    async def _deliver(self, job: JobContext) -> None:
        p = job.payload
        async with self.db.engine.connect() as conn:
            record = await store.one(conn, p["endpoint"])
        if record is None:
            raise PermanentFailure("the endpoint was deleted")
        if record.disabled_at_ms is not None:
            raise PermanentFailure("the endpoint is disabled")
        event = Event(p["event"], p["type"], p["body"].encode())
        attempt = await self.attempt(record, event, job.attempt, p["header"], p.get("trace", {}))
        disable_after_ms = round(self.settings.disable_after_days * DAY_MS)
        async with self.db.write() as conn:
            await store.log_attempt(conn, record.id, attempt)
            disabled = await store.record_outcome(conn, record.id, attempt.succeeded, attempt.at_ms, disable_after_ms)
        if attempt.succeeded:
            return
        if disabled:
            raise PermanentFailure(f"the endpoint was disabled after failing for days; last: {attempt.error}")
        raise DeliveryFailed(attempt.error)

    async def attempt(
        self,
        record: store.EndpointRecord,
        event: Event,
        number: int,
        header: str,
        trace: Mapping[str, str] | None = None,
    ) -> store.Attempt:
        """Sends `event` once to the endpoint; the outcome, whatever it is (never raises for it).
        `trace`: the context of the request that emitted it, continued by this attempt."""
        attributes = {"chorus.webhook.attempt": number}
        with trace_context.resumed(f"webhook {event.type}", trace or {}, **attributes) as (trace_headers, span):
            attempt = await self._attempt(record, event, number, header, trace_headers)
            if span is not None:
                if attempt.status_code is not None:
                    span.set_attribute("http.response.status_code", attempt.status_code)
                if attempt.error is not None:
                    span.set_attribute("error.type", attempt.error)
            return attempt

    async def _attempt(
        self, record: store.EndpointRecord, event: Event, number: int, header: str, trace_headers: dict[str, str]
    ) -> store.Attempt:
        now_ms = self.clock.now_ms()
        started = time.monotonic()
        secret = self.box.open(record.sealed_secret)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            header: chaozcode_signature(secret, event.body),
            **standard_headers(secret, event.id, now_ms // 1000, event.body),
            **trace_headers,
        }
        status: int | None = None
        error: str | None = None
        timeout = self.settings.attempt_timeout
        try:
            async with asyncio.timeout(timeout):
                status = await self._post(record.url, headers, event.body)
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
        except RefusedUrl as refused:
            error = f"refused: {refused}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"no answer within {timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return store.Attempt(
            event_id=event.id,
            event_type=event.type,
            attempt=number,
            at_ms=now_ms,
            duration_ms=round((time.monotonic() - started) * 1000),
            status_code=status,
            succeeded=error is None,
            error=error,
        )

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POSTs to an address the guard allowed, the host name kept for TLS and Host."""
        host, port = parse(url)
        addresses = await allowed_addresses(host, port, self.settings.allow_private_addresses)
        parts = urlsplit(url)
        last: httpx.ConnectError | None = None
        for address in addresses:
            pinned = urlunsplit(parts._replace(netloc=f"{_netloc(address)}:{port}"))
            request = self._client.build_request(
                "POST",
                pinned,
                content=body,
                headers={**headers, "host": parts.netloc.rpartition("@")[2]},
                extensions={"sni_hostname": host},
            )
            try:
                response = await self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last = exc
                continue
            try:
                # The status is the answer; a short body is read to its end so the
                # connection goes back to the pool (a TLS handshake per delivery
                # otherwise), a long one is cut off.
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read > MAX_ANSWER_BYTES:
                        break
            finally:
                await response.aclose()
            return response.status_code
        assert last is not None
        raise last


def _netloc(address: IpAddress) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


async def webhook_delivery(platform: Any) -> WebhookDelivery:
    """The process's one `WebhookDelivery` (its job type is registered once)."""

    async def build() -> WebhookDelivery:
        delivery = WebhookDelivery(
            platform.db, platform.clock, platform.jobs, platform.settings.webhooks, platform.settings.data_dir
        )
        platform.closers.append(delivery.aclose)
        return delivery

    return await platform.shared(DELIVER, build)
