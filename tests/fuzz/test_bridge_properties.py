"""Properties of the bridge's header, query and body handling, through the real server.

Whatever the headers (any names and values, control and non-ASCII bytes included), query
string or body (any JSON, or not JSON at all), the server never answers 5xx, and every error
is a JSON body in the envelope of the surface that owns the route (the JSON Schema its
dialect declares). Requests go out over a raw socket, so nothing on the client side tidies
them up first.
"""

from __future__ import annotations

import json
import socket
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from server.app import dialects
from tests.fuzz.conftest import Surface
from tests.support.chorus_process import ChorusProcess
from tests.support.raw_http import RawResponse, connect, parse, read_until_closed

DIALECTS = dialects()  # surface name -> its dialect, from the composition root's surface list

FUZZ = settings(
    max_examples=150,
    derandomize=True,  # the same inputs every run: CI is reproducible
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Route:
    surface: str
    verb: str
    path: str  # with any path variables filled in


# Routes of every surface: public and authenticated ones, with and without bodies and queries.
SESSION = "3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f"
GETS = [
    Route("crispy", "GET", "/health"),
    Route("crispy", "GET", f"/chat/{SESSION}/history"),
    Route("mcos", "GET", "/api/tasks"),
    Route("mcos", "GET", "/api/chat/history"),
    Route("mcos", "GET", "/api/state"),
    Route("chittyos-id", "GET", "/validate/01-P-EO-0001-T-25-C-X"),
    Route("chittyos-sync", "GET", "/api/project"),
    Route("chittyos-sync", "GET", "/api/todos"),
    Route("chittyos-ai", "GET", "/v1/models"),
    Route("chittyos-mcp", "GET", "/health"),
]
POSTS = [
    Route("crispy", "POST", "/chat"),
    Route("mcos", "POST", "/api/tasks"),
    Route("mcos", "PATCH", "/api/state/preferences"),
    Route("mcos", "POST", "/api/tools/rank_flights"),
    Route("chittyos-id", "POST", "/generate"),
    Route("chittyos-auth", "POST", "/api/auth/verify"),
    Route("chittyos-sync", "POST", "/api/project"),
    Route("chittyos-sync", "PUT", "/api/todos/proj-1/sync"),
    Route("chittyos-ai", "POST", "/v1/chat/completions"),
    Route("chittyos-ai", "POST", "/v1/embeddings"),
]


def exchange(base_url: str, request: bytes) -> RawResponse:
    """One request on its own connection; the whole answer (the server closes after it)."""
    note(f"request: {request[:2000]!r}")
    with connect(base_url, timeout=30) as sock:
        sock.sendall(request)
        return parse(read_until_closed(sock))


def build(route: Route, headers: list[tuple[bytes, bytes]], target: str = "", body: bytes | None = None) -> bytes:
    lines = [f"{route.verb} {target or route.path} HTTP/1.1".encode()]
    lines += [k + b": " + v for k, v in headers]
    if body is not None:
        lines.append(b"content-length: " + str(len(body)).encode())
    lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def base_headers(surface: Surface, authenticated: bool) -> list[tuple[bytes, bytes]]:
    given = surface.headers(authenticated)
    given.setdefault("host", "localhost")
    return [(k.encode(), v.encode()) for k, v in given.items()]


def assert_enveloped(answer: RawResponse, *surfaces: str) -> None:
    """Never 5xx; an error is a JSON object in the envelope of (one of) `surfaces`."""
    note(f"answer: {answer.status} {answer.headers.get('content-type')!r} {answer.body[:300]!r}")
    assert answer.status < 500, (answer.status, answer.body[:500])
    if answer.status >= 400:
        assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers
        body: Any = orjson.loads(answer.body)
        schemas = [DIALECTS[s].error_schema for s in surfaces]
        assert any(Draft202012Validator(schema).is_valid(body) for schema in schemas), body


# --- headers ------------------------------------------------------------------------------------

# Names: RFC 9110 tokens, and the headers the bridge and the surfaces read themselves. Framing
# headers (content-length, transfer-encoding) and protocol switches are left out: they change
# what the bytes after the headers mean, not how the bridge reads headers.
_TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
_KNOWN = [
    "host",
    "authorization",
    "x-api-key",
    "x-tenant-id",
    "cf-access-jwt-assertion",
    "x-request-id",
    "x-correlation-id",
    "idempotency-key",
    "content-type",
    "accept",
    "x-forwarded-for",
    "forwarded",
    "x-forwarded-host",
    "te",
    "grpc-timeout",
    "grpc-encoding",
    "x-foo-bin",
    "user-agent",
]
_FRAMING = {b"content-length", b"transfer-encoding", b"connection", b"upgrade", b"expect", b"http2-settings"}
header_names = st.one_of(st.sampled_from(_KNOWN), st.text(_TOKEN, min_size=1, max_size=24)).map(str.encode)
# Values as HTTP allows them: visible ASCII, obs-text (bytes 0x80-0xFF, e.g. UTF-8), spaces, tabs.
_FIELD_BYTES = [b for b in range(0x20, 0x100) if b != 0x7F] + [0x09]
header_values = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32).map(lambda t: t.encode()),  # any Unicode as UTF-8
    st.sampled_from(
        [
            b"Bearer ",
            b"Bearer x.y.z",
            b"",
            b"application/json; charset=latin-1",
            b"1.2.3.4, 5.6.7.8",
            b"a\tb",
            b"caf\xc3\xa9",
            b"\xff\xfe",
            b"id.chitty.cc",
            b"ai.chitty.cc:443",
        ]
    ),
    st.integers(4_000, 20_000).map(lambda n: b"v" * n),  # large, up to past the 16 KiB header limit
).map(lambda v: bytes(x for x in v if x in _FIELD_BYTES).strip(b" \t"))
headers_lists = st.lists(
    st.tuples(header_names, header_values).filter(lambda kv: kv[0].lower() not in _FRAMING), max_size=8
)


