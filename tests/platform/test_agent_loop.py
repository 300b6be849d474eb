"""The platform's agent loop on its own, as a new surface would use it: the builtin
model, one tool, a quota, an injected meter and model-failure error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from limits import RateLimitItemPerDay

from server.config import ModelSettings
from server.platform.admission.quotas import Quota, Quotas
from server.platform.admission.rate_limit import RateLimiter
from server.platform.agent.loop import AgentLoop, AgentReply, TokenOut, ToolCallOut, ToolResultOut
from server.platform.agent.tool_box import AssistantTool, ToolBox, object_schema
from server.platform.errors import ChorusError
from server.platform.models.registry import ModelRegistry, ModelRoute
from server.platform.models.setup import build_model_registry
from server.platform.models.types import ChatTurn, ModelEvent, ModelRequest, TextDelta, ToolCall, ToolSpec, Usage
from server.platform.scope import Scope

SCOPE = Scope("acme", "alice")


class Agent:
    def __init__(self, *, max_tool_rounds: int = 4, lookups_per_day: int = 5) -> None:
        self.metered: list[int] = []
        self.quotas = Quotas(
            RateLimiter(), (Quota("lookups", RateLimitItemPerDay(lookups_per_day), "lookups per day"),), "t", "OVER"
        )

        async def lookup(scope: Scope, args: dict[str, Any]) -> Any:
            return {"owner": scope.owner_id, "found": [args.get("q")]}

        async def meter(scope: Scope, usage: Usage) -> None:
            self.metered.append(usage.total_tokens)

        spec = ToolSpec("lookup", "Looks a word up", object_schema({"q": {"type": "string"}}))
        tools = ToolBox([AssistantTool(spec, lookup, quota="lookups")], self.quotas)
        self.loop = AgentLoop(
            build_model_registry(ModelSettings()),
            tools,
            meter=meter,
            model_failure=lambda message: ChorusError(grpc.StatusCode.UNAVAILABLE, "AGENT_MODEL", message),
            max_tool_rounds=max_tool_rounds,
        )

    async def run(self, text: str, tool_choice: str = "auto") -> tuple[list[Any], AgentReply, list[ChatTurn]]:
        turns = [ChatTurn("system", "You look words up."), ChatTurn("user", text)]
        reply = AgentReply()
        events = [event async for event in self.loop.run(SCOPE, turns, tool_choice, reply)]
        return events, reply, turns


async def test_a_tool_round_then_an_answer_metered_per_model_call() -> None:
    agent = Agent()
    events, reply, turns = await agent.run('/tool lookup {"q": "chorus"}')
    call, result = events[0], events[1]
    assert isinstance(call, ToolCallOut) and call.name == "lookup" and call.args == {"q": "chorus"}
    assert isinstance(result, ToolResultOut) and result.id == call.id
    assert result.result == {"owner": "alice", "found": ["chorus"]}
    assert all(isinstance(event, TokenOut) for event in events[2:]) and reply.content.startswith("The lookup tool")
    assert [(i.name, i.result) for i in reply.invocations] == [("lookup", result.result)]
    # The loop extends the caller's turns with the call and its result.
    assert [t.role for t in turns] == ["system", "user", "assistant", "tool"]
    assert len(agent.metered) == 2 and all(tokens > 0 for tokens in agent.metered)
    assert (await agent.quotas.check("lookups", "alice")).remaining == 4


async def test_the_round_limit_makes_the_model_answer() -> None:
    events, reply, _ = await Agent(max_tool_rounds=0).run('/tool lookup {"q": "x"}', tool_choice="required")
    assert events and all(isinstance(event, TokenOut) for event in events) and not reply.invocations


async def test_a_used_up_quota_refuses_the_tool_with_the_surfaces_reason() -> None:
    agent = Agent(lookups_per_day=1)
    await agent.run('/tool lookup {"q": "a"}')
    with pytest.raises(ChorusError) as refused:
        await agent.run('/tool lookup {"q": "b"}')
    assert refused.value.reason == "OVER" and refused.value.info == {"quota": "lookups"}


class _CallsAnUnofferedTool:
    """A model that ignores the offered tools: it calls `lookup` first, then answers."""

    name = "unruly"

    def __init__(self) -> None:
        self.offered: list[tuple[str, ...]] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        self.offered.append(tuple(t.name for t in request.tools))
        if request.messages[-1].role == "tool":
            yield TextDelta(f"told: {request.messages[-1].content}")
        else:
            yield ToolCall("call_1", "lookup", '{"q": "x"}')

    async def probe(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_a_tool_outside_allowed_is_refused_and_the_model_told() -> None:
    ran: list[dict[str, Any]] = []

    async def lookup(scope: Scope, args: dict[str, Any]) -> Any:
        ran.append(args)
        return "found"

    async def words(scope: Scope, args: dict[str, Any]) -> Any:
        return 0

    model = _CallsAnUnofferedTool()
    tools = ToolBox(
        [
            AssistantTool(ToolSpec("lookup", "Looks a word up", object_schema({})), lookup),
            AssistantTool(ToolSpec("words", "Counts words", object_schema({})), words),
        ],
        Quotas(RateLimiter(), (), "t", "OVER"),
        allowed={"words"},
    )
    loop = AgentLoop(
        ModelRegistry({"unruly": model}, [ModelRoute("m", "unruly", "m")], "m"),
        tools,
        meter=lambda scope, usage: asyncio.sleep(0),
        model_failure=lambda message: ChorusError(grpc.StatusCode.UNAVAILABLE, "AGENT_MODEL", message),
    )
    reply = AgentReply()
    events = [e async for e in loop.run(SCOPE, [ChatTurn("user", "go")], "auto", reply)]
    assert model.offered[0] == ("words",)  # only the allowed tool is offered
    assert not ran  # and the other never runs
    result = next(e for e in events if isinstance(e, ToolResultOut))
    assert result.result == {"error": "Tool 'lookup' is not allowed in this request"}
    assert reply.content == 'told: {"error":"Tool \'lookup\' is not allowed in this request"}'
