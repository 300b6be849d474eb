"""The idempotency key store against a real database (SQLite, or PostgreSQL on
CHORUS_TEST_BACKEND=postgres).

Two `Database` objects on one database stand in for two processes: each has its
own engine, connection pool and write lock, so only the database itself
keeps their claims apart.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from server.platform.storage.database import Database
from server.platform.storage.idempotency_store import IdempotencyStore, KeyScope, decode_messages, encode_messages

NOW = 1_700_000_000_000
TTL = 24 * 3_600_000
LEASE = 10 * 60_000
ALICE = KeyScope("t1", "alice", "key-1")


@pytest.fixture
def store(two_processes: tuple[Database, Database]) -> IdempotencyStore:
    return IdempotencyStore(two_processes[0])


async def _count(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM idempotency_keys"))).scalar_one())


def test_messages_round_trip_through_their_framing() -> None:
    messages = [b"", b"\x00\x01", b"x" * 70_000, b""]
    assert decode_messages(encode_messages(messages)) == messages
    assert decode_messages(encode_messages([])) == []


async def test_claim_then_complete_then_replay(store: IdempotencyStore) -> None:
    assert await store.claim(ALICE, "fp", "c1", NOW, TTL, LEASE) is None
    running = await store.claim(ALICE, "fp", "c2", NOW + 5, TTL, LEASE)
    assert running is not None and running.fingerprint == "fp" and running.messages is None
    assert await store.complete(ALICE, "c1", [b"one", b"two"], NOW + 10)
    done = await store.claim(ALICE, "other", "c3", NOW + 20, TTL, LEASE)
    assert done is not None and done.fingerprint == "fp" and done.messages == [b"one", b"two"]
    # A finished key is never released: its outcome stays until it expires.
    assert not await store.release(ALICE, "c1")


async def test_keys_are_scoped_by_tenant_and_principal(store: IdempotencyStore) -> None:
    for scope in (ALICE, KeyScope("t1", "bob", "key-1"), KeyScope("t2", "alice", "key-1")):
        assert await store.claim(scope, "fp", "c", NOW, TTL, LEASE) is None


async def test_only_the_holder_completes_or_releases(
    store: IdempotencyStore, two_processes: tuple[Database, ...]
) -> None:
    assert await store.claim(ALICE, "fp", "holder", NOW, TTL, LEASE) is None
    assert not await store.complete(ALICE, "intruder", [b"x"], NOW)
    assert not await store.release(ALICE, "intruder")
    assert await store.release(ALICE, "holder")
    assert await _count(two_processes[0]) == 0
    assert await store.claim(ALICE, "fp2", "next", NOW, TTL, LEASE) is None


async def test_an_abandoned_claim_is_taken_over_after_the_lease(store: IdempotencyStore) -> None:
    assert await store.claim(ALICE, "fp", "crashed", NOW, TTL, LEASE) is None
    held = await store.claim(ALICE, "fp", "early", NOW + LEASE - 1, TTL, LEASE)
    assert held is not None and held.messages is None
    assert await store.claim(ALICE, "fp", "late", NOW + LEASE, TTL, LEASE) is None
    # The first holder, should it still finish, can no longer touch the new holder's key.
    assert not await store.complete(ALICE, "crashed", [b"stale"], NOW + LEASE + 1)
    assert not await store.release(ALICE, "crashed")
    assert await store.complete(ALICE, "late", [b"fresh"], NOW + LEASE + 2)
    replay = await store.claim(ALICE, "fp", "again", NOW + LEASE + 3, TTL, LEASE)
    assert replay is not None and replay.messages == [b"fresh"]


async def test_an_expired_key_is_new_again(store: IdempotencyStore) -> None:
    assert await store.claim(ALICE, "fp", "c1", NOW, TTL, LEASE) is None
    assert await store.complete(ALICE, "c1", [b"old"], NOW + 1)
    assert await store.claim(ALICE, "other", "c2", NOW + TTL - 1, TTL, LEASE) is not None
    assert await store.claim(ALICE, "other", "c3", NOW + TTL, TTL, LEASE) is None
    held = await store.claim(ALICE, "other", "c4", NOW + TTL + 1, TTL, LEASE)
    assert held is not None and held.fingerprint == "other" and held.messages is None


async def test_purge_deletes_expired_keys_in_bounded_batches(
    store: IdempotencyStore, two_processes: tuple[Database, ...]
) -> None:
    for i in range(5):
        assert await store.claim(KeyScope("t1", "alice", f"old-{i}"), "fp", "c", NOW, TTL, LEASE) is None
    assert await store.claim(KeyScope("t1", "alice", "young"), "fp", "c", NOW + 1000, TTL, LEASE) is None
    assert await store.purge_expired(NOW + TTL, limit=3) == 3
    assert await store.purge_expired(NOW + TTL, limit=3) == 2
    assert await store.purge_expired(NOW + TTL, limit=3) == 0
    assert await _count(two_processes[0]) == 1


async def test_concurrent_claims_from_two_processes_have_one_winner(two_processes: tuple[Database, Database]) -> None:
    stores = [IdempotencyStore(db) for db in two_processes]
    claims = [stores[i % 2].claim(ALICE, "fp", f"c{i}", NOW, TTL, LEASE) for i in range(20)]
    outcomes = await asyncio.gather(*claims)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(o is None or (o.fingerprint == "fp" and o.messages is None) for o in outcomes)
    assert await _count(two_processes[0]) == 1