@FUZZ
@given(route=st.sampled_from(GETS + POSTS), authenticated=st.booleans(), extra=headers_lists, data=st.data())
def test_any_headers_get_an_enveloped_answer(
    fuzz_server: ChorusProcess,
    surfaces: dict[str, Surface],
    route: Route,
    authenticated: bool,
    extra: list[tuple[bytes, bytes]],
    data: st.DataObject,
) -> None:
    surface = surfaces[route.surface]
    headers = base_headers(surface, authenticated)
    # Extra headers replace or add to the route's own; a second Host header is a case of its own.
    names = {k.lower() for k, _ in extra}
    headers = [(k, v) for k, v in headers if k not in names or (k == b"host" and data.draw(st.booleans()))] + extra
    if b"host" not in {k.lower() for k, _ in headers}:
        headers.append((b"host", surface.host.encode() or b"localhost"))
    host = next(v for k, v in reversed(headers) if k.lower() == b"host")
    answer = exchange(fuzz_server.rest_url, build(route, headers, body=b"{}" if route.verb != "GET" else None))
    if host == (surface.host.encode() or b"localhost"):
        assert_enveloped(answer, route.surface)
    else:  # another Host may route the request to another surface: its envelope, whichever it is
        assert_enveloped(answer, *DIALECTS)


@settings(FUZZ, max_examples=40)
@given(
    route=st.sampled_from(GETS),
    name=st.binary(min_size=1, max_size=8),
    value=st.binary(max_size=16),
)
def test_headers_outside_http_syntax_never_get_a_5xx(
    fuzz_server: ChorusProcess, surfaces: dict[str, Surface], route: Route, name: bytes, value: bytes
) -> None:
    """Control bytes, CR/LF pieces and separators in names or values: not HTTP, so the HTTP
    parser may refuse them (400) before any surface sees them, but never with a 5xx."""
    headers = [*base_headers(surfaces[route.surface], True), (name, value)]
    if name.lower() in _FRAMING:
        reject()
    answer = exchange(fuzz_server.rest_url, build(route, headers))
    assert answer.status < 500, (answer.status, answer.body[:500])


# --- query strings --------------------------------------------------------------------------------

