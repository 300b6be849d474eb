"""Two independent `chorus serve` replicas on one PostgreSQL database and one Redis behave as one service.

Each replica has a data directory of its own, as on two machines behind a load
balancer: everything they share must come from the database, Redis, or
configuration they are both given (the token signing secret, the IdP's JWKS).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.chorus_process import ChorusProcess, run_cli
from tests.support.mcos_identity import TestIdp, new_sub
from tests.surfaces.mcos.conftest import mcos_config

ADMIN_KEY = "replica-admin-key-0123456789abcdef"
CHITTY_ID = "01-P-EO-0001-T-25-C-X"
CRISPY_LIMIT = 6  # per minute, for the `tiny` tenant
STORAGE_WRITES = 4  # per user and day, the MCoS quota
REPLAYED = "idempotent-replayed"
INVALID = {"valid": False, "error": "Invalid or expired token"}


def replica_config(jwks: Path) -> str:
    # Replicas sign and check ChittyOS tokens with one configured secret: a
    # generated one lives in each data directory and differs per machine.
    return f"""
[chittyos.auth]
admin_key = "{ADMIN_KEY}"
jwt_secret = "{secrets.token_hex(32)}"
""" + mcos_config(jwks, f"[mcos.rate_limits]\nstorage_writes_per_day = {STORAGE_WRITES}\n")


@dataclass
class Replicas:
    one: ChorusProcess
    two: ChorusProcess

    def __iter__(self) -> Iterator[ChorusProcess]:
        return iter((self.one, self.two))


@pytest.fixture(scope="module")
def idp() -> TestIdp:
    return TestIdp()


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, shared_backend: Callable[[], dict[str, str]], idp: TestIdp
) -> Iterator[Replicas]:
    backend = shared_backend()
    root = tmp_path_factory.mktemp("replicas")
    # The admin command migrates and seeds the shared database first, as a
    # deployment's `chorus migrate` step would; then the replicas start together.
    run_cli(
        root / "admin",
        *("tenants", "add", "tiny", "--allow-unauthenticated", "--rate-per-minute", str(CRISPY_LIMIT)),
        env=backend,
    )
    config = replica_config(idp.write_jwks(root / "jwks.json"))
    one = ChorusProcess(root / "one", env=backend, config_toml=config)
    two = ChorusProcess(root / "two", env=backend, config_toml=config)
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda replica: replica.start(), (one, two)))
        assert one.rest_url != two.rest_url and one.grpc_addr != two.grpc_addr
        yield Replicas(one, two)
    finally:
        one.stop()
        two.stop()


def client(replica: ChorusProcess, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=replica.rest_url, headers=headers, timeout=30)


def test_a_rate_limit_counts_requests_on_both_replicas_together(replicas: Replicas) -> None:
    targets = [replica for replica, _ in zip(cycle(replicas), range(2 * CRISPY_LIMIT), strict=False)]

    def health(replica: ChorusProcess) -> httpx.Response:
        return httpx.get(replica.rest_url + "/health", headers={"x-tenant-id": "tiny"}, timeout=30)

    # All at once, half to each replica: exactly the limit passes, in total.
    with ThreadPoolExecutor(len(targets)) as pool:
        responses = list(pool.map(health, targets))
    allowed = [r for r in responses if r.status_code == 200]
    assert len(allowed) == CRISPY_LIMIT, [r.status_code for r in responses]
    assert {r.status_code for r in responses} == {200, 429}
    # (Each reads the window after its own hit, so concurrent ones may read the same count.)
    left = [int(r.headers["x-ratelimit-remaining"]) for r in allowed]
    assert min(left) == 0 and max(left) < CRISPY_LIMIT
    assert all(r.headers["x-ratelimit-limit"] == str(CRISPY_LIMIT) for r in responses)
    # Both replicas now refuse.
    for replica in replicas:
        refused = health(replica)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_an_mcos_quota_counts_writes_on_both_replicas_together(replicas: Replicas, idp: TestIdp) -> None:
    token = idp.token(new_sub())
    remaining = []
    for n, replica in zip(range(STORAGE_WRITES), cycle(replicas), strict=False):
        with client(replica, **{"cf-access-jwt-assertion": token}) as rest:
            pinned = rest.post("/api/memory/pin", json={"type": "fact", "key": f"k{n}", "value": "v"})
            assert pinned.status_code == 200, pinned.text
            remaining.append(int(pinned.headers["x-ratelimit-remaining"]))
    assert remaining == [3, 2, 1, 0]
    for replica in replicas:
        with client(replica, **{"cf-access-jwt-assertion": token}) as rest:
            refused = rest.post("/api/memory/pin", json={"type": "fact", "key": "over", "value": "v"})
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
            assert len(rest.get("/api/memory").json()["pinned_memories"]) == STORAGE_WRITES


def test_writes_that_fail_give_their_quota_back_on_both_replicas(replicas: Replicas, idp: TestIdp) -> None:
    token = idp.token(new_sub())
    for replica, _ in zip(cycle(replicas), range(3 * STORAGE_WRITES), strict=False):
        with client(replica, **{"cf-access-jwt-assertion": token}) as rest:
            missing = rest.patch("/api/tasks/task_000000000000000000000000", json={"status": "completed"})
            assert missing.status_code == 404, missing.text
    remaining = []
    for n, replica in zip(range(STORAGE_WRITES), cycle(replicas), strict=False):
        with client(replica, **{"cf-access-jwt-assertion": token}) as rest:
            created = rest.post("/api/tasks", json={"title": f"Task {n}"})
            assert created.status_code == 201, created.text
            remaining.append(int(created.headers["x-ratelimit-remaining"]))
    assert remaining == [3, 2, 1, 0]
    for replica in replicas:
        with client(replica, **{"cf-access-jwt-assertion": token}) as rest:
            assert rest.post("/api/tasks", json={"title": "Over"}).status_code == 429


def _tasks(replica: ChorusProcess, token: str) -> list[str]:
    with client(replica, **{"cf-access-jwt-assertion": token}) as rest:
        response = rest.get("/api/tasks")
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["tasks"]]


def test_an_idempotency_key_used_on_one_replica_replays_on_the_other(replicas: Replicas, idp: TestIdp) -> None:
    token = idp.token(new_sub())
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Book the dentist", "priority": "high"}
    with client(replicas.one, **{"cf-access-jwt-assertion": token}) as rest:
        first = rest.post("/api/tasks", json=body, headers=key)
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    with client(replicas.two, **{"cf-access-jwt-assertion": token}) as rest:
        replay = rest.post("/api/tasks", json=body, headers=key)
        other_body = rest.post("/api/tasks", json={"title": "Renew visa"}, headers=key)
    assert replay.status_code == 201 and replay.headers[REPLAYED] == "true"
    assert replay.json() == first.json()
    assert other_body.status_code == 422  # the key is bound to the first request, on every replica
    assert _tasks(replicas.one, token) == _tasks(replicas.two, token) == ["Book the dentist"]


def test_concurrent_duplicates_across_replicas_create_one_task(replicas: Replicas, idp: TestIdp) -> None:
    token = idp.token(new_sub())
    key = {"Idempotency-Key": str(uuid.uuid4()), "cf-access-jwt-assertion": token}
    body = {"title": "Pay rent"}
    targets = [replica for replica, _ in zip(cycle(replicas), range(12), strict=False)]

    def create(replica: ChorusProcess) -> httpx.Response:
        return httpx.post(replica.rest_url + "/api/tasks", json=body, headers=key, timeout=30)

    with ThreadPoolExecutor(len(targets)) as pool:
        responses = list(pool.map(create, targets))
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert len([r for r in created if REPLAYED not in r.headers]) == 1
    assert len({r.json()["id"] for r in created}) == 1
    assert _tasks(replicas.one, token) == _tasks(replicas.two, token) == ["Pay rent"]


def test_a_session_revoked_on_one_replica_is_rejected_by_the_other(replicas: Replicas) -> None:
    auth = {"host": "auth.chitty.cc"}
    with client(replicas.one, **auth) as one, client(replicas.two, **auth) as two:
        minted = one.post(
            "/api/auth/token",
            json={"chittyId": CHITTY_ID, "permissions": ["read"]},
            headers={"authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert minted.status_code == 200, minted.text
        token = minted.json()["access_token"]
        bearer = {"authorization": f"Bearer {token}"}
        bystander = one.post(
            "/api/auth/token", json={"chittyId": CHITTY_ID}, headers={"authorization": f"Bearer {ADMIN_KEY}"}
        ).json()["access_token"]
        # Minted on one, accepted by the other (one signing secret, one session table).
        assert two.post("/api/auth/verify", headers=bearer).status_code == 200

        session_id = jwt.decode(token, options={"verify_signature": False})["sid"]
        revoked = one.delete(f"/api/auth/session/{session_id}", headers=bearer)
        assert revoked.status_code == 200
        assert revoked.json() == {"revoked": True, "sessionId": session_id}

        rejected = two.post("/api/auth/verify", headers=bearer)
        assert rejected.status_code == 401 and rejected.json() == INVALID
        assert two.post("/api/auth/refresh", headers=bearer).status_code == 401
        assert two.post("/api/auth/verify", headers={"authorization": f"Bearer {bystander}"}).status_code == 200


def test_a_crispy_chat_written_on_one_replica_is_read_on_the_other(replicas: Replicas) -> None:
    session = str(uuid.uuid4())
    demo = {"x-tenant-id": "demo"}
    with client(replicas.one, **demo) as one, client(replicas.two, **demo) as two:
        assert one.post("/chat", json={"sessionId": session, "message": "first", "stream": False}).status_code == 200
        history = two.get(f"/chat/{session}/history")
        assert history.status_code == 200, history.text
        assert [m["role"] for m in history.json()["messages"]] == ["user", "assistant"]
        assert history.json()["messages"][0]["content"] == "first"
        # The other replica continues the same session; the first reads all of it.
        assert two.post("/chat", json={"sessionId": session, "message": "second", "stream": False}).status_code == 200
        messages = one.get(f"/chat/{session}/history").json()["messages"]
        assert [m["content"] for m in messages if m["role"] == "user"] == ["first", "second"]
        assert len(messages) == 4


def test_an_mcos_conversation_written_on_one_replica_is_read_on_the_other(replicas: Replicas, idp: TestIdp) -> None:
    assertion = {"cf-access-jwt-assertion": idp.token(new_sub())}
    with client(replicas.one, **assertion) as one, client(replicas.two, **assertion) as two:
        turn = {"messages": [{"role": "user", "content": "hello"}], "stream": False, "conversation_id": "trip"}
        assert one.post("/api/chat", json=turn).status_code == 200
        # The builtin model counts the stored conversation it was given: the
        # second replica sees the first replica's turn as context.
        again = two.post("/api/chat", json={**turn, "messages": [{"role": "user", "content": "again"}]})
        assert again.status_code == 200, again.text
        assert "user turn 2 of a 4-message conversation" in again.json()["content"]
        stored = one.get("/api/chat/history", params={"conversation_id": "trip"}).json()["messages"]
        assert [(m["role"], m["content"]) for m in stored if m["role"] == "user"] == [
            ("user", "hello"),
            ("user", "again"),
        ]
