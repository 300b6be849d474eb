"""A small, real OpenAI-compatible HTTP server for tests.

`OpenAIUpstream` is a raw ASGI app (no framework); `OpenAIUpstream.serve()`
runs it under uvicorn on 127.0.0.1 on a free port, in a background thread so
that sync clients (the official `openai` SDK) and async ones both work:

    with OpenAIUpstream(api_key="sk-test").serve() as upstream:
        client = openai.OpenAI(base_url=upstream.base_url, api_key="sk-test")

Endpoints: `POST /v1/chat/completions` (streamed or not, with usage and tool
calls whose deltas are split over several chunks), `POST /v1/embeddings`
(float or base64) and `GET /v1/models`. What a completion says is set with
`reply(...)`; by default it echoes the last message. Misbehaviour is scripted
with `push_faults(...)` (consumed one per request to the fault's endpoint, in
order) and the stream style with `chunk_delay`, `heartbeats` and
`split_writes`. Every request is recorded in `requests`, and clients that left
a response early are counted in `disconnects`. `reset()` restores defaults.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import math
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import uvicorn

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"
MODELS_PATH = "/v1/models"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; repeated headers keep the last value
    body: Any  # the parsed JSON body, or None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(frozen=True)
class ScriptedToolCall:
    name: str
    arguments: str  # JSON text; streamed in three pieces
    id: str | None = None  # None: "call_<n>"


@dataclass(frozen=True)
class Reply:
    """What successful chat completions say until the next `reply(...)`."""

    text: str | None = None  # None: "echo: " + the last message's content
    tool_calls: tuple[ScriptedToolCall, ...] = ()
    finish_reason: str | None = None  # None: "tool_calls" if there are calls, else "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion); None: counted in words
    send_usage: bool = True  # False: ignore stream_options, like some servers do


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour. `after_chunks` counts streamed chunks sent
    first (not counting the opening role chunk)."""

    kind: Literal["status", "garbage", "hang", "cut"]
    after_chunks: int = 0
    status: int = 503
    error: dict[str, Any] | None = None  # the OpenAI error object for "status"
    endpoint: str = CHAT_PATH


def status_fault(
    status: int = 503,
    message: str = "The server is overloaded.",
    *,
    type: str = "server_error",
    code: str | None = None,
    endpoint: str = CHAT_PATH,
) -> Fault:
    error = {"message": message, "type": type, "param": None, "code": code}
    return Fault("status", status=status, error=error, endpoint=endpoint)


def unauthorized() -> Fault:
    return status_fault(
        401,
        "Incorrect API key provided: sk-wr***ng.",
        type="invalid_request_error",
        code="invalid_api_key",
    )


def garbage(after_chunks: int = 0) -> Fault:
    """A `data:` line that is not JSON."""
    return Fault("garbage", after_chunks=after_chunks)


def hang(after_chunks: int = 0) -> Fault:
    """Send nothing more (0: not even headers) until the client gives up."""
    return Fault("hang", after_chunks=after_chunks)


def cut(after_chunks: int = 1) -> Fault:
    """Drop the connection mid-stream, without the closing chunk."""
    return Fault("cut", after_chunks=after_chunks)


