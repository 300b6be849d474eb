"""Conversation messages as every surface's chat stores and reads them."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from server.platform.agent.loop import ToolInvocation

MESSAGE_ID = re.compile(r"msg_[0-9a-f]{24}")


def new_message_id() -> str:
    """A public message id: opaque, unguessable, usable as a paging cursor."""
    return f"msg_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class ReplyFailure:
    """The error a failed turn ended with, as the client was told it."""

    code: str  # the surface's error code, e.g. MCoS's "LLM_ERROR"
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


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to append (its id is chosen by the caller: see `new_message_id`)."""

    id: str
    role: str
    content: str
    created_at_ms: int
    tool_calls: tuple[ToolInvocation, ...] = ()
    incomplete: bool = False
    failure: ReplyFailure | None = None
