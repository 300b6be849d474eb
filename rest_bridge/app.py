"""The bridge's ASGI application: HTTP/JSON/SSE in, gRPC out.

Per request: pick the mount by Host, match the route, build the request
message (path variables, then body, then query), call the method over the
transport with headers as metadata, and write the response, errors included,
in the surface's dialect. No web framework runs on this path.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import importlib
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl

import grpc
import orjson
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from rest_bridge import json_body, sse
from rest_bridge.asgi import (
    BODY_SIZE_KEY,
    ROUTE_KEY,
    BodyTimeout,
    BodyTooLarge,
    ClientGone,
    Headers,
    Receive,
    Scope,
    Send,
    read_body,
    send_bytes,
    send_empty,
    send_json,
)
from rest_bridge.cors import CorsPolicy, adding_headers
from rest_bridge.cuttable import CuttableTasks
from rest_bridge.dialects import Dialect
from rest_bridge.errors import ErrorView, error_from_rpc
from rest_bridge.field_mask import autofill_target, fill_update_mask
from rest_bridge.http_protocol import OVER_CAPACITY
from rest_bridge.jsoncodec import FieldIssue, JsonMappingError, MessageCodec, codec_for
from rest_bridge.metadata import request_metadata, response_headers
from rest_bridge.openapi_pages import Page, docs_responses, document_response, packaged_document
from rest_bridge.path_template import parse_template
from rest_bridge.request_head import RequestHead, host_name, is_json_type, media_type, read_head
from rest_bridge.request_ids import new_request_id
from rest_bridge.route_spec import HttpBinding, MethodSpec
from rest_bridge.router import MethodNotAllowed, NotFound, Router
from rest_bridge.transport import GrpcTransport

log = logging.getLogger("chorus.bridge")

_HOST_CACHE_SIZE = 1024
# Refusals of a malformed request end its connection: what follows on it is suspect.
_CLOSE = (b"connection", b"close")


@dataclass(frozen=True, slots=True)
class Mount:
    """Where a surface is served: Host patterns (fnmatch; empty = any) and a path prefix.

    A pattern is matched against the Host's name, its port left out (`api.*`); one
    with a port, against name and port (`*:8000`: every request to port 8000 on any
    name), so a surface can own a host that differs from another by its port only.

    `paths`: path prefixes the surface owns on its hosts. A request under one
    is tried against this surface's routes first and, matching none, gets this
    surface's error envelope (MCoS owns `/api/` beside Crispy's `/chat`). Where
    owned paths overlap, the longest prefix wins: a mount owning `/api/v1/`
    takes those requests from one owning `/api/`.

    `openapi_path` and `docs_path` (URL paths, not below `prefix`, so a page may sit
    outside it: "" = not served): the surface's OpenAPI document and its Swagger UI
    page. `cors`: the mount's CORS policy, None = no CORS.
    """

    surface: str
    hosts: tuple[str, ...] = ()
    prefix: str = ""
    paths: tuple[str, ...] = ()
    openapi_path: str = ""
    docs_path: str = ""
    cors: CorsPolicy | None = None

    def serves_host(self, authority: str) -> bool:
        """Whether the mount serves a request whose Host is `authority` (lower case)."""
        if not self.hosts:
            return True
        host = host_name(authority)
        return any(fnmatch.fnmatchcase(authority if _has_port(p) else host, p) for p in self.hosts)


def _has_port(pattern: str) -> bool:
    return ":" in pattern.rsplit("]", 1)[-1]


@dataclass(frozen=True, slots=True)
class BridgeLimits:
    max_body_bytes: int = 1_048_576
    sse_heartbeat: float = 15.0
    body_timeout: float = 30.0  # seconds for a whole request body to arrive (then 408)


@dataclass(frozen=True, slots=True)
class Route:
    spec: MethodSpec
    binding: HttpBinding
    dialect: Dialect
    request_codec: MessageCodec
    response_codec: MessageCodec
    encoder: sse.SseEncoder | None
    # Request field paths bound from the path or body (and so not from the query), e.g.
    # "filter.label": its sibling `filter.min_price` may still come from the query.
    bound_fields: frozenset[str]
    # Top-level fields the URL path binds (REQUIRED ones need not be in a `*` body).
    path_fields: frozenset[str]
    # The body's message type when the body's keys fill an empty `update_mask`.
    mask_from_body: Descriptor | None = None
    cors: CorsPolicy | None = None
    # The method answers google.api.HttpBody: its `data` is the response body.
    raw_body: bool = False


@dataclass(frozen=True, slots=True)
class PageRoute:
    """A route to a page the bridge serves itself (the OpenAPI document, the docs page)."""

    page: Page
    dialect: Dialect
    cors: CorsPolicy | None


def load_method_specs(index_module: str = "chorus_contracts.bridge_index") -> list[MethodSpec]:
    """The methods of every route table the generated index lists."""
    index = importlib.import_module(index_module)
    return [spec for name in index.ROUTE_MODULES for spec in load_route_table(name)]


def load_route_table(module: str) -> list[MethodSpec]:
    """The methods of one generated route table (a `*_http` module)."""
    return list(importlib.import_module(module).METHODS)


class _Site:
    """One mount's router, dialect and CORS policy."""

    def __init__(self, mount: Mount, dialect: Dialect) -> None:
        self.mount = mount
        self.dialect = dialect
        self.router = Router()
        self.cors = mount.cors.with_surface_headers(dialect) if mount.cors is not None else None

    def serve_pages(self, documents: Callable[[str], bytes | None]) -> None:
        """Routes the surface's OpenAPI document and docs page, where the mount serves them."""
        mount = self.mount
        if not mount.openapi_path:
            return
        document = documents(mount.surface)
        if document is None:
            log.warning("surface %s has no OpenAPI document: %s is not served", mount.surface, mount.openapi_path)
            return
        url = mount.openapi_path
        pages = {url: document_response(document, mount.prefix)}
        if mount.docs_path:
            title = f"Chorus — {mount.surface} surface"
            pages.update(docs_responses(mount.docs_path, url, title))
        for path, page in pages.items():
            self.router.add("GET", path, PageRoute(page, self.dialect, self.cors))


