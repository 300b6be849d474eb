"""What the MCoS state snapshot reads of the chat's messages."""

from __future__ import annotations

from typing import Protocol

from server.platform.chat.messages import ConversationMessage
from server.platform.scope import Scope
from server.surfaces.mcos.stores.user_changes import ChangeWindow


class RecentMessages(Protocol):
    async def recent_messages(self, scope: Scope, *, limit: int, window: ChangeWindow) -> list[ConversationMessage]:
        """The user's newest messages across conversations in `window` (whose
        numbers are message `seq`s), oldest first."""
        ...

    async def latest_message_seq(self, scope: Scope) -> int:
        """The newest message's `seq`; every message up to it is visible once read."""
        ...
