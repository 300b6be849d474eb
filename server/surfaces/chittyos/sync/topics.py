"""Topics: conversations filed under categories, given by the client or classified here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.platform.clock import Clock
from server.platform.validation import Violations
from server.surfaces.chittyos.sync.resource_fields import (
    INVALID_REQUEST,
    Page,
    check_id,
    check_label,
    check_text,
    id_taken,
)
from server.surfaces.chittyos.sync.stores.topic_store import CategoryRecord, ConversationRecord, TopicStore
from server.surfaces.chittyos.sync.topic_classifier import classify

MAX_CONTENT = 200_000
MAX_FILE = 1024
MAX_SUBCATEGORIES = 20
PREVIEW_CHARS = 200
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class NewConversation:
    id: str
    content: str
    file: str
    category: str  # "": classify the content
    subcategories: list[str]
    confidence: float | None  # only with a category; default 1


def content_preview(content: str) -> str:
    """The first PREVIEW_CHARS characters, whitespace collapsed, "..." when cut."""
    flat = _SPACE.sub(" ", content).strip()
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS].rstrip() + "..."


def check_category(category: str, field: str = "category") -> None:
    problems = Violations()
    check_label(problems, field, category)
    problems.raise_if_any(INVALID_REQUEST)


def _check(new: NewConversation) -> None:
    problems = Violations()
    check_id(problems, "id", new.id)
    check_text(problems, "content", new.content, MAX_CONTENT, required=not new.category)
    check_text(problems, "file", new.file, MAX_FILE)
    if new.category:
        check_label(problems, "category", new.category)
    elif new.confidence is not None:
        problems.add("confidence", "Only allowed with category: the classifier reports its own confidence")
    if new.confidence is not None and not 0.0 <= new.confidence <= 1.0:
        problems.add("confidence", "Must be between 0 and 1")
    if len(new.subcategories) > MAX_SUBCATEGORIES:
        problems.add("subcategories", f"Array must contain at most {MAX_SUBCATEGORIES} element(s)")
    else:
        for index, label in enumerate(new.subcategories):
            check_label(problems, f"subcategories.{index}", label)
    problems.raise_if_any(INVALID_REQUEST)


class TopicService:
    def __init__(self, store: TopicStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def create(self, tenant_id: str, new: NewConversation) -> ConversationRecord:
        _check(new)
        if new.category:
            category, confidence = new.category.lower(), 1.0 if new.confidence is None else new.confidence
            subcategories = new.subcategories
        else:
            found = classify(new.content)
            category, confidence = found.category, found.confidence
            subcategories = new.subcategories or found.subcategories
        record = ConversationRecord(
            id=new.id,
            category=category,
            subcategories=[s.lower() for s in subcategories],
            confidence=confidence,
            file=new.file,
            content_preview=content_preview(new.content),
            categorized_at_ms=self._clock.now_ms(),
        )
        if not await self._store.insert(tenant_id, record, new.content):
            raise id_taken("Conversation", "conversationId", new.id)
        return record

    async def categories(self, tenant_id: str, page: Page) -> tuple[list[CategoryRecord], int]:
        """Per category: count, mean confidence, last update; and how many categories there are."""
        return await self._store.categories(tenant_id, page.limit, page.offset)

    async def conversations(
        self, tenant_id: str, category: str, page: Page
    ) -> tuple[str, list[ConversationRecord], int]:
        """(the category as stored, a page of its conversations newest first, their count)."""
        check_category(category)
        name = category.lower()
        conversations, count = await self._store.conversations(tenant_id, name, page.limit, page.offset)
        return name, conversations, count

    async def counts(self, tenant_id: str) -> tuple[int, int]:
        """(categories, conversations)."""
        return await self._store.counts(tenant_id)
