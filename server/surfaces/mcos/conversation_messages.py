"""What the MCoS chat stores per message, as other parts read it (state, history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from server.platform.agent.loop import ToolInvocation
from server.platform.scope import Scope
from server.surfaces.mcos.stores.user_changes import ChangeWindow


@dataclass(frozen=True, slots=True)
class ReplyFailure:
    """The error a failed turn ended with, as the client was told it."""

    code: str  # one of the document's codes, e.g. "LLM_ERROR"
    message: str
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConversationMessage:
    id: str  # "msg_…"
    conversation_id: str
    role: str  # "user" | "assistant"
    content: str
    created_at_ms: int
    tool_calls: tuple[ToolInvocation, ...] = ()
    # A reply the client left before it ended, or one the turn's failure cut.
    incomplete: bool = False
    failure: ReplyFailure | None = None


class RecentMessages(Protocol):
    async def recent_messages(self, scope: Scope, *, limit: int, window: ChangeWindow) -> list[ConversationMessage]:
        """The user's newest messages across conversations in `window` (whose
        numbers are message `seq`s), oldest first."""
        ...

    async def latest_message_seq(self, scope: Scope) -> int:
        """The newest message's `seq`; every message up to it is visible once read."""
        ...
