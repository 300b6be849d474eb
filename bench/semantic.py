"""The `semantic` part: the platform's sentence embedding and vector index, in this process.

- Relevance: MRR and recall@1 on the labelled set of tests/support/relevance_set.py,
  the packaged model against the builtin lexical embedding, side by side.
- Model: first load, one text's latency (p50), batch throughput (texts/s).
- Index (SQLite in a temp dir, migrated): search p50 at 1k, 10k and 100k vectors
  in one owner scope, through `VectorIndex.search` (which first reads the
  namespace's new changes: one query) and on the in-memory partition alone;
  recall@10 of the index against an exact float64 search of the same vectors;
  store throughput (vectors/s into the database, in batches and one by one;
  and texts/s embedded and stored end to end).

Index vectors are synthetic (clustered unit vectors of 384 numbers: embedding
100k texts would take the model most of an hour here); the model figures use
real text.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from server.config import SEMANTIC_EMBEDDING_MODEL, ModelSettings
from server.platform.embeddings.builtin import lexical_vector
from server.platform.embeddings.sentence import MINILM_DIMENSIONS, SentenceEmbedder
from server.platform.models.setup import build_embedding_registry
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.storage.migrate import upgrade_async
from server.platform.vectors.index import VectorIndex
from server.platform.vectors.partition import Partition
from server.platform.vectors.semantic import SemanticSearch
from tests.support.clock import ManualClock
from tests.support.relevance_set import CORPUS, QUERIES, mean_reciprocal_rank, recall_at

SIZES = (1_000, 10_000, 100_000)
QUERIES_PER_SIZE = 200
OWNER = Scope("bench", "user")
Target = tuple[str, str, str, str]


@dataclass
class IndexRow:
    size: int
    search_p50_ms: float
    partition_p50_ms: float
    recall_at_10: float
    load_s: float  # a fresh replica's first search: the partition loaded from the database


@dataclass
class Semantic:
    relevance: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (MRR, recall@1)
    model_load_s: float = 0.0
    single_p50_ms: float = 0.0
    batch_texts_per_s: float = 0.0
    store_batched_per_s: float = 0.0
    store_single_per_s: float = 0.0
    store_texts_per_s: float = 0.0
    index: list[IndexRow] = field(default_factory=list)


def _vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    centres = rng.standard_normal((max(n // 50, 1), MINILM_DIMENSIONS)).astype(np.float32)
    points = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, MINILM_DIMENSIONS))
    points = points.astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


async def _model(part: Semantic) -> None:
    embedder = SentenceEmbedder()
    try:
        started = time.perf_counter()
        await embedder.load()
        part.model_load_s = time.perf_counter() - started
        queries, _ = await embedder.embed_matrix(list(QUERIES))
        corpus, _ = await embedder.embed_matrix(list(CORPUS))
        lexical_q = [lexical_vector(q) for q in QUERIES]
        lexical_c = [lexical_vector(t) for t in CORPUS]
        part.relevance = {
            SEMANTIC_EMBEDDING_MODEL: (mean_reciprocal_rank(queries, corpus), recall_at(1, queries, corpus)),
            "builtin lexical": (mean_reciprocal_rank(lexical_q, lexical_c), recall_at(1, lexical_q, lexical_c)),
        }
        singles = []
        for text in CORPUS:
            started = time.perf_counter()
            await embedder.embed_matrix([text])
            singles.append(time.perf_counter() - started)
        part.single_p50_ms = statistics.median(singles) * 1000
        texts = [f"{q} ({i})" for i in range(8) for q in QUERIES]
        started = time.perf_counter()
        await embedder.embed_matrix(texts)
        part.batch_texts_per_s = len(texts) / (time.perf_counter() - started)
    finally:
        await embedder.aclose()


async def _index(part: Semantic, data_dir: Path) -> None:
    url = f"sqlite+aiosqlite:///{data_dir / 'vectors.db'}"
    await upgrade_async(url)
    db = Database(url)
    rng = np.random.default_rng(7)
    try:
        index = VectorIndex(db, ManualClock(0), "bench", model="synthetic", dimensions=MINILM_DIMENSIONS)
        stored = np.zeros((0, MINILM_DIMENSIONS), dtype=np.float32)
        batch_seconds = 0.0
        for size in SIZES:
            fresh = _vectors(rng, size - len(stored))
            started = time.perf_counter()
            for start in range(0, len(fresh), 1000):
                chunk = fresh[start : start + 1000]
                offset = len(stored) + start
                await index.upsert(OWNER, [(f"v{offset + i}", v) for i, v in enumerate(chunk)])
            batch_seconds += time.perf_counter() - started
            stored = np.concatenate([stored, fresh])
            part.index.append(await _measure(db, index, stored, rng))
        part.store_batched_per_s = len(stored) / batch_seconds
        started = time.perf_counter()
        singles = _vectors(rng, 200)
        for i, vector in enumerate(singles):
            await index.upsert(Scope("bench", "single"), [(f"s{i}", vector)])
        part.store_single_per_s = len(singles) / (time.perf_counter() - started)

        registry = build_embedding_registry(ModelSettings(), semantic=True)
        try:
            texts = VectorIndex(
                db, ManualClock(0), "texts", model=SEMANTIC_EMBEDDING_MODEL, dimensions=MINILM_DIMENSIONS
            )
            search = SemanticSearch(registry, SEMANTIC_EMBEDDING_MODEL, texts)
            await search.store(OWNER, [("warm", "warm up")])
            items = [(f"t{i}", f"{query} (note {i})") for i, query in enumerate(QUERIES * 8)]
            started = time.perf_counter()
            for start in range(0, len(items), 32):
                await search.store(OWNER, items[start : start + 32])
            part.store_texts_per_s = len(items) / (time.perf_counter() - started)
        finally:
            await registry.aclose()
    finally:
        await db.close()


async def _measure(db: Database, index: VectorIndex, stored: np.ndarray, rng: np.random.Generator) -> IndexRow:
    queries = _vectors(rng, QUERIES_PER_SIZE)
    # The exact reference first, in float64, all at once: BLAS's threads spin for a
    # while after a call, and would steal the timed searches' CPU on 2 cores.
    scores = queries.astype(np.float64) @ stored.astype(np.float64).T
    truth = np.argpartition(-scores, 10, axis=1)[:, :10]
    await asyncio.sleep(0.5)
    await index.search(OWNER, queries[0], 10)  # the first search after writes loads the changes
    through_index, found = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(await index.search(OWNER, query, 10))
        through_index.append(time.perf_counter() - started)
    hits = sum(
        len({f"v{i}" for i in row} & {hit.item_id for hit in hits}) for row, hits in zip(truth, found, strict=True)
    )
    partition = Partition(index.dimensions)  # the same in-memory search, without the database
    for i, vector in enumerate(stored):
        partition.put(f"v{i}", vector, change=1)
    alone = []
    for query in queries:
        started = time.perf_counter()
        partition.search(query, 10)
        alone.append(time.perf_counter() - started)
    # A replica that starts now: its first search loads the scope from the database.
    replica = VectorIndex(db, ManualClock(0), index.namespace, model=index.model, dimensions=index.dimensions)
    started = time.perf_counter()
    await replica.search(OWNER, queries[0], 10)
    load_s = time.perf_counter() - started
    return IndexRow(
        len(stored),
        statistics.median(through_index) * 1000,
        statistics.median(alone) * 1000,
        hits / (10 * len(queries)),
        load_s,
    )


def run_semantic() -> Semantic:
    part = Semantic()
    asyncio.run(_model(part))
    with tempfile.TemporaryDirectory(prefix="chorus-bench-vectors-") as data_dir:
        asyncio.run(_index(part, Path(data_dir)))
    return part


def semantic_section(part: Semantic, targets: list[Target]) -> list[str]:
    out = [
        "## Semantic search: the packaged embedding model and the vector index (in process, SQLite)",
        "",
        f"Model {SEMANTIC_EMBEDDING_MODEL} (candle, CPU): first load {part.model_load_s * 1000:.0f} ms, "
        f"one text p50 {part.single_p50_ms:.1f} ms, batches {part.batch_texts_per_s:.0f} texts/s.",
        "",
        f"Relevance set ({len(QUERIES)} paraphrased queries over {len(CORPUS)} texts):",
        "",
        "| Embedding | MRR | recall@1 |",
        "|---|---:|---:|",
    ]
    out += [f"| {name} | {mrr:.3f} | {r1:.3f} |" for name, (mrr, r1) in part.relevance.items()]
    out += [
        "",
        "Index: one owner scope, synthetic clustered vectors of 384 numbers; search = `VectorIndex.search` "
        "(reads new changes first: one query), partition = the in-memory exact search alone; "
        "recall@10 against an exact float64 search; load = a fresh replica's first search.",
        "",
        "| Vectors | search p50 ms | partition p50 ms | recall@10 | load s |",
        "|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {r.size:,} | {r.search_p50_ms:.2f} | {r.partition_p50_ms:.2f} | {r.recall_at_10:.3f} | {r.load_s:.2f} |"
        for r in part.index
    ]
    out += [
        "",
        f"Store: {part.store_batched_per_s:,.0f} vectors/s in batches of 1,000, {part.store_single_per_s:,.0f} "
        f"vectors/s one per write; {part.store_texts_per_s:,.1f} texts/s embedded and stored (batches of 32).",
        "",
    ]
    model, lexical = part.relevance.get(SEMANTIC_EMBEDDING_MODEL), part.relevance.get("builtin lexical")
    if model and lexical:
        targets.append(
            (
                "Relevance MRR: model vs lexical",
                f"{model[0]:.3f} vs {lexical[0]:.3f}",
                "model > lexical",
                "ok" if model[0] > lexical[0] else "FAIL",
            )
        )
    return out
