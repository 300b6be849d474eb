"""Route HTTP requests to targets by method and http.proto path template.

`path` is the raw request path: still percent-encoded, without the query string (for ASGI,
`scope["raw_path"]` decoded as UTF-8). Decoding follows `rest_bridge.path_template`.

Precedence (independent of registration order), decided per HTTP method:

1. Templates are compared segment by segment, left to right. At the first position where
   they differ, a literal beats `*` (or `{var}`), and `*` beats `**`. So `/memory/stats`
   beats `/memory/{id}`, `/agents/types` beats `/agents/{agentId}`, and
   `/v1/{name=projects/*/locations/**}` beats `/v1/{name=projects/**}`. When two templates
   share a prefix this also means "more literal segments wins"; otherwise the earlier
   literal wins (`/a/{x}/{y}` beats `/{p}/b/c` for `/a/b/c`), as in httprouter-style tries.
2. A template that ends exactly where the path ends beats a `**` matching zero segments.
3. Two templates with the same shape (variable names aside) for the same method are a
   duplicate: `add` raises ValueError.

Custom verbs (`:cancel`): grpc-gateway strips a `:verb` suffix only for patterns that declare
that verb, and lets verb-less patterns see the whole segment (so `/files/{name}` captures
`a:b`). We keep that, but make the verb route win without depending on registration order:
if the last segment ends in `:V` for a registered verb V and *any* route with verb V (any
method) matches the rest, the path is that custom method. Only verb-V routes are then
considered: a method mismatch is 405 listing them, and `/v1/things/{id}` (GET) never
swallows `/v1/things/abc:cancel` when `POST /v1/things/{id}:cancel` exists. Otherwise the
`:` is ordinary data. The suffix is checked on the raw path, so `%3A` is never a verb.

HEAD: a HEAD request matches a HEAD route first, then falls back to the GET route (the caller
drops the body), and `Allow` lists HEAD whenever GET is allowed, like Starlette and as
RFC 9110 section 9.3.2 expects; grpc-gateway has no HEAD support. OPTIONS is not special.

Strictness: a trailing slash is an empty segment and empty segments match nothing, so
`/chat/` does not match `/chat` (nor `/chat/{id}`). A malformed `%` escape anywhere in the
path raises `MalformedPath`, a `NotFound` subclass, so callers can answer 400 or 404.

Matching walks a segment trie (dict lookups per segment, backtracking only on literal/
wildcard ambiguity) instead of trying every route's regex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from rest_bridge.path_template import (
    InvalidPercentEncoding,
    PathTemplate,
    SegmentKind,
    bind_variables,
    parse_template,
    unescape,
)

__all__ = ["MalformedPath", "Match", "MethodNotAllowed", "NotFound", "Router"]

_METHOD = re.compile(r"[A-Z][A-Z0-9_-]*\Z")


class Match(NamedTuple):
    target: Any
    variables: dict[str, str]  # field path -> decoded value


class NotFound(Exception):
    """No route matches the path, whatever the method."""

    def __init__(self, path: str, reason: str = "no route matches") -> None:
        super().__init__(f"{reason}: {path!r}")
        self.path = path


class MalformedPath(NotFound):
    """The path has a malformed percent-escape; no route can match it (HTTP 400 or 404)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)


class MethodNotAllowed(Exception):
    """The path matches routes, but none for this method; `allowed` feeds the Allow header."""

    def __init__(self, method: str, path: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"{method} not allowed for {path!r}; allowed: {', '.join(allowed)}")
        self.method = method
        self.path = path
        self.allowed = allowed


@dataclass(frozen=True, slots=True)
class _Route:
    template: PathTemplate
    target: Any


_Methods = dict[str, _Route]  # HTTP method -> route
_NO_ROUTES: _Methods = {}


class _Node:
    """One trie position. Route maps are keyed by custom verb ("" for none)."""

    __slots__ = ("deep", "ends", "literals", "star")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}  # decoded literal -> child
        self.star: _Node | None = None  # `*` child
        self.ends: dict[str, _Methods] = {}  # templates ending here
        self.deep: dict[str, _Methods] = {}  # templates whose final `**` starts here


def _find(node: _Node, segs: list[str], i: int, verb: str, method: str) -> _Route | None:
    """Best route for `method`: literal child, then `*` child, then `**` (see precedence).

    Descends in a loop while there is a single way forward and recurses only where a later
    alternative must be kept for backtracking (Python calls dominate the cost here).
    """
    while i < len(segs):
        seg = segs[i]
        if not seg:  # empty segments match nothing: strict trailing slash
            return None
        child = node.literals.get(seg)
        star = node.star
        if child is not None:
            if star is None and not node.deep:
                node, i = child, i + 1
                continue
            if (route := _find(child, segs, i + 1, verb, method)) is not None:
                return route
        if star is not None:
            if not node.deep:
                node, i = star, i + 1
                continue
            if (route := _find(star, segs, i + 1, verb, method)) is not None:
                return route
        deep = node.deep.get(verb)
        if deep is not None and method in deep and all(segs[i:]):
            return deep[method]
        return None
    route = node.ends.get(verb, _NO_ROUTES).get(method)
    return route if route is not None else node.deep.get(verb, _NO_ROUTES).get(method)