# Keys made of digits: Unicode ones ("³", "①") and long ASCII ones, which error paths must carry.
digit_keys = st.one_of(
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=3),
    st.from_regex(r"[0-9]{18,24}", fullmatch=True),
)
_QUERY_NAMES = ["limit", "before", "after", "status", "tags", "due_before", "dueBefore", "since", "cursor", "page"]
query_pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(_QUERY_NAMES), st.text(max_size=12), digit_keys), st.text(max_size=24)),
    max_size=6,
)
# Raw query text, percent signs and separators included (malformed escapes such as %zz or %FF).
raw_queries = st.text(string.ascii_letters + string.digits + "%=&;+.-_[]~", max_size=40)


@FUZZ
@given(route=st.sampled_from(GETS), pairs=query_pairs, raw=raw_queries, use_raw=st.booleans())
def test_any_query_string_gets_an_enveloped_answer(
    fuzz_server: ChorusProcess,
    surfaces: dict[str, Surface],
    route: Route,
    pairs: list[tuple[str, str]],
    raw: str,
    use_raw: bool,
) -> None:
    query = raw if use_raw else "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    surface = surfaces[route.surface]
    answer = exchange(fuzz_server.rest_url, build(route, base_headers(surface, True), f"{route.path}?{query}"))
    assert_enveloped(answer, route.surface)


# --- bodies ---------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Keys the routes know, so bodies also reach deeper than the first unknown key.
_BODY_KEYS = ["message", "sessionId", "stream", "title", "messages", "model", "input", "name", "id", "token", "todos"]
json_bodies = st.dictionaries(
    st.one_of(st.sampled_from(_BODY_KEYS), st.text(max_size=10), digit_keys), json_values, max_size=5
)


def _nested(depth: int, leaf: Any) -> Any:
    for level in range(depth):
        leaf = [leaf] if level % 2 else {"k": leaf}
    return leaf


# Free-form JSON fields (Struct / Value: `input`, `stop`, `metadata`, `parameters`) nested deep.
deep_bodies = st.builds(
    lambda key, depth, leaf: {key: _nested(depth, leaf)},
    st.sampled_from(["input", "stop", "metadata", "tools", "message"]),
    st.integers(1, 64),
    st.sampled_from([1, "x", None, []]),
)


def _dumps(value: Any) -> bytes:
    # The standard library's encoder: it writes integers of any size (and infinities, as
    # non-JSON `Infinity`), as clients may.
    return json.dumps(value).encode()


content_types = st.sampled_from(
    [b"application/json", b"application/json; charset=utf-8", b"text/plain", b"", b"application/x-www-form-urlencoded"]
)


@FUZZ
@given(
    route=st.sampled_from(POSTS),
    body=st.one_of(json_bodies.map(_dumps), json_values.map(_dumps), deep_bodies.map(_dumps), st.binary(max_size=64)),
    content_type=content_types,
)
def test_any_body_gets_an_enveloped_answer(
    fuzz_server: ChorusProcess, surfaces: dict[str, Surface], route: Route, body: bytes, content_type: bytes
) -> None:
    headers = base_headers(surfaces[route.surface], True)
    if content_type:
        headers.append((b"content-type", content_type))
    answer = exchange(fuzz_server.rest_url, build(route, headers, body=body))
    assert_enveloped(answer, route.surface)


@pytest.mark.parametrize("route", POSTS, ids=lambda r: f"{r.surface}:{r.verb}:{r.path}")
def test_a_body_cut_short_gets_an_enveloped_answer(
    fuzz_server: ChorusProcess, surfaces: dict[str, Surface], route: Route
) -> None:
    """A declared length longer than what arrives: the client gave up, the server must not hang
    or fail; when it answers at all, it answers in the envelope."""
    headers = [*base_headers(surfaces[route.surface], True), (b"content-type", b"application/json")]
    request = build(route, headers, body=b'{"a": 1}').replace(b"content-length: 8", b"content-length: 9")
    with connect(fuzz_server.rest_url, timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        raw = read_until_closed(sock)
    if raw:
        status = int(raw.split(b" ", 2)[1])
        assert status < 500, raw[:500]
