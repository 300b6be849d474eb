"""MCoS conversations: history pages, the model's context, appending a turn.

Messages belong to (principal, conversation). The newest
`retention.active_messages` of a conversation are active (the model sees
them); older ones are archived when a turn pushes them out (still in history)
and purged later by the retention job (`chat_retention`).

History pages are oldest first. Without a cursor a page is the newest `limit`
messages; `before` pages back in time and `after` forward. A page's `cursor`
is where to go next: while older messages remain (`has_more` on a backward
page) it is the page's oldest message, to pass as `before`; otherwise it is
the page's newest message, to pass as `after`, so a client that has read back
to the start, or is following forward, polls with `after=cursor` and never
skips or repeats a message. An empty forward page gives back its `after`. A
cursor that is
not one of the user's messages (unknown, purged, another user's, or in
another conversation than the one asked for) is NOT_FOUND, like every other
id the user cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import MESSAGE_ID, ConversationMessage, NewMessage
from server.platform.clock import Clock
from server.platform.errors import not_found
from server.platform.scope import Scope
from server.platform.validation import Violations
from server.surfaces.mcos.stores.user_changes import ChangeWindow

DEFAULT_PAGE = 50
MAX_PAGE = 200
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def check_conversation_id(violations: Violations, field: str, value: str) -> None:
    if value and not CONVERSATION_ID.fullmatch(value):
        violations.add(field, "Must be 1-100 characters of letters, digits, '_' or '-'")


@dataclass(frozen=True, slots=True)
class HistoryPage:
    messages: list[ConversationMessage]  # oldest first
    has_more: bool
    cursor: str  # "" only on an empty page without `after`


class ConversationService:
    """Implements `RecentMessages` for the state snapshot, and the chat's storage needs."""

    def __init__(self, store: ConversationStore, clock: Clock, *, active_messages: int) -> None:
        self._store = store
        self._clock = clock
        self._active_messages = active_messages

    async def recent_messages(self, scope: Scope, *, limit: int, window: ChangeWindow) -> list[ConversationMessage]:
        return await self._store.recent(
            scope, limit=limit, since_ms=window.since_ms, after_seq=window.after, through_seq=window.through
        )

    async def latest_message_seq(self, scope: Scope) -> int:
        return await self._store.latest_seq(scope)

    async def context(self, scope: Scope, conversation_id: str, limit: int) -> list[ConversationMessage]:
        """The conversation's newest active messages (at most `limit`), oldest first."""
        return await self._store.context(scope, conversation_id, limit)

    async def append(self, scope: Scope, conversation_id: str, messages: Sequence[NewMessage]) -> None:
        """Stores a turn's messages in one transaction, archiving what they push out."""
        await self._store.append(
            scope, conversation_id, messages, active_messages=self._active_messages, now_ms=self._clock.now_ms()
        )

    async def history(self, scope: Scope, *, conversation_id: str, limit: int, before: str, after: str) -> HistoryPage:
        violations = Violations()
        check_conversation_id(violations, "conversation_id", conversation_id)
        if limit < 0 or limit > MAX_PAGE:
            violations.add("limit", f"Must be between 1 and {MAX_PAGE}")
        if before and after:
            violations.add("before", "Give either 'before' or 'after', not both")
        for field, value in (("before", before), ("after", after)):
            if value and not MESSAGE_ID.fullmatch(value):
                violations.add(field, "Must be a message id ('msg_' then 24 hex digits)")
        violations.raise_if_any()
        size = limit or DEFAULT_PAGE
        before_seq = await self._cursor_seq(scope, conversation_id, before)
        after_seq = await self._cursor_seq(scope, conversation_id, after)
        page = await self._store.page(
            scope, conversation_id=conversation_id or None, limit=size, before_seq=before_seq, after_seq=after_seq
        )
        return HistoryPage(page.messages, page.has_more, _next_cursor(page.messages, page.has_more, after))

    async def _cursor_seq(self, scope: Scope, conversation_id: str, message_id: str) -> int | None:
        if not message_id:
            return None
        position = await self._store.position(scope, message_id)
        if position is None or (conversation_id and position.conversation_id != conversation_id):
            raise not_found(f"Message {message_id} not found")
        return position.seq


def _next_cursor(messages: Sequence[ConversationMessage], has_more: bool, after: str) -> str:
    if not messages:
        return after  # nothing new yet: poll again from the same place
    if has_more and not after:
        return messages[0].id  # older messages remain: continue back
    return messages[-1].id  # continue forward from the newest seen
