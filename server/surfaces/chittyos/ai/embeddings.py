"""OpenAI-style embeddings over the embedding registry (surface-agnostic).

Rules: `input` is a non-empty string or an array of 1 to 2048 non-empty
strings (token-id arrays are rejected: the builtin embedding reads text);
`encoding_format` is "float" (the default) or "base64" (each vector as the
base64 of its little-endian float32 values, as OpenAI sends it); vectors
come back packed, as little-endian float64 or float32 bytes, so no layer
handles them number by number;
`dimensions` is at least 1 and at most the model's size when that is known.
"""

from __future__ import annotations

import array
import sys
from dataclasses import dataclass
from typing import Any

from server.platform.embeddings.registry import EmbeddingRegistry
from server.platform.embeddings.types import EmbeddingRequest
from server.platform.models.types import ModelError
from server.surfaces.chittyos.ai.chat_input import json_kind
from server.surfaces.chittyos.ai.errors import bad_param, model_failure

MAX_INPUTS = 2048
ENCODINGS = ("float", "base64")


@dataclass(frozen=True, slots=True)
class EmbeddingBatch:
    model: str  # the public id
    encoding: str  # "float": vectors are little-endian float64; "base64": float32
    vectors: list[bytes]
    prompt_tokens: int


class EmbeddingService:
    def __init__(self, registry: EmbeddingRegistry, default_model: str) -> None:
        self._registry = registry
        self.default_model = default_model

    async def embed(self, model: str, given: Any, encoding_format: str, dimensions: int | None) -> EmbeddingBatch:
        """`given` is the request's `input` as parsed JSON (None when absent)."""
        model = model or self.default_model
        encoding = encoding_format or "float"
        if encoding not in ENCODINGS:
            raise bad_param(
                "encoding_format",
                f"Invalid value for 'encoding_format': '{encoding}' is not one of 'float', 'base64'.",
            )
        texts = _texts(given)
        try:
            route = self._registry.route(model)
        except ModelError as exc:
            raise model_failure(exc, model) from exc
        if dimensions is not None and (dimensions < 1 or (route.dimensions and dimensions > route.dimensions)):
            limit = f"1 to {route.dimensions}" if route.dimensions else "at least 1"
            raise bad_param("dimensions", f"Invalid 'dimensions': this model returns {limit} dimensions.")
        try:
            result = await self._registry.embed(model, EmbeddingRequest(model, texts, dimensions))
        except ModelError as exc:
            raise model_failure(exc, model) from exc
        kind = "f" if encoding == "base64" else "d"
        return EmbeddingBatch(model, encoding, [pack(v, kind) for v in result.vectors], result.prompt_tokens)


def pack(vector: list[float], kind: str) -> bytes:
    """The little-endian values: `kind` "f" float32 (OpenAI's base64 form), "d" float64."""
    values = array.array(kind, vector)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        raise bad_param("input", "Missing required parameter: 'input'.", "missing_required_parameter")
    if isinstance(value, str):
        if not value:
            raise bad_param("input", "Invalid 'input': the text to embed cannot be an empty string.")
        return (value,)
    if not isinstance(value, list):
        raise bad_param(
            "input",
            f"Invalid type for 'input': expected a string or an array of strings, but got {json_kind(value)}.",
            "invalid_type",
        )
    if not 1 <= len(value) <= MAX_INPUTS:
        raise bad_param("input", f"Invalid 'input': give 1 to {MAX_INPUTS} texts.")
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if isinstance(item, (int, float, list)) and not isinstance(item, bool):
            raise bad_param(where, f"Invalid '{where}': token-id input is not supported; send the text instead.")
        if not isinstance(item, str):
            raise bad_param(
                where, f"Invalid type for '{where}': expected a string, but got {json_kind(item)}.", "invalid_type"
            )
        if not item:
            raise bad_param(where, f"Invalid '{where}': the text to embed cannot be an empty string.")
    return tuple(value)
