from __future__ import annotations

import asyncio
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.platform.models.builtin import DESCRIPTION, BuiltinModel
from server.platform.models.tokenizer import (
    MESSAGE_OVERHEAD,
    count_prompt_tokens,
    count_tokens,
    tokenize,
)
from server.platform.models.types import (
    ChatTurn,
    Finish,
    ModelError,
    ModelEvent,
    ModelProvider,
    ModelRequest,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "verbose": {"type": "boolean"},
        },
        "required": ["city", "days", "unit"],
    },
)
SEARCH = ToolSpec("search", "Search the web", {"type": "object", "properties": {}})


def user(text: str) -> ModelRequest:
    return ModelRequest(model="builtin", messages=(ChatTurn("user", text),))


async def collect(request: ModelRequest, model: ModelProvider | None = None) -> list[ModelEvent]:
    return [event async for event in (model or BuiltinModel()).stream(request)]


def text_of(events: list[ModelEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def calls_of(events: list[ModelEvent]) -> list[ToolCall]:
    return [e for e in events if isinstance(e, ToolCall)]


def assert_well_formed(events: list[ModelEvent]) -> None:
    assert isinstance(events[-1], Finish)
    assert isinstance(events[-2], Usage)
    assert all(isinstance(e, TextDelta | ToolCall) for e in events[:-2])


# -- tokenizer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("Multi-tenant architecture", ["Multi", "-", "tenant", " architecture"]),
        ("Hello, world!", ["Hello", ",", " world", "!"]),
        ("a (b)", ["a", " (", "b", ")"]),
        ("a\n\n  b", ["a", "\n\n ", " b"]),
        ("internationalization", ["internationa", "lization"]),
        ("", []),
    ],
)
def test_tokenize_examples(text: str, pieces: list[str]) -> None:
    assert tokenize(text) == pieces
    assert count_tokens(text) == len(pieces)


@given(st.text())
def test_tokenize_round_trips(text: str) -> None:
    pieces = tokenize(text)
    assert "".join(pieces) == text
    assert all(pieces)
    assert count_tokens(text) == len(pieces)


# -- text replies ------------------------------------------------------------


async def test_same_input_same_output() -> None:
    request = ModelRequest(
        model="builtin",
        messages=(ChatTurn("system", "Be brief."), ChatTurn("user", "What is Chorus?")),
    )
    first, second = await collect(request), await collect(request)
    assert first == second
    assert_well_formed(first)
    assert first[-1] == Finish("stop")


async def test_reply_restates_the_message_and_counts_turns() -> None:
    request = ModelRequest(
        model="builtin",
        messages=(
            ChatTurn("user", "Hi"),
            ChatTurn("assistant", "Hello"),
            ChatTurn("user", "What is multi-tenant architecture?"),
        ),
    )
    text = text_of(await collect(request))
    assert '"What is multi-tenant architecture?"' in text
    assert "user turn 2 of a 3-message conversation" in text
    assert "development model" in text


@pytest.mark.parametrize(
    "other",
    [
        ModelRequest("builtin", (ChatTurn("user", "Hello there!"),)),
        ModelRequest("builtin", (ChatTurn("system", "Pirate."), ChatTurn("user", "Hello!"))),
        ModelRequest("builtin", (ChatTurn("user", "x"), ChatTurn("assistant", "y"), ChatTurn("user", "Hello!"))),
    ],
)
async def test_different_input_different_output(other: ModelRequest) -> None:
    assert text_of(await collect(user("Hello!"))) != text_of(await collect(other))


async def test_deltas_are_word_pieces() -> None:
    events = await collect(user("Multi-tenant architecture, explained."))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert deltas == tokenize("".join(deltas))
    assert "-" in deltas


async def test_long_prompt_long_reply() -> None:
    prompt = " ".join(f"word{i}" for i in range(2000))
    events = await collect(user(prompt))
    assert prompt in text_of(events)
    assert len([e for e in events if isinstance(e, TextDelta)]) > 2000


