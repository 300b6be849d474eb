"""A tiny, fast OpenAI-compatible upstream for the gateway bench.

    .venv/bin/python -m bench.upstream [--port 0] [--tokens 20]

HTTP/1.1 keep-alive on raw asyncio protocols (uvloop), one process. It answers
`POST /v1/chat/completions` with the same completion every time: a JSON
`chat.completion`, or with `"stream": true` an SSE body of `--tokens` content
chunks, a finish chunk, a usage chunk (when `stream_options.include_usage`)
and `data: [DONE]`, sent chunked. `GET /v1/models` lists one model. Answers are
built once at start, so the upstream costs as little as possible and the bench
measures what Chorus adds. Prints `upstream: listening on http://HOST:PORT/v1`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import cast

import orjson

CRLF2 = b"\r\n\r\n"
CREATED = 1700000000


class Answers:
    """The pre-built responses, by kind."""

    def __init__(self, tokens: int) -> None:
        words = [f"word{i} " for i in range(tokens)]
        text = "".join(words)
        usage = {"prompt_tokens": 9, "completion_tokens": tokens, "total_tokens": 9 + tokens}
        completion = {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": CREATED,
            "model": "bench-upstream",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        }
        self.json = _response(200, "application/json", orjson.dumps(completion))
        self.stream_with_usage = _sse_response(_chunks(words, usage))
        self.stream = _sse_response(_chunks(words, None))
        self.models = _response(
            200,
            "application/json",
            orjson.dumps({"object": "list", "data": [{"id": "bench-upstream", "object": "model", "created": CREATED}]}),
        )
        self.not_found = _response(404, "application/json", b'{"error": {"message": "not found", "type": "x"}}')
        self.bad_request = _response(400, "application/json", b'{"error": {"message": "bad JSON", "type": "x"}}')


def _response(status: int, content_type: str, body: bytes) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _chunks(words: list[str], usage: dict[str, int] | None) -> list[bytes]:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED, "model": "bench-upstream"}

    def chunk(delta: dict[str, str], finish: str | None) -> dict[str, object]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": w}, None) for w in words]
    events.append(chunk({}, "stop"))
    if usage is not None:
        events.append({**base, "choices": [], "usage": usage})
    return [b"data: " + orjson.dumps(e) + b"\n\n" for e in events] + [b"data: [DONE]\n\n"]


def _sse_response(events: list[bytes]) -> bytes:
    # One HTTP chunk per SSE event, as a streaming server sends them.
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    body = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events)
    return head + body + b"0\r\n\r\n"


class UpstreamProtocol(asyncio.Protocol):
    def __init__(self, answers: Answers) -> None:
        self._answers = answers
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while self._transport is not None:
            end = self._buf.find(CRLF2)
            if end < 0:
                return
            head = bytes(self._buf[:end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
            total = end + 4 + length
            if len(self._buf) < total:
                return
            body = bytes(self._buf[end + 4 : total])
            del self._buf[:total]
            self._transport.write(self._answer(head, body))
            if b"\r\nconnection: close" in head:
                self._transport.close()
                self._transport = None

    def _answer(self, head: bytes, body: bytes) -> bytes:
        a = self._answers
        request_line = head[: head.find(b"\r\n")]
        if request_line.startswith(b"get ") and b" /v1/models " in request_line:
            return a.models
        if not (request_line.startswith(b"post ") and b" /v1/chat/completions " in request_line):
            return a.not_found
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return a.bad_request
        if not request.get("stream"):
            return a.json
        include_usage = (request.get("stream_options") or {}).get("include_usage")
        return a.stream_with_usage if include_usage else a.stream

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(host: str, port: int, tokens: int) -> None:
    loop = asyncio.get_running_loop()
    answers = Answers(tokens)
    server = await loop.create_server(lambda: UpstreamProtocol(answers), host, port, backlog=1024)
    bound = server.sockets[0].getsockname()
    print(f"upstream: listening on http://{bound[0]}:{bound[1]}/v1", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.upstream", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tokens", type=int, default=20, help="content chunks per streamed answer (default 20)")
    args = parser.parse_args()
    import uvloop

    uvloop.run(serve(args.host, args.port, args.tokens))


if __name__ == "__main__":
    main()
