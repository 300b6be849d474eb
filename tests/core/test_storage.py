"""Migrations match the models; the CLI migrates and manages tenants and keys."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from server.storage.migrate import alembic_config, upgrade
from tests.support.chorus_process import run_cli


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    # Raises if autogenerate would find any difference between models and schema.
    command.check(alembic_config(url))
    with sqlite3.connect(tmp_path / "m.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"tenants", "tenant_hosts", "api_keys", "chat_sessions", "chat_messages"} <= tables


def test_cli_migrate_tenants_and_keys(tmp_path: Path) -> None:
    assert "latest revision" in run_cli(tmp_path, "migrate")
    run_cli(tmp_path, "tenants", "add", "acme", "--host", "acme.example.com")
    listed = run_cli(tmp_path, "tenants", "list")
    assert "acme\tacme\tAPI key required" in listed and "demo\tDemo\tid header accepted" in listed
    issued = run_cli(tmp_path, "api-keys", "create", "--tenant", "acme")
    secret = next(line.split()[1] for line in issued.splitlines() if line.startswith("key:"))
    key_id = next(line.split()[1] for line in issued.splitlines() if line.startswith("id:"))
    with sqlite3.connect(tmp_path / "chorus.db") as db:
        prefix, digest = db.execute("SELECT prefix, key_hash FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        dump = "\n".join(db.iterdump())
    assert secret not in dump  # only the hash and the prefix are stored
    assert secret.startswith(f"chorus_{prefix}_") and len(digest) == 64
    assert "revoked" in run_cli(tmp_path, "api-keys", "revoke", key_id)