async def test_usage_counts_prompt_and_streamed_tokens() -> None:
    messages = (ChatTurn("system", "You are terse."), ChatTurn("user", "Count me, please."))
    events = await collect(ModelRequest("builtin", messages))
    usage = events[-2]
    expected_prompt = sum(MESSAGE_OVERHEAD + count_tokens(m.content) for m in messages)
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert usage == Usage(expected_prompt, len(deltas))


async def test_usage_counts_offered_tools() -> None:
    request = ModelRequest("builtin", (ChatTurn("user", "hi"),), tools=(WEATHER,))
    usage = (await collect(request))[-2]
    assert isinstance(usage, Usage)
    assert usage.prompt_tokens == count_prompt_tokens(request.messages, request.tools)
    assert usage.prompt_tokens > MESSAGE_OVERHEAD + 1


@pytest.mark.parametrize("limit", [0, 1, 5])
async def test_max_tokens_truncates_with_length(limit: int) -> None:
    full = await collect(user("Tell me everything about streaming."))
    events = await collect(ModelRequest("builtin", (ChatTurn("user", "Tell me everything about streaming."),), limit))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert deltas == [e for e in full if isinstance(e, TextDelta)][:limit]
    full_usage = full[-2]
    assert isinstance(full_usage, Usage)
    assert events[-2:] == [Usage(full_usage.prompt_tokens, limit), Finish("length")]


async def test_max_tokens_above_reply_length_stops_normally() -> None:
    events = await collect(ModelRequest("builtin", (ChatTurn("user", "hi"),), max_tokens=10_000))
    assert events[-1] == Finish("stop")


async def test_stop_sequence_cuts_the_reply() -> None:
    request = ModelRequest("builtin", (ChatTurn("user", "alpha STOP beta"),), stop=("STOP",))
    events = await collect(request)
    assert text_of(events) == 'You said: "alpha '
    assert events[-1] == Finish("stop")


# -- tool rules --------------------------------------------------------------


async def test_tool_directive_calls_the_tool() -> None:
    request = ModelRequest(
        "builtin",
        (ChatTurn("user", 'Please check.\n/tool get_weather {"city": "Oslo"}'),),
        tools=(WEATHER, SEARCH),
    )
    events = await collect(request)
    assert_well_formed(events)
    assert not [e for e in events if isinstance(e, TextDelta)]
    [call] = calls_of(events)
    assert call.name == "get_weather"
    assert call.arguments == '{"city": "Oslo"}'
    assert re.fullmatch(r"call_[0-9a-f]{16}", call.id)
    assert events[-1] == Finish("tool_calls")
    assert calls_of(await collect(request)) == [call]  # stable ids


async def test_several_directives_make_parallel_calls() -> None:
    request = ModelRequest(
        "builtin",
        (ChatTurn("user", '/tool search {"q": "a"}\n/tool get_weather\n/tool search {"q": "b"}'),),
        tools=(WEATHER, SEARCH),
    )
    calls = calls_of(await collect(request))
    assert [(c.name, c.arguments) for c in calls] == [
        ("search", '{"q": "a"}'),
        ("get_weather", "{}"),
        ("search", '{"q": "b"}'),
    ]
    assert len({c.id for c in calls}) == 3


@pytest.mark.parametrize(
    ("line", "tools", "choice"),
    [
        ('/tool get_weather {"city": "Oslo"}', (), None),  # no tools offered
        ('/tool get_weather {"city": "Oslo"}', (WEATHER,), "none"),  # calls disabled
        ('/tool unknown {"city": "Oslo"}', (WEATHER,), "auto"),  # not offered
        ("/tool get_weather {not json", (WEATHER,), None),  # bad arguments
        ("/tool get_weather [1, 2]", (WEATHER,), None),  # not an object
    ],
)
async def test_non_directives_get_text(line: str, tools: tuple[ToolSpec, ...], choice: str | None) -> None:
    request = ModelRequest("builtin", (ChatTurn("user", line),), tools=tools, tool_choice=choice)
    events = await collect(request)
    assert not calls_of(events)
    assert line in text_of(events)
    assert events[-1] == Finish("stop")