def _collect(node: _Node, segs: list[str], i: int, verb: str, out: set[str]) -> None:
    """Add every method whose route matches the path (for 405 and Allow)."""
    if i == len(segs):
        out.update(node.ends.get(verb, _NO_ROUTES))
        out.update(node.deep.get(verb, _NO_ROUTES))
        return
    seg = segs[i]
    if not seg:
        return
    child = node.literals.get(seg)
    if child is not None:
        _collect(child, segs, i + 1, verb, out)
    if node.star is not None:
        _collect(node.star, segs, i + 1, verb, out)
    deep = node.deep.get(verb)
    if deep and all(segs[i:]):
        out.update(deep)


class Router:
    """Method + path-template router; build with `add` at startup, then `match` per request."""

    def __init__(self) -> None:
        self._root = _Node()
        # Fully literal templates by raw path: one dict lookup for the commonest routes.
        self._static: dict[str, _Methods] = {}
        self._methods: set[str] = set()
        self._verbs: set[str] = set()  # registered custom verbs

    def add(self, verb: str, template: str, target: Any) -> None:
        """Register `target` for HTTP method `verb` (e.g. "GET") and a path template.

        Raises TemplateError for a bad template and ValueError for a bad method or a
        duplicate (same method and same template shape, variable names aside).
        """
        if not _METHOD.match(verb):
            raise ValueError(f"HTTP method must be an upper-case token like 'GET', got {verb!r}")
        parsed = parse_template(template)
        routes = self._leaf(parsed).setdefault(parsed.verb, {})
        if verb in routes:
            existing = routes[verb].template.source
            raise ValueError(f"duplicate route {verb} {template!r}: same shape as {existing!r}")
        route = routes[verb] = _Route(parsed, target)
        if _is_static(parsed):
            self._static.setdefault(template, {})[verb] = route
        self._methods.add(verb)
        if parsed.verb:
            self._verbs.add(parsed.verb)

    def _leaf(self, template: PathTemplate) -> dict[str, _Methods]:
        """Walk/create trie nodes for the template; return its verb -> routes map."""
        node = self._root
        for segment in template.segments:
            if segment.kind is SegmentKind.DOUBLE_STAR:
                return node.deep  # `**` is always last (the parser enforces it)
            if segment.kind is SegmentKind.STAR:
                node.star = node.star or _Node()
                node = node.star
            else:
                node = node.literals.setdefault(segment.literal, _Node())
        return node.ends

    def match(self, verb: str, path: str) -> Match:
        """Return the target and variables for HTTP method `verb` and a raw path.

        Raises NotFound (MalformedPath for bad escapes) or MethodNotAllowed.
        """
        static = self._static.get(path)
        if static is not None and verb in static:
            # Safe shortcut: an all-literal template is the best route for its method (rule 1),
            # and its key has a ':' in the last segment only if it is itself a verb route.
            return Match(static[verb].target, {})
        for custom, raw, decoded in self._readings(path):
            route = self._lookup(verb, custom, decoded)
            if route is not None:
                return Match(route.target, bind_variables(route.template.variables, raw, decoded))
            allowed = self._allowed(custom, decoded)
            if allowed:
                raise MethodNotAllowed(verb, path, allowed)
        raise NotFound(path)

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """Sorted methods that would match `path` (with HEAD if GET); () if none."""
        try:
            readings = self._readings(path)
        except NotFound:
            return ()
        for custom, _, decoded in readings:
            allowed = self._allowed(custom, decoded)
            if allowed:
                return allowed
        return ()

    def _lookup(self, method: str, custom: str, decoded: list[str]) -> _Route | None:
        route = None
        if method in self._methods:
            route = _find(self._root, decoded, 0, custom, method)
        if route is None and method == "HEAD" and "GET" in self._methods:
            route = _find(self._root, decoded, 0, custom, "GET")
        return route

    def _allowed(self, custom: str, decoded: list[str]) -> tuple[str, ...]:
        methods: set[str] = set()
        _collect(self._root, decoded, 0, custom, methods)
        if "GET" in methods:
            methods.add("HEAD")
        return tuple(sorted(methods))

    def _readings(self, path: str) -> list[tuple[str, list[str], list[str]]]:
        """Ways to read the path, in order: (custom verb or "", raw segments, decoded segments).

        Verbs never contain ':' (the parser splits at the last one), so the only possible
        custom verb is the text after the last ':' of the last segment.
        """
        raw, decoded = _split(path)
        head, colon, custom = raw[-1].rpartition(":")
        if not (colon and head and custom in self._verbs):  # the hot path
            return [("", raw, decoded)]
        # The verb has no '%', so decoding commutes with cutting ":verb" off.
        cut = len(custom) + 1
        stripped_raw = [*raw[:-1], head]
        stripped = stripped_raw if raw is decoded else [*decoded[:-1], decoded[-1][:-cut]]
        return [(custom, stripped_raw, stripped), ("", raw, decoded)]


def _split(path: str) -> tuple[list[str], list[str]]:
    """Raw and decoded segments; the same list object when nothing needs decoding."""
    if not path.startswith("/"):
        raise NotFound(path, "path must start with '/'")
    raw = path[1:].split("/")
    if "%" not in path:
        return raw, raw
    try:
        return raw, [unescape(s) for s in raw]
    except InvalidPercentEncoding as exc:
        raise MalformedPath(path, str(exc)) from exc


def _is_static(template: PathTemplate) -> bool:
    """No variables (`{kind=users}` is all-literal but binds one) and no escapes in the
    literals, so the raw path is exactly the template text."""
    if template.variables:
        return False
    return all(s.kind is SegmentKind.LITERAL and "%" not in s.raw for s in template.segments)
