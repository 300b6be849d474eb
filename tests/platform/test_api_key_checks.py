"""An unknown key and a wrong key are answered by the same work.

Timing is not asserted (that belongs in benchmarks); the work is: every
presented key costs one hash, one lookup by prefix and one constant-time
compare against a stored hash (a dummy one when nothing matched), however it
fails."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from server.config import TenantSeed
from server.platform import tenancy
from server.platform.clock import SystemClock
from server.platform.errors import ChorusError
from server.platform.storage.database import Database
from server.platform.tenancy import TenantService


@pytest.fixture
async def tenants(migrated_url: str) -> Any:
    db = Database(migrated_url)
    service = TenantService(db, SystemClock())
    await service.create_tenant(TenantSeed(id="acme", name="Acme"))
    yield service, db
    await db.close()


def _record_work(monkeypatch: pytest.MonkeyPatch, db: Database) -> Callable[[], dict[str, list[Any]]]:
    work: dict[str, list[Any]] = {"statements": [], "compares": [], "hashes": []}

    def statement(conn: Any, cursor: Any, text: str, params: Any, context: Any, executemany: bool) -> None:
        work["statements"].append(text)

    event.listen(db.engine.sync_engine, "before_cursor_execute", statement)
    # The read path runs its statements beside SQLAlchemy's engine (no events there): seen here.
    real_fetch_all = db.fetch_all

    async def fetch_all(select: Any, params: Any = None) -> Any:
        work["statements"].append(str(select))
        return await real_fetch_all(select, params)

    monkeypatch.setattr(db, "fetch_all", fetch_all)
    real_compare, real_hash = hmac.compare_digest, tenancy.hash_key

    def compare(a: Any, b: Any) -> bool:
        work["compares"].append((type(a).__name__, len(a), len(b)))
        return real_compare(a, b)

    def hash_key(secret: str) -> str:
        work["hashes"].append(1)
        return real_hash(secret)

    monkeypatch.setattr(hmac, "compare_digest", compare)
    monkeypatch.setattr(tenancy, "hash_key", hash_key)

    def take() -> dict[str, list[Any]]:
        taken = {name: list(items) for name, items in work.items()}
        for items in work.values():
            items.clear()
        return taken

    return take


async def test_every_failing_key_does_the_same_work(tenants: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    service, db = tenants
    issued = await service.create_api_key("acme", user_id="alice")
    revoked = await service.create_api_key("acme")
    await service.revoke_api_key(revoked.id)
    prefix = issued.secret.split("_")[1]
    failing = {
        "malformed": "garbage",
        "unknown prefix": "chorus_0badc0de_" + "x" * 43,
        "wrong secret": f"chorus_{prefix}_" + "x" * 43,
        "revoked": revoked.secret,
        "empty body": "chorus_",
    }
    take = _record_work(monkeypatch, db)
    work = {}
    for case, key in failing.items():
        with pytest.raises(ChorusError) as refused:
            await service.resolve(tenant_id="", api_key=key, host="")
        assert refused.value.reason == "UNAUTHORIZED" and refused.value.message == "Invalid or missing API key"
        work[case] = take()
    first = work["wrong secret"]
    assert len(first["statements"]) == 1 and first["compares"] == [("str", 64, 64)] and first["hashes"] == [1]
    for case, done in work.items():
        assert done == first, case

