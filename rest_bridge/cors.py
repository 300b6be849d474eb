"""CORS for one mount: preflight answers and the headers of actual responses (Fetch standard).

- A preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) from an allowed
  origin, for an allowed method and allowed headers, is answered 204 with the
  `Access-Control-Allow-*` headers. Any other preflight gets no CORS headers: it is an
  ordinary OPTIONS request (the surface's 405 or 404 envelope), which the browser refuses.
- An actual request from an allowed origin gets `Access-Control-Allow-Origin`, and
  `Access-Control-Expose-Headers` so scripts can read the request id, `Retry-After` and
  the rate-limit headers. Other origins get no CORS headers.
- Where the answer depends on `Origin` (a list of origins, or credentials), every response
  says `Vary: Origin`, so a cache never hands one origin's answer to another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rest_bridge.asgi import Headers, Message, Send
from rest_bridge.dialects import Dialect

ANY = "*"


def _names(values: Iterable[str]) -> tuple[str, ...]:
    """Header or method names, lower-case, without duplicates, in order."""
    return tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    allow_origins: frozenset[str]  # exact origins ("https://app.example.com"), or "*" for any
    allow_methods: tuple[str, ...]  # upper-case
    allow_headers: tuple[str, ...]  # lower-case; "*" allows whatever a preflight asks for
    expose_headers: tuple[str, ...]
    allow_credentials: bool = False
    max_age: int = 600  # seconds a browser may cache a preflight answer

    @classmethod
    def build(
        cls,
        origins: Iterable[str],
        methods: Iterable[str],
        headers: Iterable[str],
        expose: Iterable[str],
        credentials: bool = False,
        max_age: int = 600,
    ) -> CorsPolicy:
        allow_origins = frozenset(o.strip().rstrip("/") for o in origins if o.strip())
        if credentials and ANY in allow_origins:
            # The Fetch standard forbids `*` with credentials; echoing any origin instead
            # would let every site read credentialed answers.
            raise ValueError("CORS: allow_credentials needs an explicit list of origins, not '*'")
        return cls(
            allow_origins,
            tuple(m.upper() for m in _names(methods)),
            _names(headers),
            _names(expose),
            credentials,
            max_age,
        )

    def with_surface_headers(self, dialect: Dialect) -> CorsPolicy:
        """The policy plus the surface's own headers: the request headers its clients send
        (Content-Type, credentials, request id, Idempotency-Key) allowed; its request id,
        Retry-After and the rate-limit headers exposed."""
        sent = ["content-type", "idempotency-key", dialect.request_id_header.decode()]
        for scheme in dialect.security_schemes.values():
            if scheme.get("in") == "header":
                sent.append(scheme["name"])
            elif scheme.get("type") == "http":
                sent.append("authorization")
        limits = dialect.rate_limit_headers
        exposed = [dialect.request_id_header.decode(), "retry-after", limits.limit, limits.remaining, limits.reset]
        return replace(
            self,
            allow_headers=_names([*self.allow_headers, *sent]),
            expose_headers=_names([*exposed, *self.expose_headers]),
        )

    @property
    def varies_by_origin(self) -> bool:
        return self.allow_credentials or self.allow_origins != {ANY}

    def allows_origin(self, origin: str) -> bool:
        return ANY in self.allow_origins or origin in self.allow_origins

    def _allow_origin(self, origin: str) -> Headers:
        headers: Headers = [(b"access-control-allow-origin", b"*" if not self.varies_by_origin else origin.encode())]
        if self.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    def preflight(self, origin: str, method: str, requested_headers: str) -> Headers | None:
        """The 204's headers, or None when this preflight is refused."""
        if not self.allows_origin(origin) or method.upper() not in self.allow_methods:
            return None
        requested = _names(requested_headers.split(","))
        if ANY not in self.allow_headers and any(h not in self.allow_headers for h in requested):
            return None
        # `*` is not a wildcard for Authorization (nor with credentials): echo what was asked.
        allowed = requested if ANY in self.allow_headers else self.allow_headers
        headers = self._allow_origin(origin)
        headers.append((b"access-control-allow-methods", ", ".join(self.allow_methods).encode()))
        if allowed:
            headers.append((b"access-control-allow-headers", ", ".join(allowed).encode()))
        headers.append((b"access-control-max-age", str(self.max_age).encode()))
        vary = "origin, access-control-request-method, access-control-request-headers"
        headers.append((b"vary", vary.encode() if self.varies_by_origin else vary.split(", ", 1)[1].encode()))
        return headers

    def response_headers(self, origin: str | None) -> Headers:
        """What an actual response adds (empty: nothing to add)."""
        headers: Headers = []
        if origin is not None and self.allows_origin(origin):
            headers = self._allow_origin(origin)
            if self.expose_headers:
                headers.append((b"access-control-expose-headers", ", ".join(self.expose_headers).encode()))
        if self.varies_by_origin:
            headers.append((b"vary", b"origin"))
        return headers


def adding_headers(send: Send, extra: Headers) -> Send:
    """`send` with `extra` added to the response's headers (a `Vary` merged into one there is)."""

    async def send_with(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            for name, value in extra:
                at = _index_of(headers, name) if name == b"vary" else None
                if at is None:
                    headers.append((name, value))
                else:
                    headers[at] = (b"vary", headers[at][1] + b", " + value)
            message = {**message, "headers": headers}
        await send(message)

    return send_with


def _index_of(headers: Headers, name: bytes) -> int | None:
    return next((i for i, (key, _) in enumerate(headers) if key.lower() == name), None)
