"""`make bench` part `search`: Crispy's `POST /search`, retrieval quality and latency.

On a fresh `chorus serve`, the labelled corpus of tests/support/search_corpus.py
is stored through `POST /documents` (timed), then:

- Retrieval: for each labelled question, `POST /search` with topK 3; recall@1
  and recall@3 (the section that answers it is the first / among the
  sources), MRR; and for the unanswerable questions, how many correctly got
  no source (the "nothing found" answer). Side by side: the same server with
  `models.semantic_embedding` set to the builtin lexical embedding (hashed
  words), the baseline the semantic model must beat.
- Latency (semantic model, builtin answer model), `ROUNDS` passes over the
  questions, one at a time: the whole non-streamed search (embed the query,
  retrieve, answer, confidence, follow-ups), and with `stream: true` the time
  to the `sources` event (retrieval alone, as the client sees it). p50 / p99.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench.procs import TENANT, chorus
from tests.support.search_corpus import DOCUMENTS, QUESTIONS, UNANSWERABLE, section_of

ROUNDS = 3
LEXICAL_CONFIG = '[models]\nsemantic_embedding = "@cf/baai/bge-base-en-v1.5"\n'


@dataclass
class Retrieval:
    model: str
    recall_at_1: float
    recall_at_3: float
    mrr: float
    refused: int  # unanswerable questions answered "nothing found"
    store_s: float  # storing the corpus through POST /documents


@dataclass
class SearchPart:
    retrieval: list[Retrieval] = field(default_factory=list)
    chunks: int = 0
    latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (p50, p99)
    problems: list[str] = field(default_factory=list)


def _store(http: httpx.Client) -> tuple[float, int]:
    started = time.perf_counter()
    chunks = 0
    for document_id, (title, text) in DOCUMENTS.items():
        response = http.post("/documents", json={"id": document_id, "title": title, "text": text})
        response.raise_for_status()
        chunks += response.json()["document"]["chunks"]
    return time.perf_counter() - started, chunks


def _retrieval(http: httpx.Client, model: str, store_s: float) -> Retrieval:
    ranks: list[int | None] = []
    for question, document_id, heading in QUESTIONS:
        sources = http.post("/search", json={"query": question, "topK": 3}).json()["sources"]
        wanted = section_of(document_id, heading)
        found = [i for i, s in enumerate(sources) if s["documentId"] == document_id and s["heading"] == wanted]
        ranks.append(found[0] + 1 if found else None)
    refused = sum(1 for q in UNANSWERABLE if not http.post("/search", json={"query": q}).json()["sources"])
    n = len(ranks)
    return Retrieval(
        model,
        sum(1 for r in ranks if r == 1) / n,
        sum(1 for r in ranks if r is not None) / n,
        sum(1 / r for r in ranks if r is not None) / n,
        refused,
        store_s,
    )


def _percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1000, samples[min(len(samples) - 1, round(len(samples) * 0.99))] * 1000


def _latency(http: httpx.Client) -> dict[str, tuple[float, float]]:
    whole: list[float] = []
    to_sources: list[float] = []
    for _ in range(ROUNDS):
        for question, _, _ in QUESTIONS:
            started = time.perf_counter()
            http.post("/search", json={"query": question}).raise_for_status()
            whole.append(time.perf_counter() - started)
            started = time.perf_counter()
            with http.stream("POST", "/search", json={"query": question, "stream": True}) as response:
                for line in response.iter_lines():
                    if line == "event: sources":
                        to_sources.append(time.perf_counter() - started)
                        break
    return {
        "POST /search, whole answer (JSON)": _percentiles(whole),
        "POST /search stream: true, to the `sources` event (retrieval)": _percentiles(to_sources),
    }


def run_search() -> SearchPart:
    part = SearchPart()
    with (
        chorus(name="search") as server,
        httpx.Client(base_url=server.rest_url, headers={"x-tenant-id": TENANT}, timeout=120) as http,
    ):
        http.post("/search", json={"query": "warm up"}).raise_for_status()  # loads the model
        store_s, part.chunks = _store(http)
        part.retrieval.append(_retrieval(http, "all-MiniLM-L6-v2 (semantic)", store_s))
        part.latency_ms = _latency(http)
        part.problems += server.problems()
    with (
        chorus(config_toml=LEXICAL_CONFIG, name="search-lexical") as server,
        httpx.Client(base_url=server.rest_url, headers={"x-tenant-id": TENANT}, timeout=120) as http,
    ):
        store_s, _ = _store(http)
        part.retrieval.append(_retrieval(http, "builtin lexical (baseline)", store_s))
        part.problems += server.problems()
    return part


def search_section(part: SearchPart) -> list[str]:
    n, u = len(QUESTIONS), len(UNANSWERABLE)
    out = [
        f"## Search: retrieval on the labelled corpus ({len(DOCUMENTS)} documents, {part.chunks} chunks, "
        f"{n} questions, {u} unanswerable; tests/support/search_corpus.py)",
        "",
        "| Embedding | recall@1 | recall@3 | MRR | unanswerable refused | store corpus s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {r.model} | {r.recall_at_1:.2f} | {r.recall_at_3:.2f} | {r.mrr:.3f} | {r.refused}/{u} | {r.store_s:.2f} |"
        for r in part.retrieval
    ]
    out += [
        "",
        f"Latency, {ROUNDS} x {n} searches one at a time (topK 5, builtin answer model):",
        "",
        "| Request | p50 ms | p99 ms |",
        "|---|---:|---:|",
    ]
    out += [f"| {name} | {p50:.1f} | {p99:.1f} |" for name, (p50, p99) in part.latency_ms.items()]
    if part.problems:
        out += ["", "Server problems: " + "; ".join(part.problems[:5])]
    return [*out, ""]
