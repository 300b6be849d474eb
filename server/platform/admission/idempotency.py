"""`Idempotency-Key`: a repeated request replays the first one's response instead of running again.

Runs after admission (so the caller is known and the key is scoped to them)
and before the handler, for the methods whose rule honours the key
(`honours_idempotency_key`), in services that keep keys. With the
`idempotency-key` metadata (the REST header `Idempotency-Key`):
- the first request claims the key, runs, and stores its response message(s);
- the same request again gets the stored messages back, marked with
  `idempotent-replayed: true`, and the handler does not run;
- another request under the same key fails (FAILED_PRECONDITION), as does a
  duplicate while the first still runs (ABORTED), both VALIDATION_ERROR;
- a request that fails, or whose client goes away, releases the key.
"Same request" is the same method and the same deterministic serialization
of the request message, so JSON key order and whitespace do not matter.
Admission (identity, quotas) runs first: a replay needs valid credentials and
counts toward the caller's quotas like any call. Requests without the
metadata pass with one dict lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from rest_bridge.method_rules import MethodRule
from server.platform.admission.call import CallInfo
from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, invalid_argument
from server.platform.storage.idempotency_store import IdempotencyStore, KeyScope

log = logging.getLogger("chorus.idempotency")

IDEMPOTENCY_KEY = "idempotency-key"
REPLAYED_KEY = "idempotent-replayed"
# A claim still running after this long was abandoned (its process died) and may be taken over.
CLAIM_LEASE_MS = 10 * 60 * 1000
# Expired keys are purged at most this often per process, a bounded batch at a time.
PURGE_INTERVAL_MS = 60 * 1000
PURGE_BATCH = 500
_MAX_KEY_LENGTH = 255
_FIELD = "idempotency_key"


@dataclass(frozen=True, slots=True)
class IdempotencyKeys:
    """A service keeps idempotency keys this long; its methods' rules say which honour them."""

    ttl_ms: int


@dataclass(frozen=True, slots=True)
class Replay:
    """The stored response of an earlier request with the same key."""

    messages: list[Message]


class Claim:
    """A key this call holds: `finish()` stores what the call sent, a failure releases the key."""

    __slots__ = ("_claim_id", "_owner", "_scope")

    def __init__(self, owner: Idempotency, scope: KeyScope, claim_id: str) -> None:
        self._owner = owner
        self._scope = scope
        self._claim_id = claim_id

    async def finish(self, sent: list[Message]) -> None:
        await self._owner.complete(self._scope, self._claim_id, sent)

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Releases the key when the block fails in any way (error, cancellation, client gone)."""
        try:
            yield
        except BaseException:
            await self._owner.release(self._scope, self._claim_id)
            raise


_NOTHING_HELD: contextlib.nullcontext[None] = contextlib.nullcontext()


def held(claim: Claim | None) -> contextlib.AbstractAsyncContextManager[None]:
    """The claim's `held()`; a no-op (and no cost) without a key."""
    return _NOTHING_HELD if claim is None else claim.held()


def _fingerprint(method: str, request: Message) -> str:
    digest = hashlib.sha256(method.encode())
    digest.update(b"\0")
    digest.update(request.SerializeToString(deterministic=True))
    return digest.hexdigest()


def _response_type(method: str) -> Any:
    service, _, name = method[1:].partition("/")
    output = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(name).output_type
    return message_factory.GetMessageClass(output)


def _key_violation(message: str) -> tuple[FieldViolation, ...]:
    return (FieldViolation(_FIELD, message),)


def _check_key(key: str) -> None:
    if not key or len(key) > _MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        message = f"Idempotency-Key must be 1 to {_MAX_KEY_LENGTH} printable ASCII characters"
        raise invalid_argument(message, _key_violation(message))


def _reused(key: str) -> ChorusError:
    message = "This Idempotency-Key was already used with a different request; use a new key for a new request"
    return ChorusError(
        grpc.StatusCode.FAILED_PRECONDITION,
        "VALIDATION_ERROR",
        message,
        _key_violation(message),
        info={_FIELD: key},
    )


