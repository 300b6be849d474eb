"""The surface-agnostic embedding interface: requests, results and providers.

Failures are `ModelError`s (the model providers' typed error), so callers map
chat and embedding failures the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    model: str  # the upstream model id (the registry resolves public ids)
    texts: tuple[str, ...]  # at least one
    dimensions: int | None = None  # None: the model's own size


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    vectors: list[list[float]]  # one per text, in order
    prompt_tokens: int


class EmbeddingProvider(Protocol):
    name: str

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        """One vector per text; raises ModelError on failure."""
        ...

    async def aclose(self) -> None: ...
