"""`POST /search`: an answer grounded in the tenant's own documents.

1. Retrieval. The query is embedded with the platform's semantic model and
   the tenant's chunks (namespace "crispy-documents", tenant-wide scope) are
   searched: the `topK` best scoring at least `min_score` (cosine). Only the
   tenant's partition is searched: no other tenant's chunk is ever a candidate.
2. Nothing relevant: no chunk reaches `min_score`. The answer says the
   documents do not cover the question; the model is not called, so nothing
   is invented. Sources are empty and confidence is 0.
3. Answer. The chat model gets the numbered chunks and the question, nothing
   else, and is told to answer from them alone, citing them as [n] (n is the
   source's position in `sources`, best first).
4. Confidence = retrieval x support, rounded to 2 places:
   - retrieval: the best cosine score among the sources the answer cites
     ([n]), or among all sources when it cites none;
   - support: the share of the answer's content words (not stop words, not
     citation marks) that occur in the sources' text, titles or headings. An
     answer that says things the chunks do not lowers it.
5. Follow-ups: up to three questions the corpus can answer, "What does
   <title> say about <topic>?". Topics are the headings of the other
   retrieved chunks and of the same documents' other sections, then (only
   when those give fewer than three) key phrases of the chunks (YAKE). All
   candidates are embedded in one batch and one is kept only if it retrieves
   a chunk at or above `min_score` itself. With nothing retrieved they come
   from the tenant's newest documents, so they point at what it does cover.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from importlib import resources

import grpc

from server.platform.documents.chunker import section_path
from server.platform.errors import ChorusError
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ChatTurn, ModelError, ModelRequest, TextDelta
from server.platform.models.types import Usage as ModelUsage
from server.platform.scope import Scope
from server.platform.vectors.semantic import SemanticSearch
from server.surfaces.crispy.documents import DocumentStore, StoredChunk

NOTHING_FOUND = "I couldn't find anything about that in your documents, so I can't answer it from them."
SYSTEM_PROMPT = (
    "You answer questions using ONLY the numbered sources in the user's message. "
    "Cite the sources each statement comes from as [1], [2], ... "
    "If the sources do not contain the answer, say that the documents do not cover it. "
    "Never use outside knowledge."
)
_CITATION = re.compile(r"\[(\d{1,3})\]")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_MAX_FOLLOW_UPS = 3


@dataclass(frozen=True, slots=True)
class Source:
    chunk: StoredChunk
    score: float


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    answer: str
    sources: list[Source]
    confidence: float
    follow_ups: list[str]
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Retrieved:
    """The first event of a search: its sources, before the answer."""

    sources: list[Source]


@dataclass(frozen=True, slots=True)
class AnswerToken:
    text: str


SearchEvent = Retrieved | AnswerToken | SearchOutcome


@functools.cache
def _stop_words() -> frozenset[str]:
    listed = resources.files("yake.core").joinpath("StopwordsList/stopwords_en.txt").read_text(encoding="utf-8")
    return frozenset(word.strip().lower() for word in listed.splitlines() if word.strip())


def content_words(text: str) -> list[str]:
    stop = _stop_words()
    return [w for w in (m.group().lower() for m in _WORD.finditer(_CITATION.sub(" ", text))) if w not in stop]


def cited(answer: str, count: int) -> set[int]:
    """The 1-based source numbers the answer cites (those that exist)."""
    return {n for n in (int(m.group(1)) for m in _CITATION.finditer(answer)) if 1 <= n <= count}


def confidence(answer: str, sources: Sequence[Source]) -> float:
    if not sources:
        return 0.0
    numbers = cited(answer, len(sources))
    considered = [sources[n - 1] for n in sorted(numbers)] or list(sources)
    retrieval = max(0.0, min(1.0, max(s.score for s in considered)))
    words = content_words(answer)
    if not words:
        return 0.0
    known = set()
    for source in sources:
        known.update(content_words(f"{source.chunk.title} {source.chunk.heading} {source.chunk.text}"))
    support = sum(1 for w in words if w in known) / len(words)
    return round(retrieval * support, 2)


def prompt(query: str, sources: Sequence[Source]) -> str:
    numbered = []
    for n, source in enumerate(sources, 1):
        where = section_path(source.chunk.title, source.chunk.heading)
        numbered.append(f"[{n}] ({where})\n{source.chunk.text}")
    return "Sources:\n\n" + "\n\n".join(numbered) + f"\n\nQuestion: {query}"


def _keyword(text: str) -> str:
    import yake

    found = yake.KeywordExtractor(lan="en", n=2, top=1).extract_keywords(text)
    return str(found[0][0]) if found else ""


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def follow_up_candidates(query: str, chunks: Sequence[StoredChunk], limit: int, enough: int) -> list[str]:
    """Up to `limit` questions about the chunks' sections (their headings), then, while there are
    fewer than `enough`, their key phrases (YAKE: it costs a few ms a chunk); a topic sharing a word
    with the query or with a topic already asked about is left out."""
    used = {_stem(w) for w in content_words(query)}
    questions: list[str] = []

    def offer(chunk: StoredChunk, topic: str) -> None:
        words = {_stem(w) for w in content_words(topic)}
        if len(questions) < limit and words and not words & used and topic != chunk.title:
            used.update(words)
            questions.append(f"What does {chunk.title} say about {topic}?")

    for chunk in chunks:
        if chunk.heading:
            offer(chunk, chunk.heading.rsplit(" > ", 1)[-1])
    for chunk in chunks:
        if len(questions) >= enough:
            break
        offer(chunk, _keyword(chunk.text))
    return questions


class GroundedSearch:
    def __init__(
        self,
        documents: DocumentStore,
        semantic: SemanticSearch,
        models: ModelRegistry,
        model: str,
        *,
        min_score: float,
        max_answer_tokens: int,
    ) -> None:
        self._documents = documents
        self._semantic = semantic
        self._models = models
        self._model = model
        self._min_score = min_score
        self._max_answer_tokens = max_answer_tokens

    async def retrieve(self, tenant_id: str, query: str, top_k: int) -> list[Source]:
        hits = await self._semantic.search(Scope(tenant_id), query, top_k, min_score=self._min_score)
        chunks = await self._documents.chunks(tenant_id, [hit.item_id for hit in hits])
        return [Source(chunks[hit.item_id], round(hit.score, 4)) for hit in hits if hit.item_id in chunks]

    async def search(self, tenant_id: str, query: str, top_k: int) -> AsyncIterator[SearchEvent]:
        """Retrieved, then the answer's tokens, then the whole outcome."""
        sources = await self.retrieve(tenant_id, query, top_k)
        yield Retrieved(sources)
        usage = ModelUsage(0, 0)
        if sources:
            parts: list[str] = []
            async for event in self._answer(query, sources):
                if isinstance(event, ModelUsage):
                    usage = event
                else:
                    parts.append(event.text)
                    yield AnswerToken(event.text)
            answer = "".join(parts).strip() or NOTHING_FOUND
            # The other sources, then other sections of the same documents: nearby topics.
            # The best source's own section is what was asked: only its key phrase is offered.
            siblings = await self._documents.chunks_of(tenant_id, list({s.chunk.document_id: 0 for s in sources}), 12)
            retrieved = {(s.chunk.document_id, s.chunk.index) for s in sources}
            base = [s.chunk for s in sources[1:]] + [c for c in siblings if (c.document_id, c.index) not in retrieved]
            base.append(dataclasses.replace(sources[0].chunk, heading=""))
        else:
            answer = NOTHING_FOUND
            yield AnswerToken(answer)
            base = await self._documents.recent_chunks(tenant_id, 6)
        follow_ups = await self._follow_ups(tenant_id, query, base)
        yield SearchOutcome(
            answer,
            sources,
            confidence(answer, sources) if sources else 0.0,
            follow_ups,
            usage.prompt_tokens,
            usage.completion_tokens,
        )

    async def _answer(self, query: str, sources: Sequence[Source]) -> AsyncIterator[TextDelta | ModelUsage]:
        request = ModelRequest(
            model=self._model,
            messages=(ChatTurn("system", SYSTEM_PROMPT), ChatTurn("user", prompt(query, sources))),
            max_tokens=self._max_answer_tokens,
            temperature=0.0,
        )
        try:
            async for event in self._models.stream(request):
                if (isinstance(event, TextDelta) and event.choice == 0) or isinstance(event, ModelUsage):
                    yield event
        except ModelError as exc:
            raise ChorusError(
                grpc.StatusCode.UNAVAILABLE, "MODEL_UNAVAILABLE", f"The answer model failed: {exc.message}"
            ) from exc

    async def _follow_ups(self, tenant_id: str, query: str, chunks: Sequence[StoredChunk]) -> list[str]:
        # One spare heading: a candidate that retrieves nothing is dropped.
        candidates = await asyncio.to_thread(follow_up_candidates, query, chunks, _MAX_FOLLOW_UPS + 1, _MAX_FOLLOW_UPS)
        if not candidates:
            return []
        vectors, _ = await self._semantic.embed(candidates)
        found = await self._semantic.index.search_many(Scope(tenant_id), vectors, 1, min_score=self._min_score)
        return [question for question, hits in zip(candidates, found, strict=True) if hits][:_MAX_FOLLOW_UPS]

    async def answer(self, scope: Scope, query: str, top_k: int) -> dict[str, object]:
        """The whole outcome as `POST /search` answers it (for the `search` tool)."""
        async for event in self.search(scope.tenant_id, query, top_k):
            if isinstance(event, SearchOutcome):
                return {
                    "answer": event.answer,
                    "sources": [
                        {
                            "documentId": s.chunk.document_id,
                            "chunk": s.chunk.text,
                            "score": s.score,
                            "title": s.chunk.title,
                            "chunkIndex": s.chunk.index,
                            "heading": s.chunk.heading,
                        }
                        for s in event.sources
                    ],
                    "confidence": event.confidence,
                    "followUps": event.follow_ups,
                }
        raise AssertionError("a search ends with its outcome")