async def test_named_tool_choice_forces_a_call_with_schema_arguments() -> None:
    request = ModelRequest(
        "builtin",
        (ChatTurn("user", "Weather in Lima"),),
        tools=(SEARCH, WEATHER),
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    [call] = calls_of(await collect(request))
    assert call.name == "get_weather"
    assert call.arguments == '{"city":"Weather in Lima","days":0,"unit":"celsius"}'


async def test_named_tool_choice_uses_a_matching_directive() -> None:
    request = ModelRequest(
        "builtin",
        (ChatTurn("user", '/tool search {"q": "x"}\n/tool get_weather {"city": "Rome"}'),),
        tools=(SEARCH, WEATHER),
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    assert [(c.name, c.arguments) for c in calls_of(await collect(request))] == [("get_weather", '{"city": "Rome"}')]


async def test_required_calls_the_first_tool() -> None:
    request = ModelRequest("builtin", (ChatTurn("user", "anything"),), tools=(SEARCH, WEATHER), tool_choice="required")
    events = await collect(request)
    assert [(c.name, c.arguments) for c in calls_of(events)] == [("search", "{}")]
    assert events[-1] == Finish("tool_calls")


async def test_tool_choice_naming_an_unoffered_tool_is_rejected() -> None:
    request = ModelRequest(
        "builtin",
        (ChatTurn("user", "hi"),),
        tools=(SEARCH,),
        tool_choice={"type": "function", "function": {"name": "nope"}},
    )
    with pytest.raises(ModelError) as caught:
        await collect(request)
    assert caught.value.kind == "rejected"


async def test_tool_result_gets_a_summary_so_loops_end() -> None:
    ask = ChatTurn("user", '/tool get_weather {"city": "Oslo"}')
    first = ModelRequest("builtin", (ask,), tools=(WEATHER,))
    [call] = calls_of(await collect(first))
    follow_up = ModelRequest(
        "builtin",
        (
            ask,
            ChatTurn("assistant", "", tool_calls=(call,)),
            ChatTurn("tool", '{"temp": 3, "sky": "snow"}', tool_call_id=call.id),
        ),
        tools=(WEATHER,),
    )
    events = await collect(follow_up)
    assert not calls_of(events)
    assert text_of(events).startswith('The get_weather tool returned "{"temp": 3, "sky": "snow"}"')
    assert events[-1] == Finish("stop")


async def test_long_tool_results_are_quoted_briefly() -> None:
    request = ModelRequest(
        "builtin",
        (ChatTurn("user", "go"), ChatTurn("tool", "data " * 500, name="dump")),
    )
    text = text_of(await collect(request))
    assert text.startswith('The dump tool returned "data data')
    assert "…" in text
    assert count_tokens(text) < 80


# -- pacing and cancellation -------------------------------------------------


async def test_cancellation_stops_generation() -> None:
    model = BuiltinModel(token_delay=0.05)
    stream = model.stream(user("one two three four five six seven eight nine ten " * 5))
    assert hasattr(stream, "ag_frame")  # an async generator
    received: list[ModelEvent] = []
    three = asyncio.Event()

    async def consume() -> None:
        async for event in stream:
            received.append(event)
            if len(received) == 3:
                three.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(three.wait(), 2)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.05  # it did not wait out the next token
    assert stream.ag_frame is None  # the generator is finished
    count = len(received)
    await asyncio.sleep(0.1)
    assert len(received) == count < 10
    assert not any(isinstance(e, Usage | Finish) for e in received)


async def test_token_delay_paces_the_stream() -> None:
    started = time.monotonic()
    events = await collect(user("a b c d e"), BuiltinModel(token_delay=0.005))
    deltas = len([e for e in events if isinstance(e, TextDelta)])
    assert time.monotonic() - started >= deltas * 0.005 * 0.9


async def test_no_delay_still_yields_to_the_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await collect(user("word " * 500))
    task.cancel()
    assert ticks > 100


def test_describe_says_what_it_is() -> None:
    assert BuiltinModel.describe() == DESCRIPTION
    assert "development" in DESCRIPTION and "deterministic" in DESCRIPTION
    with pytest.raises(ValueError):
        BuiltinModel(token_delay=-1)
