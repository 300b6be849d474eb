"""The platform tool registry as another surface would reuse it: the same tools offered to a
model in the agent loop, their typed arguments checked there too; and summarize's length rule."""

from __future__ import annotations

import grpc
import pytest

from server.config import ModelSettings
from server.platform.admission.quotas import Quotas
from server.platform.admission.rate_limit import RateLimiter
from server.platform.agent.loop import AgentLoop, AgentReply, ToolResultOut
from server.platform.agent.tool_box import TOOL_ERROR, ToolBox
from server.platform.errors import ChorusError
from server.platform.models.setup import build_model_registry
from server.platform.models.types import ChatTurn
from server.platform.scope import Scope
from server.platform.tools.registry import ToolRegistry
from server.platform.tools.summarize import fit
from server.platform.tools.text_tools import TEXT_TOOLS

SCOPE = Scope("acme", "alice")


def _loop() -> AgentLoop:
    registry = ToolRegistry(TEXT_TOOLS)
    return AgentLoop(
        build_model_registry(ModelSettings()),
        ToolBox(registry.assistant_tools(), Quotas(RateLimiter(), (), "t", "OVER")),
        meter=lambda scope, usage: _nothing(),
        model_failure=lambda message: ChorusError(grpc.StatusCode.UNAVAILABLE, "AGENT_MODEL", message),
    )


async def _nothing() -> None:
    return None


async def _run(text: str) -> list[object]:
    turns = [ChatTurn("user", text)]
    return [event async for event in _loop().run(SCOPE, turns, "auto", AgentReply())]


async def test_a_model_calls_a_registry_tool() -> None:
    events = await _run('/tool word_count {"text": "One two three. Four."}')
    results = [e for e in events if isinstance(e, ToolResultOut)]
    assert [r.name for r in results] == ["word_count"]
    assert results[0].result["words"] == 4 and results[0].result["sentences"] == 2


async def test_a_models_bad_arguments_are_a_tool_error_listing_them() -> None:
    with pytest.raises(ChorusError) as failed:
        await _run('/tool word_count {"text": 5}')
    assert failed.value.reason == TOOL_ERROR
    assert failed.value.message == (
        "The word_count tool failed: Validation error (args.text: Input should be a valid string)"
    )


@pytest.mark.parametrize(
    ("text", "limit", "fitted"),
    [
        ("Short enough.", 20, "Short enough."),
        ("First sentence here. Second one is longer than the limit.", 30, "First sentence here."),
        ("One long sentence without any stop that runs on and on", 20, "One long sentence…"),
        ("  Spaces\n\nare   folded.  ", 40, "Spaces are folded."),
    ],
)
def test_summaries_fit_their_limit(text: str, limit: int, fitted: str) -> None:
    assert fit(text, limit) == fitted
    assert len(fit(text, limit)) <= limit
