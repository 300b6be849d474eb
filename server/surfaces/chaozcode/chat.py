"""Multi-turn chat (`POST /v2/query/chat`) on the platform's one conversation store.

Without a conversation id a turn starts a conversation; with one, the model
gets the conversation's stored messages (the newest `context_messages`)
before the turn's own. Conversations are the user's: another user's id is
NOT_FOUND, as is an id with no messages. A turn is stored (its user and
assistant messages and the reply; system messages are instructions for that
turn only) once the reply is whole: a failed or abandoned turn stores nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage, new_message_id
from server.platform.clock import Clock
from server.platform.completion import run_to_completion
from server.platform.errors import FieldViolation, invalid_argument, not_found
from server.platform.models.types import ChatTurn
from server.platform.scope import Scope
from server.surfaces.chaozcode.query import (
    ROLES,
    Answer,
    Checks,
    QueryEngine,
    QueryEvent,
    QueryParams,
    check_text,
    missing,
)

ENDPOINT = "POST /query/chat"


@dataclass(frozen=True, slots=True)
class ChatTurnResult:
    conversation_id: str
    answer: Answer


class ConversationChat:
    def __init__(self, engine: QueryEngine, store: ConversationStore, clock: Clock, context_messages: int) -> None:
        self._engine = engine
        self._store = store
        self._clock = clock
        self._context_messages = context_messages

    async def turn(
        self,
        scope: Scope,
        messages: Sequence[ChatTurn],
        params: QueryParams,
        conversation_id: str | None,
    ) -> tuple[str, AsyncIterator[QueryEvent]]:
        """(the conversation's id, the answer's events); checks run before anything streams."""
        if not messages:
            raise missing("messages")
        checks = Checks()
        for n, message in enumerate(messages):
            if message.role not in ROLES:
                checks.add(f"messages.{n}.role", "invalid", f"role must be one of {', '.join(ROLES)}")
            check_text(checks, f"messages.{n}.content", message.content)
        entry = self._engine.check(params, checks)
        if messages[-1].role != "user":
            raise invalid_argument(
                "The last message must be the user's",
                (FieldViolation(f"messages.{len(messages) - 1}.role", "invalid"),),
            )
        history: list[ChatTurn] = []
        if conversation_id is not None:
            stored = await self._store.context(scope, conversation_id, self._context_messages)
            if not stored:
                raise not_found(f"Conversation '{conversation_id}' not found")
            history = [ChatTurn(m.role, m.content) for m in stored]
        conversation = conversation_id or "conv_" + secrets.token_hex(12)
        system = [m for m in messages if m.role == "system"]
        said = [m for m in messages if m.role != "system"]
        turns = [*system, *history, *said]
        received_ms = self._clock.now_ms()
        events = self._engine.run(scope.tenant_id, scope.owner_id, ENDPOINT, entry, params, turns)
        return conversation, self._stored(scope, conversation, said, received_ms, events)

    async def _stored(
        self,
        scope: Scope,
        conversation_id: str,
        said: Sequence[ChatTurn],
        received_ms: int,
        events: AsyncIterator[QueryEvent],
    ) -> AsyncIterator[QueryEvent]:
        async for event in events:
            if isinstance(event, Answer):
                turn = [NewMessage(new_message_id(), m.role, m.content, received_ms) for m in said]
                turn.append(
                    NewMessage(new_message_id(), "assistant", event.text, max(self._clock.now_ms(), received_ms))
                )
                # Once started the write finishes, whatever happens to the stream.
                await run_to_completion(self._store.append(scope, conversation_id, turn))
            yield event
