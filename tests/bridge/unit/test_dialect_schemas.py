"""Every error body a dialect can write conforms to the JSON Schema it declares (and documents).

The OpenAPI documents take each surface's error schema from its dialect, so these schemas are
what clients validate against: any ErrorView (any gRPC code, reason, message, metadata, field
violation or retry delay) must render into a body the schema accepts, as an HTTP error and as
an SSE error event.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from rest_bridge.dialects import Dialect
from rest_bridge.errors import ErrorView
from server.app import dialects

# Each dialect once (the ChittyOS surfaces share one), and the default.
_DIALECTS = {type(d).__name__: d for d in (*dialects().values(), Dialect())}

_text = st.text(max_size=40)
# Field paths as servicers and the JSON codec write them: dotted keys and indexes.
_path = st.lists(st.one_of(st.from_regex(r"[a-z_][a-zA-Z0-9_]{0,8}", fullmatch=True), st.integers(0, 99)), max_size=4)
_reasons = st.one_of(
    st.sampled_from(
        [
            "VALIDATION_ERROR",
            "NOT_FOUND",
            "UNAUTHENTICATED",
            "UNAUTHORIZED",
            "INVALID_TOKEN",
            "RATE_LIMITED",
            "RATE_LIMIT_EXCEEDED",
            "METHOD_NOT_ALLOWED",
            "UPSTREAM_UNAVAILABLE",
            "MODEL_NOT_FOUND",
            "TOOL_ERROR",
            "LLM_ERROR",
            "INTERNAL",
            "",
        ]
    ),
    st.from_regex(r"[A-Z_]{1,20}", fullmatch=True),
)
# ErrorInfo metadata keys; the envelopes' own top-level keys are the dialects' to write.
_info_keys = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda k: k not in {"valid", "error", "issues", "retry_after_seconds"}
)


@st.composite
def error_views(draw: st.DrawFn) -> ErrorView:
    return ErrorView(
        code=draw(st.sampled_from([c for c in grpc.StatusCode if c is not grpc.StatusCode.OK])),
        reason=draw(_reasons),
        message=draw(_text),
        request_id=draw(_text),
        violations=draw(st.lists(st.tuples(_path.map(lambda p: ".".join(map(str, p))), _text), max_size=3)),
        retry_after=draw(st.one_of(st.none(), st.floats(0, 86_400))),
        info=draw(st.dictionaries(_info_keys, _text, max_size=3)),
        http_status=draw(st.sampled_from([0, 0, 0, 405, 413, 431, 501])),
        domain=draw(_text),
    )


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("name", sorted(_DIALECTS))
@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(view=error_views())
def test_error_bodies_conform_to_the_declared_schema(name: str, view: ErrorView) -> None:
    dialect = _DIALECTS[name]
    errors = sorted(_validator(dialect.error_schema).iter_errors(dialect.error_body(view)), key=str)
    assert not errors, errors[0].message
    errors = sorted(_validator(dialect.stream_error_schema).iter_errors(dialect.stream_error_data(view)), key=str)
    assert not errors, errors[0].message


@pytest.mark.parametrize("name", sorted(_DIALECTS))
def test_the_bridges_own_errors_conform(name: str) -> None:
    dialect = _DIALECTS[name]
    validator = _validator(dialect.error_schema)
    own = [
        dialect.not_found(),
        dialect.method_not_allowed(["GET", "POST"]),
        dialect.payload_too_large(1024),
        dialect.bad_request([("messages.0.content", "Expected string, received number"), ("", "Malformed JSON")]),
        dialect.internal(),
    ]
    for view in own:
        view.request_id = "rid"
        validator.validate(dialect.error_body(view))
