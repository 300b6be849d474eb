from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.platform.models.openai_compatible import OpenAICompatibleProvider
from server.platform.models.openai_wire import ChunkAssembler
from server.platform.models.sse_decode import SseDataDecoder
from server.platform.models.tokenizer import count_prompt_tokens, count_tokens
from server.platform.models.types import (
    ChatTurn,
    Finish,
    ModelError,
    ModelEvent,
    ModelRequest,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from tests.support.openai_upstream import (
    OpenAIUpstream,
    ScriptedToolCall,
    cut,
    garbage,
    hang,
    status_fault,
    unauthorized,
)

from .conftest import UPSTREAM_KEY

HELLO = ModelRequest(model="upstream-model", messages=(ChatTurn("user", "hello there"),))


def provider(upstream: OpenAIUpstream, **options: Any) -> OpenAICompatibleProvider:
    settings: dict[str, Any] = {
        "timeout": 5.0,
        "connect_timeout": 2.0,
        "max_retries": 2,
        "retry_backoff": 0.01,
    }
    settings.update(options)
    api_key = settings.pop("api_key", UPSTREAM_KEY)
    return OpenAICompatibleProvider("test-upstream", upstream.base_url, api_key, **settings)


async def collect(model: OpenAICompatibleProvider, request: ModelRequest = HELLO) -> list[ModelEvent]:
    try:
        return [event async for event in model.stream(request)]
    finally:
        await model.aclose()


async def failure(
    model: OpenAICompatibleProvider, request: ModelRequest = HELLO
) -> tuple[ModelError, list[ModelEvent]]:
    received: list[ModelEvent] = []
    try:
        with pytest.raises(ModelError) as caught:
            async for event in model.stream(request):
                received.append(event)
    finally:
        await model.aclose()
    return caught.value, received


def text_of(events: list[ModelEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# -- streaming ---------------------------------------------------------------


async def test_streams_text_usage_and_finish(upstream: OpenAIUpstream) -> None:
    upstream.reply("Hi! How are you today?", usage=(11, 7))
    events = await collect(provider(upstream))
    assert [e for e in events if isinstance(e, TextDelta)] == [
        TextDelta(t) for t in ("Hi!", " How", " are", " you", " today?")
    ]
    assert events[-2:] == [Usage(11, 7), Finish("stop")]  # the upstream's numbers


async def test_sends_an_openai_request(upstream: OpenAIUpstream) -> None:
    call = ToolCall("call_1", "lookup", '{"id": 7}')
    request = ModelRequest(
        model="upstream-model",
        messages=(
            ChatTurn("system", "Be helpful."),
            ChatTurn("user", "Find 7", name="ann"),
            ChatTurn("assistant", "", tool_calls=(call,)),
            ChatTurn("tool", '{"found": true}', tool_call_id="call_1"),
        ),
        max_tokens=50,
        temperature=0.2,
        tools=(ToolSpec("lookup", "Look up a record", {"type": "object"}),),
        tool_choice="auto",
        stop=("\n\n",),
    )
    await collect(provider(upstream, headers={"X-Team": "chorus"}), request)
    [sent] = upstream.chat_requests()
    assert sent.authorization == f"Bearer {UPSTREAM_KEY}"
    assert sent.headers["x-team"] == "chorus"
    assert sent.body == {
        "model": "upstream-model",
        "messages": [
            {"role": "system", "content": "Be helpful."},
            {"role": "user", "content": "Find 7", "name": "ann"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"id": 7}'},
                    }
                ],
            },
            {"role": "tool", "content": '{"found": true}', "tool_call_id": "call_1"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 50,
        "temperature": 0.2,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "lookup",
                    "description": "Look up a record",
                    "parameters": {"type": "object"},
                },
            }
        ],
        "tool_choice": "auto",
        "stop": ["\n\n"],
    }