class _HostSites:
    """The sites serving one host, and the path prefixes some of them own."""

    __slots__ = ("_orders", "claims", "sites")

    def __init__(self, sites: tuple[_Site, ...]) -> None:
        self.sites = sites  # host-specific mounts first, then catch-all ones
        # (prefix, site), longest prefix first.
        claims = [(p, s) for s in sites for p in s.mount.paths]
        self.claims = tuple(sorted(claims, key=lambda c: -len(c[0])))
        # Trial orders by the owners of a path (few: one per set of overlapping claims).
        self._orders: dict[tuple[_Site, ...], tuple[_Site, ...]] = {}

    def for_path(self, path: str) -> tuple[_Site, ...]:
        """Trial order for `path`: within each group (host-specific, then catch-all),
        the sites owning a prefix of it come first, the longest prefix first."""
        owners: tuple[_Site, ...] = ()
        for prefix, site in self.claims:
            if path.startswith(prefix) and site not in owners:
                owners += (site,)
        if not owners:
            return self.sites
        order = self._orders.get(owners)
        if order is None:
            rest = [s for s in self.sites if s not in owners]
            order = self._orders[owners] = (
                *(s for s in owners if s.mount.hosts),
                *(s for s in rest if s.mount.hosts),
                *(s for s in owners if not s.mount.hosts),
                *(s for s in rest if not s.mount.hosts),
            )
        return order


class Exchange(Protocol):
    async def send(self, message: Any) -> None: ...

    def end(self, scope: Scope) -> None: ...


