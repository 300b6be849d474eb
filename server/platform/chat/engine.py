"""The chat engine: one user turn against a model, persisted atomically.

A turn is written only once it is whole: the user's message and the reply go
in together after the model finishes. A failed turn writes nothing. The one
exception is a client that cuts the stream: what was produced is kept, marked
incomplete, because the user did see it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import ConversationMessage, NewMessage, new_message_id
from server.platform.clock import Clock
from server.platform.completion import run_to_completion
from server.platform.errors import not_found, unavailable
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import (
    ChatTurn,
    ModelError,
    ModelRequest,
    TextDelta,
    Usage,
)
from server.platform.scope import Scope

log = logging.getLogger("chorus.chat")


@dataclass(frozen=True, slots=True)
class TurnResult:
    text: str
    usage: Usage


class ChatEngine:
    def __init__(self, store: ConversationStore, models: ModelRegistry, clock: Clock) -> None:
        self._store = store
        self._models = models
        self._clock = clock

    async def turn(
        self,
        scope: Scope,
        session_id: str,
        message: str,
        *,
        model: str | None = None,
        context_messages: int = 20,
    ) -> AsyncIterator[TextDelta | TurnResult]:
        """Yields the reply's text deltas, then one TurnResult once it is stored."""
        received_ms = self._clock.now_ms()
        history = await self._store.context(scope, session_id, context_messages)
        request = ModelRequest(
            model=model or "",
            messages=(*(ChatTurn(m.role, m.content) for m in history), ChatTurn("user", message)),
        )
        parts: list[str] = []
        usage = Usage(0, 0)
        try:
            async for event in self._models.stream(request):
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    yield event
                elif isinstance(event, Usage):
                    usage = event
        except ModelError as exc:
            raise unavailable(f"Model error: {exc}", reason="MODEL_ERROR") from exc
        except (asyncio.CancelledError, GeneratorExit):
            # The client went away mid-reply: keep what it was shown.
            try:
                await self._save(scope, session_id, message, received_ms, "".join(parts), incomplete=True)
            except Exception:
                log.exception("could not store a reply cut short by its client")
            raise
        text = "".join(parts)
        await self._save(scope, session_id, message, received_ms, text, incomplete=False)
        yield TurnResult(text, usage)

    async def _save(
        self, scope: Scope, session_id: str, message: str, received_ms: int, reply: str, *, incomplete: bool
    ) -> None:
        """Stores the turn. Once started this finishes, cancelled or not: a cancel
        landing mid-commit must neither lose the turn nor store it twice."""
        await run_to_completion(
            self._store.append(
                scope,
                session_id,
                [
                    NewMessage(new_message_id(), "user", message, received_ms),
                    NewMessage(
                        new_message_id(),
                        "assistant",
                        reply,
                        max(self._clock.now_ms(), received_ms),
                        incomplete=incomplete,
                    ),
                ],
            )
        )

    async def history(self, scope: Scope, session_id: str) -> list[ConversationMessage]:
        messages = await self._store.conversation(scope, session_id)
        if messages is None:
            raise not_found("Session not found")
        return messages

    async def delete(self, scope: Scope, session_id: str) -> None:
        if not await self._store.delete(scope, session_id):
            raise not_found("Session not found")