class _Disconnect:
    """Watches `receive` for the client leaving, once the body has been read."""

    def __init__(self, receive: Receive, stopping: asyncio.Event) -> None:
        self._task = asyncio.ensure_future(self._watch(receive))
        self._stopping = stopping

    @staticmethod
    async def _watch(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    @property
    def happened(self) -> bool:
        return self._task.done()

    async def wait(self, at_most: float | None = None) -> None:
        """Until the client leaves, the server stops, or `at_most` seconds pass."""
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({self._task, stop}, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()

    def cancel(self) -> None:
        self._task.cancel()


class OpenAIUpstream:
    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: tuple[str, ...] = ("upstream-model",),
        embedding_dims: int = 8,
    ) -> None:
        self.api_key = api_key  # None: accept any or no Authorization header
        self.models = models
        self.embedding_dims = embedding_dims
        self.base_url = ""  # "http://127.0.0.1:<port>/v1" while serving
        self._lock = threading.Lock()
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.reset()

    # -- test-facing controls (thread-safe) ------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.requests: list[RecordedRequest] = []
            self.disconnects = 0
            self._faults: list[Fault] = []
            self._reply = Reply()
            self._served = 0
        self.chunk_delay = 0.0  # seconds between streamed chunks
        self.heartbeats = False  # an SSE comment before every chunk
        self.split_writes = False  # send each event in two writes, split mid-line

    def reply(
        self,
        text: str | None = None,
        *,
        tool_calls: tuple[ScriptedToolCall, ...] = (),
        finish_reason: str | None = None,
        usage: tuple[int, int] | None = None,
        send_usage: bool = True,
    ) -> None:
        """Script what chat completions say from now on (see `Reply`)."""
        with self._lock:
            self._reply = Reply(text, tool_calls, finish_reason, usage, send_usage)

    def push_faults(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def fail_next(self, count: int, status: int = 503) -> None:
        self.push_faults(*(status_fault(status) for _ in range(count)))

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == CHAT_PATH]

    async def wait_for_disconnects(self, count: int = 1, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while self.disconnects < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"saw {self.disconnects} disconnects, wanted {count}")
            await asyncio.sleep(0.01)

    @contextmanager
    def serve(self) -> Iterator[OpenAIUpstream]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self, lifespan="on", log_level="warning", access_log=False, timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="openai-upstream", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test OpenAI upstream did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        try:
            yield self
        finally:
            if self._loop is not None and self._stopping is not None:
                self._loop.call_soon_threadsafe(self._stopping.set)  # release hanging handlers
            server.should_exit = True
            thread.join(10)
            sock.close()
            self.base_url = ""

    # -- ASGI ------------------------------------------------------------------

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loop = asyncio.get_running_loop()
                self._stopping = asyncio.Event()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Message, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        raw = await _read_body(receive)
        body: Any = None
        if raw:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body = None
        with self._lock:
            self.requests.append(RecordedRequest(method, path, headers, body))
            fault = next((f for f in self._faults if f.endpoint == path), None)
            if fault is not None:
                self._faults.remove(fault)
            self._served += 1
            serial = self._served
            reply = self._reply

        routes = {CHAT_PATH: "POST", EMBEDDINGS_PATH: "POST", MODELS_PATH: "GET"}
        if path not in routes:
            return await _error(send, 404, f"Unknown request URL: {method} {path}", "not_found")
        if method != routes[path]:
            return await _error(send, 405, f"Method {method} not allowed", "method_not_allowed")
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return await _error(send, 401, "Incorrect API key provided.", "invalid_api_key", "invalid_request_error")
        assert self._stopping is not None
        gone = _Disconnect(receive, self._stopping)
        completed = False

        raw_send = send

        async def tracked(message: Message) -> None:
            nonlocal completed
            await raw_send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                completed = True

        send = tracked
        try:
            if fault is not None and fault.kind == "status":
                await _json(send, fault.status, {"error": fault.error})
            elif fault is not None and fault.kind == "hang" and fault.after_chunks == 0:
                await gone.wait()
            elif path == MODELS_PATH:
                await _json(send, 200, self._models_body())
            elif not isinstance(body, dict):
                await _error(send, 400, "The request body is not a JSON object.", "invalid_json")
            elif path == EMBEDDINGS_PATH:
                await self._embeddings(send, body, fault)
            elif not isinstance(body.get("messages"), list) or not body.get("model"):
                await _error(send, 400, "'model' and 'messages' are required.", "missing_field")
            elif body.get("stream"):
                await self._stream_chat(send, body, reply, fault, serial, gone)
            else:
                await self._complete_chat(send, body, reply, fault, serial, gone)
        finally:
            if gone.happened and not completed:  # the client left before the end
                with self._lock:
                    self.disconnects += 1
            gone.cancel()

    # -- endpoints -------------------------------------------------------------

    def _models_body(self) -> Message:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "chorus-tests"} for m in self.models]
        return {"object": "list", "data": data}

    async def _embeddings(self, send: Send, body: Message, fault: Fault | None) -> None:
        if fault is not None and fault.kind in ("garbage", "cut"):
            await _start(send, 200, "application/json")
            more = fault.kind == "cut"
            await send({"type": "http.response.body", "body": b'{"object": "li', "more_body": more})
            return  # "cut": return mid-body; uvicorn drops the connection
        raw_input = body.get("input")
        inputs = raw_input if isinstance(raw_input, list) and raw_input else [raw_input]
        if raw_input and all(isinstance(i, int) for i in inputs):
            inputs = [raw_input]  # one tokenized input
        dims = body.get("dimensions") or self.embedding_dims
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(inputs):
            vector = _embed(str(item), dims)
            encoded: Any = vector
            if as_base64:
                encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(len(str(item).split()) for item in inputs)
        await _json(
            send,
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    async def _complete_chat(
        self,
        send: Send,
        body: Message,
        reply: Reply,
        fault: Fault | None,
        serial: int,
        gone: _Disconnect,
    ) -> None:
        if fault is not None and fault.kind == "hang":
            await gone.wait()
            return
        if fault is not None and fault.kind in ("garbage", "cut"):
            await _start(send, 200, "application/json")
            if fault.kind == "garbage":
                await send({"type": "http.response.body", "body": b"{not json"})
            else:  # return mid-body: uvicorn drops the connection
                await send({"type": "http.response.body", "body": b'{"id": ', "more_body": True})
            return
        text, calls, finish, usage = _render(body, reply)
        message: Message = {"role": "assistant", "content": text if not calls else text or None}
        if calls:
            message["tool_calls"] = [
                {
                    "id": cid,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for cid, c in calls
            ]
        await _json(
            send,
            200,
            {
                "id": f"chatcmpl-upstream-{serial}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": _usage_body(usage),
            },
        )

    async def _stream_chat(
        self,
        send: Send,
        body: Message,
        reply: Reply,
        fault: Fault | None,
        serial: int,
        gone: _Disconnect,
    ) -> None:
        text, calls, finish, usage = _render(body, reply)
        base = {
            "id": f"chatcmpl-upstream-{serial}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
        }

        def chunk(delta: Message, finish_reason: str | None = None, index: int = 0) -> Message:
            choice = {"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            return {**base, "choices": [choice]}

        def choice_chunks(index: int) -> list[Message]:
            # With `n`, choice i > 0 says the same text plus " (choice i)".
            said = text if index == 0 or not text else f"{text} (choice {index})"
            out = [chunk({"role": "assistant", "content": ""}, None, index)] if index else []
            out += [chunk({"content": piece}, None, index) for piece in _pieces(said)]
            for position, (cid, call) in enumerate(calls):
                first = {"index": position, "id": cid, "type": "function"}
                out.append(
                    chunk({"tool_calls": [{**first, "function": {"name": call.name, "arguments": ""}}]}, None, index)
                )
                for piece in _thirds(call.arguments):
                    out.append(
                        chunk({"tool_calls": [{"index": position, "function": {"arguments": piece}}]}, None, index)
                    )
            out.append(chunk({}, finish, index))
            return out

        # Choices interleave, one chunk each in turn, as OpenAI's do.
        per_choice = [choice_chunks(index) for index in range(body.get("n") or 1)]
        chunks = [c for turn in itertools.zip_longest(*per_choice) for c in turn if c is not None]
        options = body.get("stream_options") or {}
        if reply.send_usage and options.get("include_usage"):
            chunks.append({**base, "choices": [], "usage": _usage_body(usage)})

        await _start(send, 200, "text/event-stream")
        await self._event(send, orjson.dumps(chunk({"role": "assistant", "content": ""})))
        for sent, data in enumerate(chunks):
            if fault is not None and sent == fault.after_chunks:
                if fault.kind == "garbage":
                    await self._event(send, b'{"id": "chatcmpl-broken", "choices": [{"del')
                elif fault.kind == "hang":
                    await gone.wait()
                    return
                elif fault.kind == "cut":
                    return  # incomplete chunked body: uvicorn drops the connection
            if gone.happened:
                return
            if self.chunk_delay:
                await gone.wait(self.chunk_delay)
            await self._event(send, orjson.dumps(data))
        await self._event(send, b"[DONE]")
        await send({"type": "http.response.body", "body": b""})

    async def _event(self, send: Send, data: bytes) -> None:
        frame = b"data: " + data + b"\n\n"
        if self.heartbeats:
            frame = b": keep-alive\n\n" + frame
        parts = [frame[: len(frame) // 2], frame[len(frame) // 2 :]] if self.split_writes else [frame]
        for part in parts:
            await send({"type": "http.response.body", "body": part, "more_body": True})
            if self.split_writes:
                await asyncio.sleep(0.001)  # so the halves leave as separate TCP segments


# -- helpers -------------------------------------------------------------------


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _start(send: Send, status: int, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode())]
    if content_type == "text/event-stream":
        headers.append((b"cache-control", b"no-cache"))
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def _json(send: Send, status: int, payload: Any) -> None:
    await _start(send, status, "application/json")
    await send({"type": "http.response.body", "body": orjson.dumps(payload)})


async def _error(send: Send, status: int, message: str, code: str, type: str = "invalid_request_error") -> None:
    error = {"message": message, "type": type, "param": None, "code": code}
    await _json(send, status, {"error": error})


def _render(body: Message, reply: Reply) -> tuple[str, list[tuple[str, ScriptedToolCall]], str, tuple[int, int]]:
    """(text, [(call id, call)], finish reason, (prompt, completion) usage) of a reply."""
    messages = body.get("messages") or []
    if reply.text is not None:
        text = reply.text
    elif reply.tool_calls:
        text = ""
    else:
        last = messages[-1].get("content") if messages and isinstance(messages[-1], dict) else ""
        text = f"echo: {last if isinstance(last, str) else orjson.dumps(last).decode()}"
    calls = [(c.id or f"call_{i}", c) for i, c in enumerate(reply.tool_calls)]
    finish = reply.finish_reason or ("tool_calls" if calls else "stop")
    usage = reply.usage
    if usage is None:
        prompt = sum(len(str(m.get("content") or "").split()) for m in messages if isinstance(m, dict))
        usage = (prompt, len(_pieces(text)) + 3 * len(calls))
    return text, calls, finish, usage


def _usage_body(usage: tuple[int, int]) -> Message:
    prompt, completion = usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _pieces(text: str) -> list[str]:
    """Words with their leading space: how the upstream chunks its text."""
    pieces: list[str] = []
    for index, word in enumerate(text.split(" ")):
        piece = word if index == 0 else " " + word
        if pieces and not word:
            pieces[-1] += " "  # keep runs of spaces exactly
        elif piece:
            pieces.append(piece)
    return pieces


def _thirds(text: str) -> list[str]:
    size = max(1, math.ceil(len(text) / 3))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _embed(text: str, dims: int) -> list[float]:
    digest = b""
    counter = 0
    while len(digest) < dims:
        digest += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    raw = [byte - 127.5 for byte in digest[:dims]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]