class RequestObserver(Protocol):
    """Watches each request (metrics, access log): `begin` wraps the response's `send`;
    the exchange's `end` sees the scope, with the route under ROUTE_KEY when one matched.
    Streams report their open, each event, and their close."""

    def begin(self, scope: Scope, send: Send) -> Exchange: ...

    def metadata(self, metadata: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        """The gRPC metadata of the call, as the observer wants it sent (trace context)."""
        ...

    def stream_opened(self, route: Route) -> Any: ...

    def stream_event(self, stream: Any) -> None: ...

    def stream_closed(self, stream: Any) -> None: ...


class BridgeApp:
    def __init__(
        self,
        specs: Iterable[MethodSpec],
        transport: GrpcTransport,
        mounts: Sequence[Mount],
        dialects: Mapping[str, Dialect],
        limits: BridgeLimits = BridgeLimits(),
        documents: Callable[[str], bytes | None] = packaged_document,
        observer: RequestObserver | None = None,
    ) -> None:
        """`dialects`: surface name -> its dialect, for every mounted surface (as
        grpc-gateway's mux takes its options: the bridge knows no surface itself).
        `observer`: sees every request (metrics, access log); None costs nothing."""
        self.transport = transport
        self.observer = observer
        self.limits = limits
        unknown = sorted({m.surface for m in mounts} - set(dialects))
        if unknown:
            raise LookupError(f"no dialect for mounted surface(s) {unknown}")
        # Mounts with host patterns are tried before catch-all ones.
        ordered = sorted(mounts, key=lambda m: not m.hosts)
        self._sites = [_Site(m, dialects[m.surface]) for m in ordered]
        self._sites_by_host: dict[str, _HostSites] = {}
        # The tasks relaying a stream, which `cut_streams` ends.
        self._streams = CuttableTasks()
        for spec in specs:
            for site in self._sites:
                if site.mount.surface == spec.surface:
                    self._add(site, spec)
        for site in self._sites:
            site.serve_pages(documents)

    def _add(self, site: _Site, spec: MethodSpec) -> None:
        response_codec = codec_for(spec.response_type)
        for binding in spec.bindings:
            bound = {v.field_path for v in parse_template(binding.template).variables}
            from_path = frozenset(path.split(".", 1)[0] for path in bound)
            if binding.body:
                bound.add(binding.body)
            route = Route(
                spec=spec,
                binding=binding,
                dialect=site.dialect,
                request_codec=codec_for(spec.request_type),
                response_codec=response_codec,
                encoder=sse.SseEncoder(spec.sse, response_codec) if spec.server_streaming else None,
                bound_fields=frozenset(bound),
                path_fields=from_path,
                mask_from_body=autofill_target(spec.request_type.DESCRIPTOR, binding.body),
                cors=site.cors,
                raw_body=spec.response_type.DESCRIPTOR.full_name == "google.api.HttpBody",
            )
            site.router.add(binding.verb, site.mount.prefix + binding.template, route)

    # --- ASGI entry point ---

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            observer = self.observer
            exchange = None
            if observer is not None:
                exchange = observer.begin(scope, send)
                send = exchange.send
            try:
                await self._http(scope, receive, send)
            except Exception:
                # A bug, not an input: answer in an envelope rather than uvicorn's plain text.
                log.exception("bridge failed on %s %s", scope.get("method"), scope.get("path"))
                await self._send_unexpected_failure(scope, send)
            finally:
                if exchange is not None:
                    exchange.end(scope)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: Headers = scope["headers"]
        head = read_head(headers)
        verb = scope["method"]
        head_only = verb == "HEAD"
        # Match on the raw path: the router decodes per variable (a %2F may be data).
        raw_path = scope.get("raw_path")
        path = raw_path.split(b"?", 1)[0].decode("latin-1") if raw_path else scope["path"]
        route, variables, failure = self._match(head.authority, verb, path)
        if route is not None:
            scope[ROUTE_KEY] = route
            scope[BODY_SIZE_KEY] = head.content_length
        dialect = route.dialect if route is not None else failure[0].dialect
        request_id = _request_id(headers, dialect.request_id_header)
        cors = route.cors if route is not None else failure[0].cors
        preflight = route is None and verb == "OPTIONS" and head.preflight_method is not None
        if cors is not None and not preflight:
            send = adding_headers(send, cors.response_headers(head.origin))
        if head.refusal is not None:
            refusal = head.refusal
            error = dialect.refused(refusal.status, refusal.reason, refusal.message)
            await self._send_error(send, dialect, error, request_id, [_CLOSE], head_only)
            return
        if OVER_CAPACITY in scope.get("extensions", ()):
            error = dialect.refused(503, "OVERLOADED", "The server is at its connection limit; retry shortly")
            error.retry_after = 1.0
            await self._send_error(send, dialect, error, request_id, [_CLOSE], head_only)
            return
        if preflight and cors is not None and head.origin is not None:
            assert head.preflight_method is not None
            allowed = cors.preflight(head.origin, head.preflight_method, head.preflight_headers)
            if allowed is not None:
                await send_empty(send, 204, allowed)
                return
            # Refused: the ordinary answer to OPTIONS (405 or 404), without CORS headers.
        if route is None:
            site, error, allow = failure
            extra = [(b"allow", ", ".join(allow).encode())] if allow else []
            await self._send_error(send, site.dialect, error, request_id, extra, head_only)
            return
        if isinstance(route, PageRoute):
            await self._send_page(send, route, request_id, head_only)
            return
        try:
            request = await self._build_request(route, variables, scope, receive, head)
        except UnsupportedMediaType as exc:
            error = route.dialect.refused(415, "UNSUPPORTED_MEDIA_TYPE", str(exc))
            await self._send_error(send, route.dialect, error, request_id, head_only=head_only)
            return
        except BodyTooLarge:
            await self._send_error(
                send, route.dialect, route.dialect.payload_too_large(self.limits.max_body_bytes), request_id
            )
            return
        except BodyTimeout:
            error = route.dialect.refused(408, "REQUEST_TIMEOUT", "The request body did not arrive in time")
            await self._send_error(send, route.dialect, error, request_id, [_CLOSE])
            return
        except ClientGone:
            return
        except JsonMappingError as exc:
            violations = [(".".join(str(p) for p in i.path), i.message) for i in exc.issues]
            error = route.dialect.bad_request(violations)
            await self._send_error(send, route.dialect, error, request_id, head_only=head_only)
            return
        client = scope.get("client")
        metadata = request_metadata(
            headers, client[0] if client else "", request_id, dialect.request_id_header, route.binding.verb
        )
        if self.observer is not None:
            metadata = self.observer.metadata(metadata)
        if route.spec.server_streaming:
            await self._stream(route, request, metadata, request_id, receive, send)
        else:
            await self._unary(route, request, metadata, request_id, send, head_only)

    async def _send_page(self, send: Send, route: PageRoute, request_id: str, head_only: bool) -> None:
        page = route.page
        headers = [(b"content-type", page.content_type), (b"content-length", str(len(page.body)).encode())]
        headers += [*page.headers, (route.dialect.request_id_header, request_id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head_only else page.body})

    def _sites_for(self, authority: str) -> _HostSites:
        """The sites serving a Host value (lower case, port included), in trial order.
        Matching every mount's fnmatch patterns costs ~11 µs a request (6 mounts); a dict
        hit, ~0.05 µs."""
        sites = self._sites_by_host.get(authority)
        if sites is None:
            # Host is the client's to choose: bound the cache instead of growing with it.
            if len(self._sites_by_host) >= _HOST_CACHE_SIZE:
                self._sites_by_host.clear()
            serving = tuple(s for s in self._sites if s.mount.serves_host(authority))
            sites = self._sites_by_host[authority] = _HostSites(serving)
        return sites

    def _match(self, authority: str, verb: str, path: str) -> tuple[Route | PageRoute | None, dict[str, str], Any]:
        allowed: set[str] = set()
        refusing: _Site | None = None  # the first site that knows the path but not the method
        serving = self._sites_for(authority).for_path(path)
        for site in serving:
            try:
                match = site.router.match(verb, path)
            except NotFound:
                continue
            except MethodNotAllowed as exc:
                allowed.update(exc.allowed)
                refusing = refusing or site
                continue
            return match.target, match.variables, None
        if refusing is not None:
            return None, {}, (refusing, refusing.dialect.method_not_allowed(sorted(allowed)), sorted(allowed))
        # Errors are written in the dialect of the surface that owns this host, else of
        # the catch-all surface that owns this path: the first in trial order (`for_path`).
        owner = serving[0] if serving else self._sites[0]
        return None, {}, (owner, owner.dialect.not_found(), [])

    async def _build_request(
        self,
        route: Route,
        variables: dict[str, str],
        scope: Scope,
        receive: Receive,
        head: RequestHead,
    ) -> Message:
        codec = route.request_codec
        body_field = route.binding.body
        lenient = route.dialect.ignore_unknown_fields
        data: Any = None
        if body_field:
            try:
                async with asyncio.timeout(self.limits.body_timeout):
                    raw = await read_body(receive, head.content_length, self.limits.max_body_bytes)
            except TimeoutError:
                raise BodyTimeout from None
            _check_media_type(route.dialect, head.content_type, raw)

            def build(parsed: Any) -> tuple[Message, Any]:
                message = route.spec.request_type()
                if body_field == "*":
                    codec.merge_dict(message, parsed, ignore_unknown=lenient, from_path=route.path_fields)
                else:
                    codec.merge_field_from_json_value(message, body_field, parsed, ignore_unknown=lenient)
                return message, parsed

            request, data = await json_body.decode(raw, build)
        else:
            request = route.spec.request_type()
        for field_path, value in variables.items():
            codec.bind_path_variable(request, field_path, value)
        if body_field != "*":
            query = scope.get("query_string", b"")
            if query:
                codec.bind_query(request, _parse_query(query), route.bound_fields, ignore_unknown=lenient)
        if route.mask_from_body is not None:
            fill_update_mask(request, route.mask_from_body, data)
        return request

    # --- unary ---

    async def _unary(
        self,
        route: Route,
        request: Message,
        metadata: tuple[tuple[str, str], ...],
        request_id: str,
        send: Send,
        head_only: bool,
    ) -> None:
        call = self.transport.callable_for(route.spec)(request, metadata=metadata)
        try:
            response = await call
            initial = await call.initial_metadata()
            trailing = await call.trailing_metadata()
        except grpc.aio.AioRpcError as exc:
            await self._send_rpc_error(send, route.dialect, exc, request_id, head_only)
            return
        headers = response_headers(initial, trailing)
        status = route.spec.success_status
        if status == 204:
            await send_empty(send, 204, headers)
            return
        if route.raw_body:
            # google.api.HttpBody: the bytes as they are, under their own type.
            head = [(b"content-type", response.content_type.encode("latin-1")), *headers]
            await send_bytes(send, status, response.data, head, head_only=head_only)
            return
        payload = _json_body(route.response_codec, response, route.binding.response_body)
        await send_json(send, status, payload, headers, head_only=head_only)

    # --- server streaming ---

    async def _stream(
        self,
        route: Route,
        request: Message,
        metadata: tuple[tuple[str, str], ...],
        request_id: str,
        receive: Receive,
        send: Send,
    ) -> None:
        spec = route.spec.sse
        call = self.transport.callable_for(route.spec)(request, metadata=metadata)
        watcher = asyncio.ensure_future(_cancel_on_disconnect(receive, call))
        try:
            if (
                spec is not None
                and spec.stream_flag_field
                and not _stream_flag(request, spec.stream_flag_field, spec.stream_flag_default)
            ):
                await self._collect_single(route, call, request_id, send)
            else:
                await self._relay_events(route, call, request_id, send)
        finally:
            watcher.cancel()
            if not call.done():
                call.cancel()

    async def _collect_single(self, route: Route, call: Any, request_id: str, send: Send) -> None:
        messages: list[Message] = []
        try:
            async for message in call:
                messages.append(message)
            initial = await call.initial_metadata()
        except grpc.aio.AioRpcError as exc:
            await self._send_rpc_error(send, route.dialect, exc, request_id)
            return
        except asyncio.CancelledError:
            return
        spec = route.spec.sse
        if len(messages) != 1 or spec is None:
            log.error("%s: non-streaming call yielded %d messages", route.spec.grpc_path, len(messages))
            await self._send_error(send, route.dialect, route.dialect.internal(), request_id)
            return
        message = messages[0]
        field = spec.unary_field or (message.WhichOneof(spec.event_oneof) if spec.event_oneof else "")
        payload = _json_body(route.response_codec, message, field or "")
        await send_json(send, route.spec.success_status, payload, response_headers(initial))

    async def _relay_events(self, route: Route, call: Any, request_id: str, send: Send) -> None:
        encoder = route.encoder
        assert encoder is not None
        writer = sse.SseWriter(send, call, route.spec.success_status)
        keepalive = asyncio.ensure_future(writer.keep_alive(self.limits.sse_heartbeat))
        failure: grpc.aio.AioRpcError | None = None
        cut = False
        # In-process calls can hand over every message already queued: those go out in one
        # write (one chunk, one syscall) instead of one each. Nothing waits to fill a batch.
        ready = getattr(call, "ready", None)
        observer = self.observer
        watched = observer.stream_opened(route) if observer is not None else None
        with self._streams.tracking() as task:
            try:
                while (message := await call.read()) is not grpc.aio.EOF:
                    frame = encoder.event(message)
                    more = ready() if ready is not None else None
                    if more:
                        frame = b"".join([frame, *map(encoder.event, more)])
                    await writer.write(frame)
                    if observer is not None:
                        observer.stream_event(watched)
            except grpc.aio.AioRpcError as exc:
                failure = exc
            except (asyncio.CancelledError, OSError):
                if not self._streams.absorb_cut(task):
                    return  # the client is gone
                call.cancel()
                cut = True
            finally:
                keepalive.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keepalive
                if observer is not None:
                    observer.stream_closed(watched)
        if cut:
            error = route.dialect.shutting_down()
            if not writer.started:
                await self._send_error(send, route.dialect, error, request_id)
                return
            await writer.write(encoder.error(route.dialect.stream_error_data(error)))
        elif failure is not None:
            if not writer.started:
                # Nothing sent yet: a plain HTTP error (dropped if the client left).
                await self._send_rpc_error(send, route.dialect, failure, request_id)
                return
            error = error_from_rpc(failure, request_id)
            await writer.write(encoder.error(route.dialect.stream_error_data(error)))
        await writer.write(encoder.done(), more=False)

    def cut_streams(self) -> int:
        """Ends the event streams still open (when shutdown's grace period runs out): each
        gets the dialect's shutting-down error event and a proper end, not a cut mid-frame.
        Returns how many there were."""
        return self._streams.cut()

    # --- errors ---

    async def _send_unexpected_failure(self, scope: Scope, send: Send) -> None:
        dialect = self._sites[0].dialect
        with contextlib.suppress(Exception):
            for key, value in scope["headers"]:
                if key == b"host":
                    dialect = self._sites_for(value.decode("latin-1").lower()).sites[0].dialect
                    break
        # Raises if the response had started: uvicorn then closes the connection.
        await self._send_error(send, dialect, dialect.internal(), new_request_id(), [_CLOSE])

    async def _send_rpc_error(
        self, send: Send, dialect: Dialect, exc: grpc.aio.AioRpcError, request_id: str, head_only: bool = False
    ) -> None:
        error = error_from_rpc(exc, request_id)
        if exc.code() == grpc.StatusCode.UNAVAILABLE and not error.info and error.reason == "UNAVAILABLE":
            log.warning("upstream unavailable: %s", exc.details())
        extra = response_headers(exc.initial_metadata(), exc.trailing_metadata())
        await self._send_error(send, dialect, error, error.request_id or request_id, extra, head_only)

    async def _send_error(
        self,
        send: Send,
        dialect: Dialect,
        error: ErrorView,
        request_id: str,
        extra: Headers | None = None,
        head_only: bool = False,
    ) -> None:
        error.request_id = error.request_id or request_id
        headers = list(extra or [])
        id_header = dialect.request_id_header
        if not any(k == id_header for k, _ in headers):
            headers.append((id_header, error.request_id.encode()))
        if error.retry_after is not None and not any(k == b"retry-after" for k, _ in headers):
            headers.append((b"retry-after", str(max(1, round(error.retry_after))).encode()))
        payload = orjson.dumps(dialect.error_body(error))
        await send_json(send, dialect.http_status(error), payload, headers, head_only=head_only)


class UnsupportedMediaType(Exception):
    pass


def _check_media_type(dialect: Dialect, content_type: bytes | None, raw: bytes) -> None:
    """A non-empty body must be JSON, or of a type the surface's own clients send."""
    if not raw:
        return
    media = media_type(content_type)
    if is_json_type(media) or media in dialect.extra_body_types:
        return
    given = content_type.decode("latin-1") if content_type is not None else "none"
    raise UnsupportedMediaType(f"Content-Type must be application/json (got {given!r})")


# What a request id may be: printable ASCII (gRPC metadata carries nothing
# else), at most 200 characters. Anything else is replaced by a fresh id.
_REQUEST_ID_RE = re.compile(rb"[\x21-\x7e][\x20-\x7e]{0,199}")


def _request_id(headers: Headers, name: bytes) -> str:
    """The client's id under `name` when it is sane, else a new UUID."""
    for key, value in headers:
        if key == name:
            if _REQUEST_ID_RE.fullmatch(value):
                return value.decode("ascii")
            break
    return new_request_id()


def _json_body(codec: MessageCodec, message: Message, field: str) -> bytes:
    """The message as JSON, or only `field` of it (google.api.http `response_body`)."""
    if field:
        return orjson.dumps(codec.field_value_to_dict(message, field))
    return codec.to_json(message)


def _parse_query(query: bytes) -> list[tuple[str, str]]:
    # Strict UTF-8, as for path segments: parse_qsl would otherwise turn %FF into U+FFFD silently.
    try:
        return parse_qsl(query.decode("latin-1"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise JsonMappingError([FieldIssue((), "Query string is not valid UTF-8")]) from None


def _stream_flag(request: Message, field: str, default: bool) -> bool:
    if request.HasField(field):
        return bool(getattr(request, field))
    return default


async def _cancel_on_disconnect(receive: Receive, call: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            call.cancel()
            return


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
