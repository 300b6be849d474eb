"""The Sync hub's pure parts (classifier, merge rules, formats) and its session clock on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.platform.errors import ChorusError
from server.platform.merge_patch import merge_patch
from server.platform.storage.database import Database
from server.platform.times import rfc3339_ms as iso_time
from server.surfaces.chittyos.sync.resource_fields import Page
from server.surfaces.chittyos.sync.stores.todo_store import TodoRecord
from server.surfaces.chittyos.sync.stores.work_session_store import WorkSessionStore
from server.surfaces.chittyos.sync.todos import TodoInput, plan_replace, plan_sync
from server.surfaces.chittyos.sync.topic_classifier import CATEGORIES, LEXICON, classify
from server.surfaces.chittyos.sync.topics import content_preview
from server.surfaces.chittyos.sync.work_sessions import NewWorkSession, WorkSessionService
from tests.support.clock import ManualClock


def test_classifier_examples() -> None:
    found = classify("Discussion about API endpoints and the backend handler; fix the bug")
    assert found.category == "development"
    assert found.subcategories == ["api", "backend", "debugging"]
    # api, endpoints, backend, handler, fix, bug: 6 development hits of 6, so (6/6) * (6/7).
    assert found.confidence == round(6 / 7, 4)
    assert classify("Our quarterly revenue and pricing for customers").category == "business"
    assert classify("Update the README and the docs").category == "documentation"
    assert classify("Nothing to see here").category == "general"
    assert classify("Nothing to see here").confidence == 0.0


def test_classifier_confidence_counts_rival_categories() -> None:
    # 2 development hits, 1 design hit: (2/3) * (2/3).
    assert classify("api bug in the layout").confidence == round(4 / 9, 4)
    # Ties go to the first category in order.
    assert classify("api layout").category == "development"


def test_every_keyword_belongs_to_one_group() -> None:
    keywords = [k for groups in LEXICON.values() for words in groups.values() for k in words]
    assert len(keywords) == len(set(keywords))
    assert CATEGORIES[-1] == "general" and set(CATEGORIES[:-1]) == set(LEXICON)


@given(st.text(max_size=400))
def test_classifier_is_deterministic_and_bounded(text: str) -> None:
    first, second = classify(text), classify(text)
    assert first == second
    assert 0.0 <= first.confidence <= 1.0
    assert first.category in CATEGORIES
    assert len(first.subcategories) <= 3
    assert all(s in LEXICON.get(first.category, {}) for s in first.subcategories)


def test_merge_patch_follows_rfc_7386() -> None:
    stored = {"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "list": [3], "new": {"x": None, "y": 1}}
    assert merge_patch(stored, patch) == {"a": "z", "c": {"d": "e"}, "list": [3], "new": {"y": 1}}
    assert merge_patch(stored, {}) == stored
    assert stored["c"] == {"d": "e", "f": "g"}  # the input is not modified


def _record(content: str, status: str = "pending", by: str = "s1", at: int = 1) -> TodoRecord:
    return TodoRecord(content, status, f"{content}-ing", by, at)


def test_plan_sync_counts_exactly() -> None:
    current = [_record("A"), _record("B")]
    given_todos = [
        TodoInput("B", "completed", None),  # status change, activeForm kept
        TodoInput("A", "pending", "A-ing"),  # unchanged
        TodoInput("C", "pending", "C-ing"),  # new
    ]
    merged, (added, updated) = plan_sync(current, given_todos, "s2", 99)
    assert (added, updated) == (1, 1)
    assert merged == [_record("A"), _record("B", "completed"), TodoRecord("C", "pending", "C-ing", "s2", 99)]


def test_plan_replace_keeps_provenance_and_order_given() -> None:
    current = [_record("A"), _record("B")]
    replaced = plan_replace(current, [TodoInput("C", "pending", None), TodoInput("A", "completed", "Did A")], "", 5)
    assert replaced == [TodoRecord("C", "pending", "", "", 5), TodoRecord("A", "completed", "Did A", "s1", 1)]


def test_content_preview_and_iso_time() -> None:
    assert content_preview("  Discussion \n\n about   API  ") == "Discussion about API"
    long = "word " * 100
    preview = content_preview(long)
    assert preview.endswith("...") and len(preview) <= 203 and "  " not in preview
    assert iso_time(1759557600000) == "2025-10-04T06:00:00.000Z"
    assert iso_time(1759557600123) == "2025-10-04T06:00:00.123Z"


@pytest.fixture
async def database(migrated_url: str) -> AsyncIterator[Database]:
    db = Database(migrated_url)
    yield db
    await db.close()


async def test_sessions_expire_exactly_at_the_timeout(database: Database) -> None:
    clock = ManualClock(1_000_000)
    sessions = WorkSessionService(WorkSessionStore(database), clock, timeout_seconds=60)
    await sessions.create("t1", NewWorkSession("s1", "p", "claude", "", {}))
    await sessions.create("t2", NewWorkSession("s1", "p", "gpt", "", {}))  # another tenant, same id
    clock.now += 60_000
    assert sessions.is_active(await sessions.get("t1", "s1"))
    assert await sessions.counts("t1") == (1, 1)
    clock.now += 1
    assert not sessions.is_active(await sessions.get("t1", "s1"))
    assert (await sessions.list("t1", Page(10, 0))).active == 0
    await sessions.heartbeat("t1", "s1", None, {"k": "v"})
    assert await sessions.counts("t1") == (1, 1)
    assert await sessions.counts("t2") == (1, 0)  # its clock ran out; t1's heartbeat is not t2's
    assert (await sessions.get("t2", "s1")).metadata == {}
    with pytest.raises(ChorusError) as missing:
        await sessions.heartbeat("t3", "s1", None, None)
    assert missing.value.reason == "SESSION_NOT_FOUND"