async def test_assembles_tool_call_fragments(upstream: OpenAIUpstream) -> None:
    upstream.reply(
        tool_calls=(
            ScriptedToolCall("get_weather", '{"city": "Paris", "unit": "c"}', id="call_abc"),
            ScriptedToolCall("search", '{"q": "rain"}', id="call_def"),
        )
    )
    events = await collect(provider(upstream))
    assert events[:2] == [
        ToolCall("call_abc", "get_weather", '{"city": "Paris", "unit": "c"}'),
        ToolCall("call_def", "search", '{"q": "rain"}'),
    ]
    assert isinstance(events[2], Usage)
    assert events[3] == Finish("tool_calls")


async def test_estimates_usage_when_the_upstream_sends_none(upstream: OpenAIUpstream) -> None:
    upstream.reply("Counting these words, please.", send_usage=False)
    events = await collect(provider(upstream))
    expected = Usage(count_prompt_tokens(HELLO.messages), count_tokens("Counting these words, please."))
    assert events[-2:] == [expected, Finish("stop")]


async def test_heartbeats_and_split_writes(upstream: OpenAIUpstream) -> None:
    upstream.heartbeats = True
    upstream.split_writes = True
    upstream.reply("split across writes", usage=(3, 3))
    events = await collect(provider(upstream))
    assert text_of(events) == "split across writes"
    assert events[-2:] == [Usage(3, 3), Finish("stop")]


async def test_passes_length_finish_reason(upstream: OpenAIUpstream) -> None:
    upstream.reply("cut short", finish_reason="length")
    assert (await collect(provider(upstream)))[-1] == Finish("length")


# -- failures and retries ----------------------------------------------------


async def test_retries_5xx_before_the_first_token(upstream: OpenAIUpstream) -> None:
    upstream.fail_next(2)
    events = await collect(provider(upstream, max_retries=2))
    assert text_of(events) == "echo: hello there"
    assert len(upstream.chat_requests()) == 3


async def test_gives_up_after_max_retries(upstream: OpenAIUpstream) -> None:
    upstream.fail_next(3, status=502)
    error, received = await failure(provider(upstream, max_retries=2))
    assert (error.kind, error.retryable, received) == ("unavailable", True, [])
    assert "HTTP 502" in str(error)
    assert len(upstream.chat_requests()) == 3


async def test_no_retry_after_the_first_token(upstream: OpenAIUpstream) -> None:
    upstream.reply("one two three four five")
    upstream.push_faults(cut(after_chunks=2))
    error, received = await failure(provider(upstream, max_retries=3))
    assert received == [TextDelta("one"), TextDelta(" two")]
    assert (error.kind, error.retryable) == ("unavailable", False)
    assert len(upstream.chat_requests()) == 1


