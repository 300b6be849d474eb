from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from server.platform.models.builtin import BuiltinModel
from server.platform.models.openai_compatible import OpenAICompatibleProvider
from server.platform.models.registry import ModelRegistry, ModelRoute
from server.platform.models.types import (
    ChatTurn,
    Finish,
    ModelError,
    ModelEvent,
    ModelRequest,
    TextDelta,
    Usage,
)
from tests.support.openai_upstream import OpenAIUpstream

from .conftest import UPSTREAM_KEY


class Recorder:
    """A provider that records what it was asked and whether its stream was closed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.requests: list[ModelRequest] = []
        self.closed_streams = 0
        self.aclosed = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        self.requests.append(request)
        try:
            for word in ("one", " two", " three"):
                yield TextDelta(word)
            yield Usage(1, 3)
            yield Finish("stop")
        finally:
            self.closed_streams += 1

    async def aclose(self) -> None:
        self.aclosed += 1


def registry(*providers: Recorder) -> ModelRegistry:
    return ModelRegistry(
        {p.name: p for p in providers},
        [
            ModelRoute("gpt-4", "remote", "upstream-gpt"),
            ModelRoute("@cf/meta/llama-3.1-8b-instruct", "remote", "llama3.1:8b"),
            ModelRoute("chorus-builtin", "local", "builtin"),
        ],
        default_model="chorus-builtin",
    )


def request(model: str) -> ModelRequest:
    return ModelRequest(model=model, messages=(ChatTurn("user", "hi"),))


def test_resolve() -> None:
    remote, local = Recorder("remote"), Recorder("local")
    models = registry(remote, local)
    assert models.resolve("gpt-4") == (remote, "upstream-gpt")
    assert models.resolve("@cf/meta/llama-3.1-8b-instruct") == (remote, "llama3.1:8b")
    assert models.resolve(None) == (local, "builtin")
    assert models.resolve("") == (local, "builtin")
    assert models.public_ids() == ["gpt-4", "@cf/meta/llama-3.1-8b-instruct", "chorus-builtin"]


def test_unknown_model() -> None:
    with pytest.raises(ModelError) as caught:
        registry(Recorder("remote"), Recorder("local")).resolve("gpt-5")
    assert caught.value.kind == "unknown_model"
    assert "gpt-5" in str(caught.value)


@pytest.mark.parametrize(
    ("routes", "default"),
    [
        ([ModelRoute("a", "missing", "a")], "a"),  # unknown provider
        ([ModelRoute("a", "local", "a"), ModelRoute("a", "local", "b")], "a"),  # duplicate
        ([ModelRoute("a", "local", "a")], "b"),  # default without a route
    ],
)
def test_invalid_configuration(routes: list[ModelRoute], default: str) -> None:
    with pytest.raises(ValueError):
        ModelRegistry({"local": Recorder("local")}, routes, default)


async def test_stream_substitutes_the_upstream_model() -> None:
    remote = Recorder("remote")
    events = [e async for e in registry(remote, Recorder("local")).stream(request("gpt-4"))]
    assert events[-1] == Finish("stop")
    assert remote.requests == [request("upstream-gpt")]


async def test_stream_of_unknown_model_fails_before_any_event() -> None:
    with pytest.raises(ModelError) as caught:
        async for _ in registry(Recorder("remote"), Recorder("local")).stream(request("nope")):
            pass
    assert caught.value.kind == "unknown_model"


async def test_stopping_early_closes_the_provider_stream() -> None:
    remote = Recorder("remote")
    stream = registry(remote, Recorder("local")).stream(request("gpt-4"))
    assert await anext(stream) == TextDelta("one")
    await stream.aclose()  # type: ignore[attr-defined]
    assert remote.closed_streams == 1


async def test_aclose_closes_each_provider_once() -> None:
    shared = Recorder("shared")
    models = ModelRegistry(
        {"a": shared, "b": shared},
        [ModelRoute("x", "a", "x"), ModelRoute("y", "b", "y")],
        default_model="x",
    )
    await models.aclose()
    assert shared.aclosed == 1


async def test_routes_to_real_providers(upstream: OpenAIUpstream) -> None:
    remote = OpenAICompatibleProvider(
        "remote", upstream.base_url, UPSTREAM_KEY, timeout=5, connect_timeout=2, max_retries=0
    )
    models = ModelRegistry(
        {"remote": remote, "builtin": BuiltinModel()},
        [
            ModelRoute("gpt-4", "remote", "upstream-model"),
            ModelRoute("chorus-builtin", "builtin", "builtin"),
        ],
        default_model="chorus-builtin",
    )
    try:
        remote_text = "".join([e.text async for e in models.stream(request("gpt-4")) if isinstance(e, TextDelta)])
        local_text = "".join([e.text async for e in models.stream(request("")) if isinstance(e, TextDelta)])
    finally:
        await models.aclose()
    assert remote_text == "echo: hi"
    assert 'You said: "hi"' in local_text
    [sent] = upstream.chat_requests()
    assert sent.body["model"] == "upstream-model"
