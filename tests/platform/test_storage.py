"""Migrations match the models; the CLI migrates and manages tenants and keys."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.messages import NewMessage
from server.platform.scope import Scope
from server.platform.storage.base import Base
from server.platform.storage.database import Database
from server.platform.storage.migrate import alembic_config, upgrade, upgrade_async
from server.schema import metadata, table_modules
from tests.support import backends
from tests.support.chorus_process import ROOT, printed, run_cli

_TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    if backends.POSTGRES
    else "SELECT name FROM sqlite_master WHERE type = 'table'"
)


def _tables(data_dir: Path) -> set[str]:
    return {row[0] for row in backends.fetch(data_dir, _TABLES)}


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = backends.database_url(tmp_path / "chorus.db")
    upgrade(url)
    # Raises if autogenerate would find any difference between the surfaces' and
    # the platform's tables and the migrated schema: a table, column or index
    # missing on either side.
    command.check(alembic_config(url, metadata()))
    assert {"tenants", "tenant_hosts", "api_keys", "conversation_messages"} <= _tables(tmp_path)


def test_every_surface_owns_its_tables() -> None:
    schema = metadata()
    owners = {mapper.local_table.name: mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert owners["tenants"] == owners["idempotency_keys"] == "server.platform.storage.tables"
    assert owners["conversation_messages"] == "server.platform.storage.tables"
    assert owners["mcos_tasks"] == "server.surfaces.mcos.tables"
    assert owners["chitty_ids"] == "server.surfaces.chittyos.id.tables"
    assert owners["auth_sessions"] == "server.surfaces.chittyos.auth.tables"
    assert owners["projects"] == "server.surfaces.chittyos.sync.tables"
    assert set(owners) == set(schema.tables)
    assert set(owners.values()) == {module.__name__ for module in table_modules()}


@pytest.mark.sqlite_only(reason="WAL is SQLite's journal mode")
def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    run_cli(tmp_path, "migrate")
    assert backends.fetch(tmp_path, "PRAGMA journal_mode") == [("wal",)]


def test_cli_migrate_tenants_and_keys(tmp_path: Path) -> None:
    assert "latest revision" in run_cli(tmp_path, "migrate")
    run_cli(tmp_path, "tenants", "add", "acme", "--host", "acme.example.com")
    listed = run_cli(tmp_path, "tenants", "list")
    assert "acme\tacme\tAPI key required" in listed and "demo\tDemo\tid header accepted" in listed
    issued = run_cli(tmp_path, "api-keys", "create", "--tenant", "acme")
    secret = printed(issued, "key")
    key_id = printed(issued, "id")
    [(prefix, digest)] = backends.fetch(tmp_path, "SELECT prefix, key_hash FROM api_keys WHERE id = :id", id=key_id)
    dump = "\n".join(
        repr(row) for table in _tables(tmp_path) for row in backends.fetch(tmp_path, f"SELECT * FROM {table}")
    )
    assert key_id in dump  # the dump does hold the key's row ...
    assert secret not in dump  # ... but only the hash and the prefix are stored
    assert secret.startswith(f"chorus_{prefix}_") and len(digest) == 64
    assert "revoked" in run_cli(tmp_path, "api-keys", "revoke", key_id)


def test_replicas_migrating_a_fresh_postgresql_database_at_once_all_start(pg_redis: backends.PgRedis) -> None:
    url = pg_redis.new_database_url()
    migrate = f"from server.platform.storage.migrate import upgrade; upgrade({url!r})"
    runs = [
        subprocess.Popen([sys.executable, "-c", migrate], cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * len(runs), errors
    assert pg_redis.fetch(url, "SELECT version_num FROM alembic_version") == [
        (ScriptDirectory.from_config(alembic_config(url)).get_current_head(),)
    ]


_COLUMN_TYPE = "SELECT data_type FROM information_schema.columns WHERE table_name = :table AND column_name = :column"
_SEQUENCE_MAX = (
    "SELECT max_value FROM pg_sequences"
    " WHERE format('%I.%I', schemaname, sequencename) = pg_get_serial_sequence(:table, :column)"
)


async def test_postgresql_row_ids_go_past_32_bits(pg_redis: backends.PgRedis) -> None:
    url = pg_redis.new_database_url()
    await upgrade_async(url)
    for table, column in (("conversation_messages", "seq"), ("project_todos", "id")):
        key = {"table": table, "column": column}
        assert pg_redis.fetch(url, _COLUMN_TYPE, **key) == [("bigint",)]
        assert pg_redis.fetch(url, _SEQUENCE_MAX, **key) == [(2**63 - 1,)]
    pg_redis.fetch(url, "SELECT setval(pg_get_serial_sequence('conversation_messages', 'seq'), 2147483647)")
    db = Database(url)
    try:
        store = ConversationStore(db, "mcos")
        scope = Scope("t", "owner")
        message = NewMessage("msg_" + "0" * 24, "user", "past 2^31", 1)
        await store.append(scope, "c", [message], active_messages=10, now_ms=1)
        position = await store.position(scope, message.id)
        page = await store.page(scope, conversation_id="c", limit=10)
    finally:
        await db.close()
    assert position is not None and position.seq == 2**31
    assert [m.content for m in page.messages] == ["past 2^31"]
