"""`POST /agent/completion`: the platform's agent loop, in two modes.

Client-side mode sends the whole conversation (`messages`) and stores
nothing. Server-side mode sends one `message`, the session's stored messages
are the context, and the turn (the message and the reply, with its tool
calls) is stored once the reply is whole; without a `session_id` a session
is created first. Limits (document, "Request Size Limits") are checked
before any work: 400 naming the limit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import orjson

from server.platform.admission.quotas import Quotas
from server.platform.agent.loop import AgentLoop, AgentReply, TokenOut
from server.platform.agent.tool_box import AssistantTool, ToolBox
from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage, new_message_id
from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, invalid_argument
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ChatTurn, Usage
from server.platform.scope import Scope
from server.surfaces.agentchassis.mcp_tools import McpTools
from server.surfaces.agentchassis.sessions import AgentSessions, SessionInfo

MAX_MESSAGES = 100
MAX_CONTENT = 100_000
MAX_METADATA_BYTES = 10 * 1024
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True, slots=True)
class CompletionInput:
    messages: tuple[tuple[str, str], ...] = ()  # (role, content)
    message: str | None = None
    session_id: str | None = None
    model: str = ""
    allowed_tools: tuple[str, ...] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _too_big(message: str, name: str) -> ChorusError:
    return invalid_argument(message, (FieldViolation(name, "too_long"),))


def check_limits(request: CompletionInput) -> None:
    if request.messages and request.message is not None:
        raise invalid_argument("Send either 'messages' (client-side mode) or 'message' (server-side mode), not both")
    if not request.messages and request.message is None:
        raise invalid_argument("Send 'messages' (client-side mode) or 'message' (server-side mode)")
    if request.messages and request.session_id is not None:
        raise invalid_argument("'session_id' goes with 'message' (server-side mode), not with 'messages'")
    if len(request.messages) > MAX_MESSAGES:
        raise _too_big(f"Too many messages: at most {MAX_MESSAGES} per request", "messages")
    for index, (role, content) in enumerate(request.messages):
        if role not in ROLES:
            raise invalid_argument(
                f"messages[{index}].role must be one of {', '.join(ROLES)}", (FieldViolation("messages", "role"),)
            )
        if len(content) > MAX_CONTENT:
            raise _too_big(f"Message content exceeds the maximum of {MAX_CONTENT} characters", "messages")
    if request.message is not None and len(request.message) > MAX_CONTENT:
        raise _too_big(f"Message content exceeds the maximum of {MAX_CONTENT} characters", "message")
    if len(orjson.dumps(request.metadata)) > MAX_METADATA_BYTES:
        raise _too_big(f"Metadata exceeds the maximum of {MAX_METADATA_BYTES // 1024} KB", "metadata")


def model_failure(message: str) -> Exception:
    return ChorusError(grpc.StatusCode.UNAVAILABLE, "MODEL_ERROR", message)


async def _unmetered(scope: Scope, usage: Usage) -> None:
    """Agent Chassis has no token quotas: usage is not counted."""


@dataclass
class Turn:
    session_id: str | None
    events: AsyncGenerator[str, None]


class ChassisAgent:
    def __init__(
        self,
        models: ModelRegistry,
        tools: Sequence[AssistantTool],
        quotas: Quotas,
        store: ConversationStore,
        sessions: AgentSessions,
        clock: Clock,
        *,
        tenant_id: str,
        context_messages: int,
        max_tool_rounds: int,
        mcp: McpTools | None = None,
    ) -> None:
        self._models = models
        self._tools = list(tools)
        self._quotas = quotas
        self._store = store
        self._sessions = sessions
        self._clock = clock
        self._tenant = tenant_id
        self._context = context_messages
        self._rounds = max_tool_rounds
        self._mcp = mcp

    async def _toolbox(self, allowed: tuple[str, ...] | None) -> ToolBox:
        tools = self._tools + (await self._mcp.tools() if self._mcp is not None else [])
        if allowed is not None:
            names = {t.spec.name for t in tools}
            unknown = sorted(set(allowed) - names)
            if unknown:
                raise invalid_argument(
                    f"Unknown tool(s) in allowed_tools: {', '.join(unknown)}; available: {', '.join(sorted(names))}",
                    (FieldViolation("allowed_tools", "unknown"),),
                )
        return ToolBox(tools, self._quotas, allowed)

    async def complete(self, caller_id: str, request: CompletionInput, route: str) -> Turn:
        """Checks the request and opens the session; the turn runs as `events` are read."""
        check_limits(request)
        tools = await self._toolbox(request.allowed_tools)
        loop = AgentLoop(
            self._models,
            tools,
            meter=_unmetered,
            model_failure=model_failure,
            model=route,
            max_tool_rounds=self._rounds,
        )
        if request.message is None:
            turns = [ChatTurn(role, content) for role, content in request.messages]
            return Turn(None, self._run(loop, Scope(self._tenant, caller_id), turns, None, None, request))
        if request.session_id is not None:
            session = await self._sessions.open(request.session_id, caller_id, request.metadata)
        else:
            session = await self._sessions.create(caller_id, request.metadata)
        owner = Scope(self._tenant, session.owner_id)
        stored = await self._store.context(owner, session.id, self._context)
        turns = [ChatTurn(m.role, m.content) for m in stored if m.content or m.role == "user"]
        turns.append(ChatTurn("user", request.message))
        return Turn(session.id, self._run(loop, owner, turns, session, request.message, request))

    async def _run(
        self,
        loop: AgentLoop,
        scope: Scope,
        turns: list[ChatTurn],
        session: SessionInfo | None,
        message: str | None,
        request: CompletionInput,
    ) -> AsyncGenerator[str, None]:
        reply = AgentReply()
        started_ms = self._clock.now_ms()
        async for event in loop.run(scope, turns, "auto", reply):
            if isinstance(event, TokenOut):
                yield event.text
        if session is None or message is None:
            return
        now = self._clock.now_ms()
        await self._store.append(
            scope,
            session.id,
            [
                NewMessage(new_message_id(), "user", message, started_ms),
                NewMessage(new_message_id(), "assistant", reply.content, now, tuple(reply.invocations)),
            ],
        )
        await self._sessions.touch(session.id, request.metadata if request.session_id is not None else None)
