"""One MCoS chat turn: the model, the tools it calls, and the stored messages.

The rounds of model and tool calls are the platform's agent loop
(`server/platform/agent/loop.py`), for at most `chat.max_tool_rounds` rounds;
MCoS gives it its prompt, its tools, its LLM_ERROR, and a meter that spends
every model call's tokens from the user's daily `llm_tokens`.

Messages come as the document shows them (`content` a string) or as
assistant-ui posts them (`content` an array of parts, `attachments`): see
`message_parts`.

Context: the conversation's active stored messages (newest
`chat.context_messages`) then the new user message. A client that sends
earlier user/assistant messages (assistant-ui sends the whole thread) gets
those instead of the stored ones for this turn; system messages it sends
are always kept. Only the new user message and the reply are stored.

Storage: the user message and the reply (with its tool invocations) are
written together once the turn ends, however it ends. A whole turn is stored
as is; a client that goes away keeps what it was shown, marked incomplete; a
turn that fails after it began (LLM_ERROR, TOOL_ERROR, a tool's quota) keeps
the question and what the reply produced before the error, marked failed
with the error the client was sent, so history shows what happened (a
refused request, one that never began, stores nothing). A reply with neither
text nor tool calls is left out of the model's context, so a failed turn
reads to the model as an unanswered question.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import grpc
from chorus_contracts.mcos.v1 import resources_pb2

from server.platform.admission.quotas import Quotas
from server.platform.agent.loop import (
    TOOL_CHOICES,
    AgentEvent,
    AgentLoop,
    AgentReply,
    ToolInvocation,
    invocation_turns,
)
from server.platform.agent.tool_box import ToolBox
from server.platform.chat.messages import ConversationMessage, NewMessage, ReplyFailure, new_message_id
from server.platform.clock import Clock
from server.platform.completion import run_to_completion
from server.platform.document_enums import DocumentEnum
from server.platform.errors import ChorusError
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ChatTurn, Usage
from server.platform.scope import Scope
from server.platform.times import rfc3339_ms
from server.platform.validation import Violations
from server.surfaces.mcos.conversations import ConversationService, check_conversation_id
from server.surfaces.mcos.message_parts import message_text
from server.surfaces.mcos.quotas import LLM_TOKENS

MAX_MESSAGES = 100
MAX_CONTENT_CHARS = 32_000
# The document's roles, from the contract (mcos.v1.Role).
ROLE = DocumentEnum(resources_pb2.Role)
ROLES = ROLE.choices
LLM_ERROR = "LLM_ERROR"
INTERNAL_ERROR = "INTERNAL_ERROR"
# The document's codes a turn can fail with once it has begun; anything else
# is stored as the INTERNAL_ERROR the client was shown.
_TURN_FAILURE_CODES = frozenset({LLM_ERROR, "TOOL_ERROR", "RATE_LIMIT_EXCEEDED"})

log = logging.getLogger("chorus.mcos.assistant")

SYSTEM_PROMPT = (
    "You are the Micro Chief of Staff, a concise personal assistant. Use the tools to search and "
    "rank flights, manage the user's tasks and pin memories; answer from their results. "
    "The current time is {now} (UTC)."
)


@dataclass(frozen=True, slots=True)
class TurnMessage:
    role: str
    content: Any  # a string, or content parts (parsed JSON); None when absent
    attachments: tuple[Any, ...] = ()  # assistant-ui attachments (parsed JSON)


@dataclass(frozen=True, slots=True)
class TurnRequest:
    messages: Sequence[TurnMessage]
    tool_choice: str = ""  # "" means "auto"
    conversation_id: str = ""  # "" means a new conversation


@dataclass(frozen=True, slots=True)
class TurnDone:
    message_id: str
    conversation_id: str
    content: str
    tool_calls: tuple[ToolInvocation, ...]


TurnEvent = AgentEvent | TurnDone


def validate(request: TurnRequest) -> list[ChatTurn]:
    """The request's messages as text turns; VALIDATION_ERROR, with every
    field at fault, for a malformed turn."""
    problems = Violations()
    turns: list[ChatTurn] = []
    if not request.messages:
        problems.add("messages", "At least one message is required")
    elif len(request.messages) > MAX_MESSAGES:
        problems.add("messages", f"At most {MAX_MESSAGES} messages are allowed")
    else:
        for index, message in enumerate(request.messages):
            if message.role not in ROLES:
                problems.add(f"messages.{index}.role", "Must be one of: " + ", ".join(ROLES))
            found = len(problems.items)
            text = message_text(problems, f"messages.{index}", message.content, message.attachments)
            if len(problems.items) == found:  # its parts were fine: now the text as a whole
                problems.length(f"messages.{index}.content", text, 1, MAX_CONTENT_CHARS)
            turns.append(ChatTurn(message.role, text))
        last = len(request.messages) - 1
        if request.messages[last].role in ROLES and request.messages[last].role != "user":
            problems.add(f"messages.{last}.role", "The last message must be the user's")
    if request.tool_choice and request.tool_choice not in TOOL_CHOICES:
        problems.add("tool_choice", "Must be 'auto', 'none' or 'required'")
    check_conversation_id(problems, "conversation_id", request.conversation_id)
    problems.raise_if_any()
    return turns


def llm_error(message: str) -> ChorusError:
    return ChorusError(grpc.StatusCode.UNAVAILABLE, LLM_ERROR, message)


class Assistant:
    def __init__(
        self,
        conversations: ConversationService,
        models: ModelRegistry,
        tools: ToolBox,
        quotas: Quotas,
        clock: Clock,
        *,
        model: str = "",
        context_messages: int = 20,
        max_tool_rounds: int = 4,
    ) -> None:
        self._conversations = conversations
        self._quotas = quotas
        self._clock = clock
        self._context_messages = context_messages
        self._loop = AgentLoop(
            models,
            tools,
            meter=self._spend_tokens,
            model_failure=llm_error,
            model=model,
            max_tool_rounds=max_tool_rounds,
        )

    async def turn(self, scope: Scope, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        """Validates, then yields the turn's events; the last is a `TurnDone`
        once both messages are stored."""
        sent = validate(request)
        received_ms = self._clock.now_ms()
        conversation_id = request.conversation_id or str(uuid.uuid4())
        question = sent[-1].content
        turns = await self._context(scope, conversation_id, sent, received_ms)
        reply = AgentReply()
        try:
            async with aclosing(self._loop.run(scope, turns, request.tool_choice or "auto", reply)) as events:
                async for event in events:
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            # The client went away mid-reply: keep what it was shown.
            await self._save(scope, conversation_id, question, received_ms, reply, new_message_id(), incomplete=True)
            raise
        except Exception as exc:
            # The turn failed: keep the question and the reply so far, with the error.
            try:
                await self._save(
                    scope, conversation_id, question, received_ms, reply, new_message_id(), failure=_failure(exc)
                )
            except Exception:
                log.exception("storing a failed chat turn failed")  # the client gets the turn's own error
            raise
        message_id = new_message_id()
        await self._save(scope, conversation_id, question, received_ms, reply, message_id)
        yield TurnDone(message_id, conversation_id, reply.content, tuple(reply.invocations))

    async def _spend_tokens(self, scope: Scope, usage: Usage) -> None:
        await self._quotas.spend(LLM_TOKENS, scope.owner_id, usage.total_tokens)

    async def _context(
        self, scope: Scope, conversation_id: str, messages: Sequence[ChatTurn], now_ms: int
    ) -> list[ChatTurn]:
        system = [ChatTurn("system", SYSTEM_PROMPT.format(now=rfc3339_ms(now_ms)))]
        system += [ChatTurn("system", m.content) for m in messages if m.role == "system"]
        earlier = [ChatTurn(m.role, m.content) for m in messages[:-1] if m.role != "system"]
        if not earlier:
            stored = await self._conversations.context(scope, conversation_id, self._context_messages)
            earlier = [turn for message in stored for turn in _stored_turns(message)]
        return [*system, *earlier, ChatTurn("user", messages[-1].content)]

    async def _save(
        self,
        scope: Scope,
        conversation_id: str,
        question: str,
        received_ms: int,
        reply: AgentReply,
        message_id: str,
        *,
        incomplete: bool = False,
        failure: ReplyFailure | None = None,
    ) -> None:
        """Stores the question and the reply. Once started this finishes, cancelled
        or not: a cancel landing mid-commit must neither lose the turn nor store it twice."""
        await run_to_completion(
            self._conversations.append(
                scope,
                conversation_id,
                [
                    NewMessage(new_message_id(), "user", question, received_ms),
                    NewMessage(
                        message_id,
                        "assistant",
                        reply.content,
                        max(self._clock.now_ms(), received_ms),
                        tuple(reply.invocations),
                        incomplete,
                        failure,
                    ),
                ],
            )
        )


def _failure(exc: Exception) -> ReplyFailure:
    """The error as the client was sent it (unexpected ones are INTERNAL_ERRORs, unexplained)."""
    if isinstance(exc, ChorusError):
        code = exc.reason if exc.reason in _TURN_FAILURE_CODES else INTERNAL_ERROR
        return ReplyFailure(code, exc.message, dict(exc.info))
    return ReplyFailure(INTERNAL_ERROR, "Internal server error")


def _stored_turns(message: ConversationMessage) -> list[ChatTurn]:
    """A stored message as the model sees it: an assistant's tool calls and
    their results come before its text; a reply with neither is left out."""
    if not message.tool_calls:
        if message.role == "assistant" and not message.content:
            return []
        return [ChatTurn(message.role, message.content)]
    turns = invocation_turns(message.tool_calls)
    if message.content:
        turns.append(ChatTurn("assistant", message.content))
    return turns
