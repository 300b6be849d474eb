"""Migration 0011 moves Crispy's sessions and MCoS's messages into the one conversation store, and back."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
from alembic import command

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.storage.migrate import alembic_config, upgrade
from tests.support import backends
from tests.support.chorus_process import ChorusProcess

SESSION = "6f1c2a4e-0d5b-4b8e-9f3a-1c2d3e4f5a6b"
OTHER_TENANT_SESSION = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
MCOS_ID = "msg_" + "ab" * 12
MCOS_ARCHIVED_ID = "msg_" + "cd" * 12
BOB = Scope("mcos-tenant", "bob@example.com")

_OLD_ROWS = [
    "INSERT INTO chat_sessions (tenant_id, owner_id, id, created_at_ms, updated_at_ms) VALUES"
    f" ('demo', '', '{SESSION}', 1000, 2000), ('acme', '', '{OTHER_TENANT_SESSION}', 1500, 1500)",
    # Inserted out of session order: ids, not times, order a session's history.
    "INSERT INTO chat_messages (id, tenant_id, owner_id, session_id, role, content, created_at_ms, incomplete) VALUES"
    f" (1, 'demo', '', '{SESSION}', 'user', 'hello', 1000, false),"
    f" (2, 'acme', '', '{OTHER_TENANT_SESSION}', 'user', 'not yours', 1500, false),"
    f" (3, 'demo', '', '{SESSION}', 'assistant', 'hi there', 1000, false),"
    f" (4, 'demo', '', '{SESSION}', 'user', 'and then?', 2000, false),"
    f" (5, 'demo', '', '{SESSION}', 'assistant', 'cut sh', 2000, true)",
    "INSERT INTO mcos_messages (seq, id, tenant_id, owner_id, conversation_id, role, content, tool_calls,"
    " incomplete, error, created_at_ms, archived_at_ms) VALUES"
    f" (7, '{MCOS_ARCHIVED_ID}', 'mcos-tenant', 'bob@example.com', 'trip', 'user', 'old', '[]', false, NULL, 10, 50),"
    f" (9, '{MCOS_ID}', 'mcos-tenant', 'bob@example.com', 'trip', 'assistant', 'flights?', :tools, false, :error, 20,"
    " NULL)",
]
_TOOLS = json.dumps([{"id": "call_1", "name": "search_flights", "args": {"to": "LIS"}, "result": {"count": 2}}])
_ERROR = json.dumps({"code": "LLM_ERROR", "message": "upstream down", "details": {}})


def _old_database(data_dir: Path) -> str:
    url = backends.database_url(data_dir / "chorus.db")
    upgrade(url, "0010")
    for statement in _OLD_ROWS:
        backends.fetch(data_dir, statement, tools=_TOOLS, error=_ERROR)
    return url


def test_crispy_sessions_read_back_unchanged_through_the_server_after_the_migration(tmp_path: Path) -> None:
    _old_database(tmp_path)
    with ChorusProcess(tmp_path).start() as chorus:  # serving migrates to head
        history = httpx.get(f"{chorus.rest_url}/chat/{SESSION}/history", headers={"x-tenant-id": "demo"}, timeout=30)
        assert history.status_code == 200, history.text
        assert [(m["role"], m["content"], m["timestamp"], m.get("incomplete")) for m in history.json()["messages"]] == [
            ("user", "hello", 1000, None),
            ("assistant", "hi there", 1000, None),
            ("user", "and then?", 2000, None),
            ("assistant", "cut sh", 2000, True),
        ]
        # Another tenant's session stays theirs.
        foreign = httpx.get(
            f"{chorus.rest_url}/chat/{OTHER_TENANT_SESSION}/history", headers={"x-tenant-id": "demo"}, timeout=30
        )
        assert foreign.status_code == 404, foreign.text
        # A migrated session takes new turns after its old messages.
        turn = httpx.post(
            f"{chorus.rest_url}/chat",
            json={"sessionId": SESSION, "message": "one more", "stream": False},
            headers={"x-tenant-id": "demo"},
            timeout=30,
        )
        assert turn.status_code == 200, turn.text
        history = httpx.get(f"{chorus.rest_url}/chat/{SESSION}/history", headers={"x-tenant-id": "demo"}, timeout=30)
        assert [m["content"] for m in history.json()["messages"]][4:] == ["one more", turn.json()["response"]]
    rows = backends.fetch(
        tmp_path, "SELECT id, surface FROM conversation_messages WHERE conversation_id = :s ORDER BY seq", s=SESSION
    )
    assert len(rows) == 6 and all(re.fullmatch(r"msg_[0-9a-f]{24}", r[0]) and r[1] == "crispy" for r in rows)


async def test_mcos_messages_keep_their_ids_order_tool_calls_failures_and_archive(tmp_path: Path) -> None:
    url = await asyncio.to_thread(_old_database, tmp_path)
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        store = ConversationStore(db, "mcos")
        page = await store.page(BOB, conversation_id="trip", limit=10)
        assert [m.id for m in page.messages] == [MCOS_ARCHIVED_ID, MCOS_ID]
        reply = page.messages[1]
        assert reply.tool_calls[0].name == "search_flights" and reply.tool_calls[0].result == {"count": 2}
        assert reply.failure is not None and reply.failure.code == "LLM_ERROR"
        assert [m.id for m in await store.context(BOB, "trip", 10)] == [MCOS_ID]  # the archived one stays out
        position = await store.position(BOB, MCOS_ID)
        assert position is not None and position.seq == 9
        # New messages number on past every migrated one (PostgreSQL's sequence was moved on too).
        await store.append(BOB, "trip", [NewMessage("msg_" + "ef" * 12, "user", "new", 30)])
        newest = await store.position(BOB, "msg_" + "ef" * 12)
        crispy_seqs = backends.fetch(tmp_path, "SELECT seq FROM conversation_messages WHERE surface = 'crispy'")
        assert newest is not None and newest.seq > max(s for (s,) in crispy_seqs) > 9
        # One surface never reads another's conversations, even for the same scope.
        assert await ConversationStore(db, "crispy").conversation(BOB, "trip") is None
    finally:
        await db.close()


def test_downgrading_restores_the_old_tables_with_their_rows(tmp_path: Path) -> None:
    url = _old_database(tmp_path)
    upgrade(url)
    command.downgrade(alembic_config(url), "0010")
    assert backends.fetch(tmp_path, "SELECT id, created_at_ms, updated_at_ms FROM chat_sessions ORDER BY id") == [
        (OTHER_TENANT_SESSION, 1500, 1500),
        (SESSION, 1000, 2000),
    ]
    contents = backends.fetch(
        tmp_path, "SELECT content FROM chat_messages WHERE session_id = :s ORDER BY id", s=SESSION
    )
    assert [c for (c,) in contents] == ["hello", "hi there", "and then?", "cut sh"]
    assert backends.fetch(tmp_path, "SELECT seq, id FROM mcos_messages ORDER BY seq") == [
        (7, MCOS_ARCHIVED_ID),
        (9, MCOS_ID),
    ]
    # And up again: the same data comes back.
    upgrade(url)
    assert backends.fetch(tmp_path, "SELECT COUNT(*) FROM conversation_messages") == [(7,)]
