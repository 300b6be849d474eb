"""HTTP path templates from `google/api/http.proto`: parsing, matching and expansion.

Grammar (http.proto, "Path template syntax")::

    Template  = "/" Segments [ Verb ] ;
    Segments  = Segment { "/" Segment } ;
    Segment   = "*" | "**" | LITERAL | Variable ;
    Variable  = "{" FieldPath [ "=" Segments ] "}" ;
    FieldPath = IDENT { "." IDENT } ;
    Verb      = ":" LITERAL ;

* `{var}` is `{var=*}`. `*` matches one path segment, `**` zero or more and must be
  the last segment (only the verb may follow). Bare `*`/`**` match but capture nothing.
* LITERAL is RFC 3986 `pchar`s; it may be percent-encoded and is compared decoded.
* The verb is the text after the last `:` of the final segment, outside any `{}`.
  Verbs are compared verbatim (never decoded), so `%` is not allowed in them.

Percent-decoding of a matched path (the server side of http.proto's expansion rules):

* Path segments are split on a literal `/` *before* decoding, so `%2F` never splits.
* Literal segments and single-segment variables (`{v}`, `{v=*}`, `{v=lit}`) are
  fully decoded: `%2F` becomes `/`, `%C3%A9` becomes `é`.
* Multi-segment variables (`{v=**}`, `{v=a/*}`) decode everything except RFC 6570
  reserved characters (`:/?#[]@!$&'()*+,;=`), which stay percent-encoded exactly as
  sent. This is grpc-gateway's default `UnescapingModeAllExceptReserved`.
* A malformed escape (`%G0`, a lone `%`, or bytes that are not UTF-8) makes
  `unescape` raise `InvalidPercentEncoding`; `PathTemplate.match` then returns None
  and the router raises `MalformedPath` (a `NotFound`, so callers may send 400 or 404).
* Empty path segments (`//`, a trailing `/`) match nothing, not even `*` or `**`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote

__all__ = [
    "RESERVED",
    "InvalidPercentEncoding",
    "PathTemplate",
    "Segment",
    "SegmentKind",
    "TemplateError",
    "Variable",
    "bind_variables",
    "parse_template",
    "unescape",
]

# RFC 6570 reserved set: gen-delims + sub-delims.
RESERVED = frozenset(":/?#[]@!$&'()*+,;=")
_RESERVED_BYTES = frozenset(ord(c) for c in RESERVED)

_HEXDIGITS = "0123456789abcdefABCDEF"
# Exact two-character lookup: stricter than int(x, 16), which accepts "+1" or " 1".
_HEX_PAIRS = {a + b: int(a + b, 16) for a in _HEXDIGITS for b in _HEXDIGITS}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# RFC 3986 pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
_PCHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+\Z")
_VERB = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=@]+\Z")  # pchars minus ':' and escapes


class TemplateError(ValueError):
    """A path template does not follow the http.proto grammar (raised at startup)."""

    def __init__(self, template: str, reason: str) -> None:
        super().__init__(f"invalid path template {template!r}: {reason}")
        self.template = template
        self.reason = reason


class InvalidPercentEncoding(ValueError):
    """A path segment holds a malformed `%XX` escape or does not decode to UTF-8."""


class SegmentKind(Enum):
    LITERAL = "literal"
    STAR = "*"
    DOUBLE_STAR = "**"


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    literal: str = ""  # decoded text, compared with decoded path segments
    raw: str = ""  # the text as written in the template, used by `expand`


@dataclass(frozen=True, slots=True)
class Variable:
    field_path: str  # e.g. "name" or "sub.subfield"
    start: int  # index of its first segment
    stop: int | None  # exclusive end; None when it ends in `**` (runs to the path's end)
    multi: bool  # True: keep reserved characters escaped (see module docstring)


@dataclass(frozen=True, slots=True)
class PathTemplate:
    source: str
    segments: tuple[Segment, ...]
    variables: tuple[Variable, ...]
    verb: str  # "" when the template has no `:verb`

    @classmethod
    def parse(cls, template: str) -> PathTemplate:
        return parse_template(template)

    def match(self, path: str) -> dict[str, str] | None:
        """Match a raw (still percent-encoded) path; return field path -> value, or None.

        This is the single-template semantics, as in grpc-gateway's `Pattern`: a template
        without a verb matches a final segment containing `:` as plain data. The router
        adds the cross-route custom-verb rule on top.
        """
        if not path.startswith("/"):
            return None
        raw = path[1:].split("/")
        if self.verb:
            suffix = ":" + self.verb
            if not raw[-1].endswith(suffix):
                return None
            raw[-1] = raw[-1][: -len(suffix)]
        try:
            decoded = [unescape(s) for s in raw]
        except InvalidPercentEncoding:
            return None
        if not self._segments_match(decoded):
            return None
        return bind_variables(self.variables, raw, decoded)

    def _segments_match(self, decoded: Sequence[str]) -> bool:
        segments = self.segments
        if segments[-1].kind is SegmentKind.DOUBLE_STAR:
            fixed = segments[:-1]
            if len(decoded) < len(fixed) or not all(decoded[len(fixed) :]):
                return False
        else:
            fixed = segments
            if len(decoded) != len(fixed):
                return False
        for segment, value in zip(fixed, decoded, strict=False):
            if not value:
                return False
            if segment.kind is SegmentKind.LITERAL and value != segment.literal:
                return False
        return True

    def expand(self, values: Mapping[str, str]) -> str:
        """Build a path from variable values, encoding them as http.proto's client side does.

        Single-segment values escape everything but `[-_.~0-9a-zA-Z]`; multi-segment values
        also keep `/`. Values are not checked against the variable's sub-pattern.
        """
        if self._has_bare_wildcard():
            raise ValueError(f"cannot expand {self.source!r}: it has a bare '*' or '**'")
        parts = [s.raw for s in self.segments]
        for var in reversed(self.variables):  # reversed: replacing a slice shifts later indices
            if var.field_path not in values:
                raise ValueError(f"no value for path variable {var.field_path!r}")
            encoded = quote(values[var.field_path], safe="/" if var.multi else "")
            stop = len(parts) if var.stop is None else var.stop
            parts[var.start : stop] = [encoded]
        path = "/" + "/".join(parts)
        return f"{path}:{self.verb}" if self.verb else path

    def _has_bare_wildcard(self) -> bool:
        covered: set[int] = set()
        for var in self.variables:
            covered.update(range(var.start, len(self.segments) if var.stop is None else var.stop))
        return any(
            s.kind is not SegmentKind.LITERAL and i not in covered
            for i, s in enumerate(self.segments)
        )

    def __str__(self) -> str:
        return self.source


def unescape(raw: str, *, keep_reserved: bool = False) -> str:
    """Percent-decode one path segment; with keep_reserved, reserved escapes stay as sent."""
    if "%" not in raw:
        return raw
    head, *chunks = raw.split("%")
    out = bytearray(head.encode())
    for chunk in chunks:
        pair = chunk[:2]
        byte = _HEX_PAIRS.get(pair)
        if byte is None:
            raise InvalidPercentEncoding(f"malformed percent-encoding in {raw!r}")
        if keep_reserved and byte in _RESERVED_BYTES:
            out += b"%" + pair.encode()
        else:
            out.append(byte)
        out += chunk[2:].encode()
    try:
        return out.decode()
    except UnicodeDecodeError as exc:
        raise InvalidPercentEncoding(f"percent-encoding in {raw!r} is not UTF-8") from exc


def bind_variables(
    variables: Sequence[Variable], raw: Sequence[str], decoded: Sequence[str]
) -> dict[str, str]:
    """Captured values for an already-matched path (raw and decoded segments, verb removed).

    Pass the same list as raw and decoded when the path has no '%' (nothing to decode).
    """
    bound: dict[str, str] = {}
    for var in variables:
        if var.multi:
            parts = raw[var.start : var.stop]  # stop None: to the end
            if raw is not decoded:
                parts = [unescape(s, keep_reserved=True) for s in parts]
            bound[var.field_path] = "/".join(parts)
        else:
            bound[var.field_path] = decoded[var.start]
    return bound


def parse_template(template: str) -> PathTemplate:
    """Parse and validate a path template; raise TemplateError with the reason."""
    return _Parser(template).parse()


class _Parser:
    """Recursive descent over the grammar above; one instance per template."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.text = ""  # the part being parsed: between the leading "/" and the verb
        self.pos = 0
        self.segments: list[Segment] = []
        self.variables: list[Variable] = []

    def error(self, reason: str) -> TemplateError:
        return TemplateError(self.template, reason)

    def parse(self) -> PathTemplate:
        if not self.template.startswith("/"):
            raise self.error("must start with '/'")
        self.text, verb = self._split_verb(self.template[1:])
        self._segments(inside_variable=False)
        if self.pos != len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} at offset {self.pos + 1}")
        self._check_double_star_last()
        self._check_field_paths()
        return PathTemplate(self.template, tuple(self.segments), tuple(self.variables), verb)

    def _split_verb(self, body: str) -> tuple[str, str]:
        """Split off `:verb`: the last ':' outside braces with no '/' or '}' after it."""
        depth, colon = 0, -1
        for i, char in enumerate(body):
            if char == "{":
                depth += 1
                if depth > 1:
                    raise self.error(f"nested variable at offset {i + 1}")
            elif char == "}":
                depth -= 1
                if depth < 0:
                    raise self.error(f"unbalanced '}}' at offset {i + 1}")
                colon = -1
            elif char == "/" and depth == 0:
                colon = -1
            elif char == ":" and depth == 0:
                colon = i
        if depth:
            raise self.error("unbalanced '{': variable is not closed")
        if colon < 0:
            return body, ""
        verb = body[colon + 1 :]
        if not _VERB.match(verb):
            raise self.error(f"invalid verb {verb!r} (must be non-empty, unencoded pchars)")
        return body[:colon], verb

    def _segments(self, *, inside_variable: bool) -> None:
        self._segment(inside_variable=inside_variable)
        while self._peek() == "/":
            self.pos += 1
            self._segment(inside_variable=inside_variable)

    def _segment(self, *, inside_variable: bool) -> None:
        if self._peek() == "{":
            if inside_variable:
                raise self.error(f"nested variable at offset {self.pos + 1}")
            self._variable()
            return
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "/{}":
            self.pos += 1
        token = self.text[start : self.pos]
        if self._peek() == "{":
            raise self.error(f"a variable must span whole segments (offset {self.pos + 1})")
        self.segments.append(self._token_segment(token, start))

    def _token_segment(self, token: str, offset: int) -> Segment:
        if token == "":
            raise self.error(f"empty segment at offset {offset + 1}")
        if token == "*":
            return Segment(SegmentKind.STAR, raw="*")
        if token == "**":
            return Segment(SegmentKind.DOUBLE_STAR, raw="**")
        if not _PCHARS.match(token):
            raise self.error(f"invalid literal {token!r}: only RFC 3986 pchars are allowed")
        try:
            literal = unescape(token)
        except InvalidPercentEncoding as exc:
            raise self.error(str(exc)) from exc
        return Segment(SegmentKind.LITERAL, literal=literal, raw=token)

    def _variable(self) -> None:
        self.pos += 1  # "{"
        field_path = self._field_path()
        start = len(self.segments)
        if self._peek() == "=":
            self.pos += 1
            self._segments(inside_variable=True)
        else:
            self.segments.append(Segment(SegmentKind.STAR, raw="*"))
        if self._peek() != "}":
            raise self.error(f"expected '}}' to close variable {field_path!r}")
        self.pos += 1
        if self._peek() not in ("", "/"):
            raise self.error(f"a variable must span whole segments (offset {self.pos + 1})")
        inner = self.segments[start:]
        deep = inner[-1].kind is SegmentKind.DOUBLE_STAR
        stop = None if deep else len(self.segments)
        self.variables.append(Variable(field_path, start, stop, multi=deep or len(inner) > 1))

    def _field_path(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "=}/":
            self.pos += 1
        field_path = self.text[start : self.pos]
        if not all(_IDENT.match(part) for part in field_path.split(".")):
            raise self.error(f"invalid field path {field_path!r} (expected IDENT {{'.' IDENT}})")
        return field_path

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _check_double_star_last(self) -> None:
        for segment in self.segments[:-1]:
            if segment.kind is SegmentKind.DOUBLE_STAR:
                raise self.error("'**' must be the last segment (only a ':verb' may follow)")

    def _check_field_paths(self) -> None:
        # `{a}` with `{a.b}` would bind both a scalar and a sub-field of the same field.
        seen: list[str] = []
        for var in self.variables:
            for other in seen:
                if var.field_path == other:
                    raise self.error(f"duplicate variable {other!r}")
                if var.field_path.startswith(other + ".") or other.startswith(var.field_path + "."):
                    raise self.error(f"variables {other!r} and {var.field_path!r} overlap")
            seen.append(var.field_path)
