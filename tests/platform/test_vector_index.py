"""The vector index against a real database (SQLite, or PostgreSQL on CHORUS_TEST_BACKEND=postgres).

Two `Database` objects on one database stand in for two replicas: each has its
own engine and its own `VectorIndex` (its own in-memory partitions), so only
the database's rows and change numbers keep them consistent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest
from sqlalchemy import text

from server.config import SEMANTIC_EMBEDDING_MODEL, ModelSettings, load_settings
from server.platform.admission.rate_limit import RateLimiter
from server.platform.models.setup import build_embedding_registry, build_model_registry
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.surface import Platform
from server.platform.tenancy import TenantService
from server.platform.vectors.index import VectorIndex
from server.platform.vectors.partition import Hit, Partition
from server.platform.vectors.semantic import SemanticSearch, semantic_search
from tests.support.clock import ManualClock
from tests.support.relevance_set import PAIRS

DIMS = 8
NS = "test-memory"
ALICE = Scope("acme", "alice")
BOB = Scope("acme", "bob")
ACME = Scope("acme")  # tenant-wide
OTHER = Scope("globex", "alice")  # same principal name, another tenant


def unit(*values: float) -> np.ndarray:
    vector = np.zeros(DIMS, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def axis(i: int) -> np.ndarray:
    vector = np.zeros(DIMS, dtype=np.float32)
    vector[i] = 1.0
    return vector


def ids(hits: list[Hit]) -> list[str]:
    return [hit.item_id for hit in hits]


def index_on(db: Database, *, model: str = "m1") -> VectorIndex:
    return VectorIndex(db, ManualClock(1_700_000_000_000), NS, model=model, dimensions=DIMS)


@pytest.fixture
def replicas(two_processes: tuple[Database, Database]) -> tuple[VectorIndex, VectorIndex]:
    return index_on(two_processes[0]), index_on(two_processes[1])


# --- the in-memory partition ------------------------------------------------------


def test_partition_ranks_by_cosine_and_replaces_and_drops() -> None:
    partition = Partition(DIMS)
    for i in range(40):  # past the initial capacity: the matrix grows
        partition.put(f"i{i}", unit(1, (i + 1) / 10), change=i)
    assert len(partition) == 40
    partition.put("best", axis(0), change=50)
    hits = partition.search(axis(0), 3)
    assert ids(hits) == ["best", "i0", "i1"] and hits[0].score == pytest.approx(1.0)
    partition.put("best", axis(7), change=51)  # replaced: now along axis 7
    assert ids(partition.search(axis(0), 1)) == ["i0"]
    partition.drop("i0", change=52)
    assert "i0" not in partition and len(partition) == 40
    assert ids(partition.search(axis(0), 2)) == ["i1", "i2"]
    # The last row moved into i0's slot: still found, with its own vector.
    assert ids(partition.search(axis(7), 1)) == ["best"]
    assert partition.search(axis(7), 1)[0].score == pytest.approx(1.0)


def test_partition_ignores_writes_older_than_the_last_applied() -> None:
    partition = Partition(DIMS)
    partition.put("a", axis(0), change=5)
    partition.put("a", axis(1), change=4)  # late replay of an older write
    assert partition.search(axis(0), 1)[0].score == pytest.approx(1.0)
    partition.drop("a", change=6)
    partition.put("a", axis(0), change=5)  # older than the removal
    assert "a" not in partition


def test_partition_filters_by_predicate_and_min_score() -> None:
    partition = Partition(DIMS)
    for i in range(100):
        partition.put(f"i{i}", unit(1, i / 100), change=i)
    even = partition.search(axis(0), 5, accept=lambda item: int(item[1:]) % 2 == 0)
    assert ids(even) == ["i0", "i2", "i4", "i6", "i8"]
    # Only items far down the ranking pass: the search widens until it finds k.
    late = partition.search(axis(0), 2, accept=lambda item: int(item[1:]) >= 97)
    assert ids(late) == ["i97", "i98"]
    close = partition.search(axis(0), 50, min_score=float(unit(1, 0.1) @ axis(0)))
    assert ids(close) == [f"i{i}" for i in range(11)]


# --- the database-backed index -----------------------------------------------------


async def test_scopes_are_isolated_by_tenant_and_principal(replicas: tuple[VectorIndex, VectorIndex]) -> None:
    index, _ = replicas
    same = axis(0)
    for scope, item in ((ALICE, "alice-note"), (BOB, "bob-note"), (ACME, "tenant-doc"), (OTHER, "globex-note")):
        await index.upsert(scope, [(item, same)])
    assert ids(await index.search(ALICE, same, 10)) == ["alice-note"]
    assert ids(await index.search(BOB, same, 10)) == ["bob-note"]
    assert ids(await index.search(ACME, same, 10)) == ["tenant-doc"]
    assert ids(await index.search(OTHER, same, 10)) == ["globex-note"]
    assert ids(await index.search(Scope("initech", "alice"), same, 10)) == []
    # Removing in one scope leaves an item of the same id in another alone.
    await index.upsert(BOB, [("alice-note", same)])
    assert await index.remove(ALICE, ["alice-note"]) == 1
    assert ids(await index.search(BOB, same, 10)) == ["bob-note", "alice-note"]
    assert ids(await index.search(ALICE, same, 10)) == []


async def test_upsert_replaces_and_remove_forgets(replicas: tuple[VectorIndex, VectorIndex]) -> None:
    index, _ = replicas
    await index.upsert(ALICE, [("a", axis(0)), ("b", axis(1)), ("c", unit(1, 1))])
    assert ids(await index.search(ALICE, axis(0), 2)) == ["a", "c"]
    await index.upsert(ALICE, [("a", axis(2))])
    hits = await index.search(ALICE, axis(0), 3)
    assert ids(hits) == ["c", "a", "b"] and hits[1].score == pytest.approx(0.0)
    assert await index.count(ALICE) == 3
    assert await index.remove(ALICE, ["c", "missing"]) == 1
    assert await index.remove(ALICE, ["c"]) == 0
    assert ids(await index.search(ALICE, unit(0.1, 1, 0.5), 5)) == ["b", "a"]
    assert await index.count(ALICE) == 2
    with pytest.raises(ValueError, match="expected"):
        await index.upsert(ALICE, [("bad", np.zeros(DIMS + 1, dtype=np.float32))])


async def test_search_many_answers_each_query_as_search_does(replicas: tuple[VectorIndex, VectorIndex]) -> None:
    index, other = replicas
    await index.upsert(ALICE, [("a", axis(0)), ("b", axis(1)), ("c", unit(1, 1))])
    queries = [axis(0), axis(1), axis(2)]
    many = await index.search_many(ALICE, queries, 2, min_score=0.5)
    assert [ids(hits) for hits in many] == [ids(await index.search(ALICE, q, 2, min_score=0.5)) for q in queries]
    assert [ids(hits) for hits in many] == [["a", "c"], ["b", "c"], []]
    # One read of the new changes serves them all: another replica's write is seen.
    await other.upsert(ALICE, [("d", axis(2))])
    assert [ids(h) for h in await index.search_many(ALICE, [axis(2)], 1)] == [["d"]]
    assert await index.search_many(BOB, [axis(0)], 3) == [[]]
    with pytest.raises(ValueError, match="expected"):
        await index.search_many(ALICE, [np.zeros(DIMS + 1, dtype=np.float32)], 1)


async def test_a_replica_sees_the_other_replicas_writes_and_removals(
    replicas: tuple[VectorIndex, VectorIndex],
) -> None:
    first, second = replicas
    await first.upsert(ALICE, [("a", axis(0))])
    # The second replica loads Alice's partition now, then must follow later writes.
    assert ids(await second.search(ALICE, axis(0), 5)) == ["a"]
    await first.upsert(ALICE, [("b", unit(1, 0.5))])
    await first.upsert(ALICE, [("a", axis(3))])
    assert ids(await second.search(ALICE, axis(0), 5)) == ["b", "a"]
    await second.remove(ALICE, ["b"])
    assert ids(await first.search(ALICE, axis(0), 5)) == ["a"]
    assert ids(await second.search(ALICE, axis(0), 5)) == ["a"]
    # Searches queued behind one read of the changes share it, and all see the write.
    await first.upsert(ALICE, [("c", axis(0))])
    together = await asyncio.gather(*(second.search(ALICE, axis(0), 1) for _ in range(10)))
    assert [ids(hits) for hits in together] == [["c"]] * 10


async def test_concurrent_writers_on_two_replicas_converge(replicas: tuple[VectorIndex, VectorIndex]) -> None:
    first, second = replicas
    # Both hold Alice's partition before the writes race.
    assert await first.count(ALICE) == 0 and await second.count(ALICE) == 0

    async def write(i: int) -> None:
        replica = first if i % 2 else second
        await replica.upsert(ALICE, [(f"n{i}", unit(1, i / 40))])
        if i % 5 == 0:
            await replica.remove(ALICE, [f"n{i}"])

    await asyncio.gather(*(write(i) for i in range(40)))
    expected = [f"n{i}" for i in range(40) if i % 5]
    for replica in (first, second):
        assert await replica.count(ALICE) == len(expected)
        assert ids(await replica.search(ALICE, axis(0), 40)) == expected


async def test_a_restart_rebuilds_the_index_from_the_database(migrated_url: str) -> None:
    db = Database(migrated_url)
    before = index_on(db)
    await before.upsert(ALICE, [(f"k{i}", unit(1, i / 10)) for i in range(10)])
    await before.remove(ALICE, ["k0"])
    await before.upsert(ACME, [("doc", axis(0))])
    await db.close()

    restarted = Database(migrated_url)
    try:
        after = index_on(restarted)
        assert ids(await after.search(ALICE, axis(0), 3)) == ["k1", "k2", "k3"]
        assert await after.count(ALICE) == 9
        assert ids(await after.search(ACME, axis(0), 3)) == ["doc"]
        # The loaded partition still grows and forgets.
        await after.upsert(ALICE, [(f"more{i}", unit(0, 1, i / 20)) for i in range(20)])
        await after.remove(ALICE, ["k1"])
        assert await after.count(ALICE) == 28
        assert ids(await after.search(ALICE, axis(0), 2)) == ["k2", "k3"]
        # Vectors of another model are not searched with this one's.
        assert await index_on(restarted, model="m2").count(ALICE) == 0
    finally:
        await restarted.close()


async def test_a_write_in_the_callers_transaction_commits_or_rolls_back_with_it(
    replicas: tuple[VectorIndex, VectorIndex], two_processes: tuple[Database, Database]
) -> None:
    index, other = replicas
    db = two_processes[0]
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await index.upsert(ALICE, [("lost", axis(0))], conn=conn)
            raise RuntimeError("the caller's own write failed")
    assert await other.count(ALICE) == 0
    async with db.write() as conn:
        await index.upsert(ALICE, [("kept", axis(0))], conn=conn)
        await conn.execute(text("SELECT 1"))
    assert ids(await other.search(ALICE, axis(0), 5)) == ["kept"]


async def test_semantic_search_finds_a_stored_text_by_a_paraphrase(two_processes: tuple[Database, Database]) -> None:
    registry = build_embedding_registry(ModelSettings(), semantic=True)
    try:
        route = registry.route(SEMANTIC_EMBEDDING_MODEL)
        assert route.dimensions is not None
        indexes = [
            VectorIndex(db, ManualClock(0), "memories", model=SEMANTIC_EMBEDDING_MODEL, dimensions=route.dimensions)
            for db in two_processes
        ]
        writer, reader = (SemanticSearch(registry, SEMANTIC_EMBEDDING_MODEL, index) for index in indexes)
        await writer.store(ALICE, [(f"m{i}", text) for i, (_, text) in enumerate(PAIRS)])
        await writer.store(BOB, [("bob-only", PAIRS[1][1])])
        for i, (query, _) in enumerate(PAIRS[:6]):
            hits = await reader.search(ALICE, query, 3)
            assert hits[0].item_id == f"m{i}", (query, hits)
        assert ids(await reader.search(ALICE, PAIRS[1][0], 1, min_score=0.99)) == []
    finally:
        await registry.aclose()


async def test_a_process_shares_one_model_and_one_index_per_namespace(closing_db: Database) -> None:
    settings = load_settings()
    clock = ManualClock(0)
    platform = Platform(
        settings=settings,
        clock=clock,
        db=closing_db,
        tenants=TenantService(closing_db, clock),
        models=build_model_registry(settings.models),
        limiter=RateLimiter(),
    )
    memories = await semantic_search(platform, "memories")
    again = await semantic_search(platform, "memories")
    documents = await semantic_search(platform, "documents")
    try:
        assert memories.index is again.index and memories.index is not documents.index
        assert memories.model == SEMANTIC_EMBEDDING_MODEL and memories.index.dimensions == 384
        await memories.store(ALICE, [("m1", PAIRS[0][1]), ("m2", PAIRS[1][1])])
        assert ids(await again.search(ALICE, PAIRS[0][0], 1)) == ["m1"]
        assert await documents.search(ALICE, PAIRS[0][0], 1) == []
    finally:
        for close in platform.closers:
            await close()


@pytest.fixture
async def closing_db(migrated_url: str) -> AsyncIterator[Database]:
    db = Database(migrated_url)
    yield db
    await db.close()
