"""Errors of the OpenAI-style AI services (completions, embeddings).

OpenAI clients read an error's `param` (e.g. "messages[0].content") and
`code` (e.g. "model_not_found"), so these errors carry both in their
ErrorInfo metadata; the same problem also goes out as a BadRequest field
violation in Chorus's dotted form ("messages.0.content") for gRPC callers.
"""

from __future__ import annotations

import re

import grpc

from server.platform.errors import ChorusError, FieldViolation
from server.platform.models.types import ModelError

_INDEX = re.compile(r"\[(\d+)\]")


def dotted(param: str) -> str:
    """ "messages[0].content" -> "messages.0.content"."""
    return _INDEX.sub(r".\1", param)


def bad_param(param: str, message: str, code: str = "invalid_value") -> ChorusError:
    """400: `param` (OpenAI form) is missing, of the wrong type or out of range."""
    return ChorusError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "VALIDATION_ERROR",
        message,
        violations=(FieldViolation(dotted(param), message),),
        info={"param": param, "code": code},
    )


def model_not_found(model: str) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.NOT_FOUND,
        "MODEL_NOT_FOUND",
        f"The model '{model}' does not exist; GET /v1/models lists the models this gateway serves.",
        info={"param": "model", "code": "model_not_found"},
    )


# ModelError kinds -> (gRPC code, ErrorInfo reason, OpenAI code). The
# surface's dialect picks the HTTP status by reason (502 for the upstream ones).
_FAILURES: dict[str, tuple[grpc.StatusCode, str, str]] = {
    "unavailable": (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE", "upstream_unavailable"),
    "timeout": (grpc.StatusCode.DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT", "upstream_timeout"),
    "bad_response": (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_BAD_RESPONSE", "upstream_bad_response"),
    "rejected": (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_REJECTED", "upstream_rejected"),
}


def model_failure(error: ModelError, model: str) -> ChorusError:
    """A provider's failure, reported under the public model id the client named."""
    if error.kind == "unknown_model":
        return model_not_found(model)
    code, reason, openai_code = _FAILURES[error.kind]
    return ChorusError(code, reason, f"Model '{model}' failed: {error.message}", info={"code": openai_code})