async def test_4xx_is_rejected_with_the_upstream_message(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(unauthorized())
    error, _ = await failure(provider(upstream))
    assert (error.kind, error.retryable) == ("rejected", False)
    assert "Incorrect API key provided" in str(error)
    assert "HTTP 401" in str(error)
    assert len(upstream.chat_requests()) == 1  # not retried


async def test_wrong_key_is_rejected(upstream: OpenAIUpstream) -> None:
    error, _ = await failure(provider(upstream, api_key="sk-wrong"))
    assert error.kind == "rejected"


async def test_429_is_retried(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(status_fault(429, "Rate limit reached", type="requests"))
    assert text_of(await collect(provider(upstream))) == "echo: hello there"
    assert len(upstream.chat_requests()) == 2


async def test_api_key_never_leaks(upstream: OpenAIUpstream, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    upstream.fail_next(3)
    model = provider(upstream, max_retries=2)
    error, _ = await failure(model)
    assert "retry 2/2" in caplog.text
    for text in (caplog.text, str(error), repr(error), repr(model)):
        assert UPSTREAM_KEY not in text


async def test_timeout_before_the_first_token(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(hang(), hang())
    started = time.monotonic()
    error, received = await failure(provider(upstream, timeout=0.2, max_retries=1))
    assert (error.kind, error.retryable, received) == ("timeout", True, [])
    assert time.monotonic() - started < 2
    assert len(upstream.chat_requests()) == 2


async def test_timeout_after_the_first_token(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(hang(after_chunks=1))
    error, received = await failure(provider(upstream, timeout=0.2))
    assert received == [TextDelta("echo:")]
    assert (error.kind, error.retryable) == ("timeout", False)
    assert len(upstream.chat_requests()) == 1


async def test_garbage_is_a_bad_response(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(garbage())
    error, received = await failure(provider(upstream))
    assert (error.kind, error.retryable, received) == ("bad_response", False, [])
    assert len(upstream.chat_requests()) == 1


async def test_garbage_mid_stream(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(garbage(after_chunks=1))
    error, received = await failure(provider(upstream))
    assert received == [TextDelta("echo:")]
    assert error.kind == "bad_response"


async def test_unreachable_upstream() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAICompatibleProvider(
        "down", f"http://127.0.0.1:{port}/v1", None,
        timeout=1, connect_timeout=1, max_retries=1, retry_backoff=0.01,
    )  # fmt: skip
    error, _ = await failure(model)
    assert (error.kind, error.retryable) == ("unavailable", True)


# -- early stop --------------------------------------------------------------


async def test_aclose_releases_the_upstream_response(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(hang(after_chunks=1))  # the upstream would wait forever
    model = provider(upstream)
    stream = model.stream(HELLO)
    assert await anext(stream) == TextDelta("echo:")
    await stream.aclose()  # type: ignore[attr-defined]
    await upstream.wait_for_disconnects(1, within=2)
    await model.aclose()


async def test_cancel_releases_the_upstream_response(upstream: OpenAIUpstream) -> None:
    upstream.push_faults(hang(after_chunks=1))
    model = provider(upstream)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in model.stream(HELLO):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await upstream.wait_for_disconnects(1, within=2)
    await model.aclose()


async def test_shared_client_is_left_open(upstream: OpenAIUpstream) -> None:
    async with httpx.AsyncClient() as client:
        model = provider(upstream, client=client)
        assert text_of(await collect(model)) == "echo: hello there"  # collect acloses
        assert not client.is_closed


# -- chunk assembly ----------------------------------------------------------


def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    return orjson.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}).decode()


def fragment(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


def test_assembler_joins_interleaved_fragments_by_index() -> None:
    assembler = ChunkAssembler()
    events: list[ModelEvent] = []
    for data in (
        chunk(fragment(0, id="call_a", function={"name": "f", "arguments": '{"x"'})),
        chunk(fragment(1, id="call_b", function={"name": "g", "arguments": ""})),
        chunk(fragment(0, function={"arguments": ": 1}"})),
        chunk(fragment(1, function={"arguments": "{}"})),
        chunk({}, "stop"),  # some servers say "stop" after tool calls
        "[DONE]",
    ):
        events += assembler.feed(data)
    events += assembler.finish(lambda: 5)
    assert events == [
        ToolCall("call_a", "f", '{"x": 1}'),
        ToolCall("call_b", "g", "{}"),
        Usage(5, sum(map(count_tokens, ("f", '{"x": 1}', "g", "{}")))),  # estimated
        Finish("tool_calls"),
    ]


def test_assembler_rejects_a_nameless_tool_call() -> None:
    assembler = ChunkAssembler()
    assembler.feed(chunk(fragment(0, id="call_a", function={"arguments": "{}"})))
    with pytest.raises(ModelError) as caught:
        assembler.feed(chunk({}, "tool_calls"))
    assert caught.value.kind == "bad_response"


def test_assembler_needs_an_end() -> None:
    assembler = ChunkAssembler()
    assert assembler.feed(chunk({"content": "partial"})) == [TextDelta("partial")]
    with pytest.raises(ModelError) as caught:
        assembler.finish(lambda: 0)
    assert caught.value.kind == "bad_response"


def test_assembler_raises_in_stream_errors() -> None:
    with pytest.raises(ModelError) as caught:
        ChunkAssembler().feed('{"error": {"message": "model overloaded"}}')
    assert "model overloaded" in str(caught.value)


# -- SSE decoding (from an upstream that writes exact bytes) --------------------


async def _serve_writes(writes: list[bytes], head: bytes) -> asyncio.Server:
    """A raw upstream answering each request with `head`, then the body in exactly these writes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in request_head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        writer.write(head)
        for write in writes:
            writer.write(b"%x\r\n%s\r\n" % (len(write), write) if write else b"")
            await writer.drain()
            await asyncio.sleep(0.001)  # separate reads on the other side
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", 0)


SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


async def stream_from_writes(writes: list[str], head: bytes = SSE_HEAD) -> list[ModelEvent]:
    server = await _serve_writes([write.encode() for write in writes], head)
    port = server.sockets[0].getsockname()[1]
    model = OpenAICompatibleProvider(
        "scripted", f"http://127.0.0.1:{port}/v1", None, timeout=5, connect_timeout=1, max_retries=0
    )
    try:
        return [event async for event in model.stream(HELLO)]
    finally:
        await model.aclose()
        server.close()


def decode(writes: list[str]) -> list[ModelEvent]:
    """The events of a reply whose body arrives in these pieces, through the provider's own
    decoding (SseDataDecoder into ChunkAssembler), without sockets: hypothesis runs many."""
    decoder, assembler = SseDataDecoder(), ChunkAssembler()
    events: list[ModelEvent] = []
    for write in writes:
        for data in decoder.feed(write.encode()):
            events += assembler.feed(data)
    return events + assembler.finish(lambda: 0)


def _content(text: str, finish: str | None = None) -> str:
    return chunk({"content": text}, finish)


SEPARATED = "line\u2028sep"  # raw in the JSON: a line separator that must not end the SSE line
STREAM = (
    "\ufeff: heartbeat\r\n\r\n"  # a byte-order mark first is dropped
    f"data: {_content('a')}\r\n\r\n"
    "event: message\n"
    'data: {"choices": [{"index": 0,\n'
    'data:  "delta": {"content": "b"}, "finish_reason": null}]}\n\n'
    "retry: 10\n\n"  # an event with no data: nothing to assemble
    "data\n\n"  # nor with empty data
    f"id: 7\rretry: 10\rdata: {_content(SEPARATED, 'stop')}\r\r"
    "data: [DONE]\n\n"
)
EXPECTED_TEXT = ["a", "b", SEPARATED]


async def test_sse_over_a_real_connection() -> None:
    """The whole path: chunked transfer coding, reads split anywhere, the same events."""
    thirds = [STREAM[:7], STREAM[7:60], STREAM[60:61], STREAM[61:]]
    events = await stream_from_writes(thirds)
    assert [e.text for e in events if isinstance(e, TextDelta)] == EXPECTED_TEXT
    assert events[-1] == Finish("stop")


async def test_a_body_that_is_not_sse_is_a_bad_response() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    with pytest.raises(ModelError) as caught:
        await stream_from_writes(["{}"], head)
    assert caught.value.kind == "bad_response" and "application/json" in caught.value.message


def test_sse_fields_comments_and_line_endings() -> None:
    events = decode([STREAM])
    assert [e.text for e in events if isinstance(e, TextDelta)] == EXPECTED_TEXT
    assert events[-1] == Finish("stop")


@given(st.lists(st.integers(0, len(STREAM)), max_size=12))
def test_sse_any_chunking(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    events = decode([STREAM[a:b] for a, b in itertools.pairwise(points)])
    assert [e.text for e in events if isinstance(e, TextDelta)] == EXPECTED_TEXT


def test_sse_unterminated_last_event() -> None:
    """Per the WHATWG rules an event is dispatched by its blank line: a last `[DONE]` without
    one is dropped, harmlessly once the reply has finished; a finish that never ended is not."""
    finished = decode([f"data: {_content('x', 'stop')}\n\n", "data: [DONE]"])
    assert finished[0] == TextDelta("x") and finished[-1] == Finish("stop")
    with pytest.raises(ModelError) as caught:
        decode([f"data: {_content('x', 'stop')}"])
    assert caught.value.kind == "bad_response"