def _in_progress(key: str) -> ChorusError:
    message = "A request with this Idempotency-Key is still in progress; retry after it finishes"
    return ChorusError(
        grpc.StatusCode.ABORTED,
        "VALIDATION_ERROR",
        message,
        _key_violation(message),
        retry_after=1.0,
        info={_FIELD: key},
    )


class Idempotency:
    def __init__(
        self,
        store: IdempotencyStore,
        clock: Clock,
        services: Mapping[str, IdempotencyKeys],
        rules: Mapping[str, MethodRule],
    ) -> None:
        """`services`: full service name -> how long its keys live; `rules`: the methods' rules."""
        self._store = store
        self._clock = clock
        self._services = dict(services)
        self._rules = rules
        self._response_types: dict[str, Any] = {}
        self._next_purge_ms = 0
        # Releases still running after their call was cancelled; awaited at shutdown.
        self._releases: set[asyncio.Task[bool]] = set()

    def covers(self, method: str) -> bool:
        rule = self._rules.get(method)
        return rule is not None and rule.honours_idempotency_key and rule.service in self._services

    async def begin(self, call: CallInfo, request: Message) -> Claim | Replay | None:
        """None without a key; else the claim this call now holds, or the stored response to replay.

        Raises VALIDATION_ERROR for a malformed key, a key reused with another
        request, or a duplicate of a request still running."""
        key = call.metadata.get(IDEMPOTENCY_KEY)
        if key is None:
            return None
        _check_key(key)
        caller = call.caller
        scope = KeyScope(caller.tenant.id if caller else "", (caller and caller.user_id) or "", key)
        fingerprint = _fingerprint(call.method, request)
        now = self._clock.now_ms()
        claim_id = secrets.token_hex(16)
        ttl_ms = self._services[call.service].ttl_ms
        existing = await self._store.claim(scope, fingerprint, claim_id, now, ttl_ms, CLAIM_LEASE_MS)
        await self._purge_if_due(now)
        if existing is None:
            return Claim(self, scope, claim_id)
        if existing.fingerprint != fingerprint:
            raise _reused(key)
        if existing.messages is None:
            raise _in_progress(key)
        response_type = self._response_type(call.method)
        call.response_headers[REPLAYED_KEY] = "true"
        return Replay([response_type.FromString(data) for data in existing.messages])

    def _response_type(self, method: str) -> Any:
        found = self._response_types.get(method)
        if found is None:
            found = self._response_types[method] = _response_type(method)
        return found

    async def complete(self, scope: KeyScope, claim_id: str, messages: list[Message]) -> None:
        """Stores the response. Never fails the call: its work is done and its answer sent
        (or about to be); an unstored key stays claimed until its lease runs out."""
        try:
            stored = await self._store.complete(
                scope, claim_id, [m.SerializeToString() for m in messages], self._clock.now_ms()
            )
        except Exception:
            log.exception("could not store the response of an idempotent request")
            return
        if not stored:
            # It ran past the lease and another request took the key over: theirs is the stored outcome.
            log.warning("an idempotency key was taken over before its request finished")

    async def release(self, scope: KeyScope, claim_id: str) -> None:
        # Shielded: the call may be cancelled (client gone) while its key is released.
        task = asyncio.ensure_future(self._store.release(scope, claim_id))
        self._releases.add(task)
        task.add_done_callback(self._release_done)
        with contextlib.suppress(Exception):
            await asyncio.shield(task)

    def _release_done(self, task: asyncio.Task[bool]) -> None:
        self._releases.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not release an idempotency key", exc_info=task.exception())

    async def _purge_if_due(self, now_ms: int) -> None:
        if now_ms < self._next_purge_ms:
            return
        self._next_purge_ms = now_ms + PURGE_INTERVAL_MS
        try:
            await self._store.purge_expired(now_ms, PURGE_BATCH)
        except Exception:
            log.exception("purging expired idempotency keys failed")

    async def aclose(self) -> None:
        """Waits for releases still in flight, so none is cut off by closing the database."""
        if self._releases:
            await asyncio.gather(*self._releases, return_exceptions=True)
