"""Two replicas on one PostgreSQL database and one Redis: the login limit is exact across
them, and a token one issues works on the other (one configured `jwt_secret`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.agentchassis import PASSWORD, client_ip, new_email, rest
from tests.support.backends import PgRedis
from tests.support.chorus_process import ChorusProcess, run_cli

CONFIG = '[agentchassis]\njwt_secret = "one-secret-for-every-replica-of-this-deployment"\n'


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, pg_redis: PgRedis) -> Iterator[tuple[ChorusProcess, ...]]:
    backend = {
        "CHORUS_DATABASE_URL": pg_redis.new_database_url(),
        "CHORUS_REDIS_URL": pg_redis.redis_url,
        "CHORUS_REDIS_PREFIX": f"chassis-{uuid.uuid4().hex[:12]}",
    }
    root = tmp_path_factory.mktemp("chassis-replicas")
    run_cli(root / "admin", "migrate", env=backend)
    pair = tuple(ChorusProcess(root / name, env=backend, config_toml=CONFIG) for name in ("one", "two"))
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda replica: replica.start(), pair))
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def test_login_is_limited_across_replicas(replicas: tuple[ChorusProcess, ...]) -> None:
    one, two = replicas
    ip = client_ip()
    statuses = []
    for attempt in range(7):
        with rest(one if attempt % 2 else two, **{"x-forwarded-for": ip}) as client:
            statuses.append(client.post("/auth/login", json={"email": new_email(), "password": "x"}).status_code)
    assert statuses == [401] * 5 + [429] * 2


def test_a_session_of_one_replica_is_the_others(replicas: tuple[ChorusProcess, ...]) -> None:
    one, two = replicas
    email = new_email()
    with rest(one) as client:
        assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    printed = run_cli(one.data_dir, "agentchassis", "outbox", "--limit", "50", env=one.env)
    code = printed.split(f"To: {email}\n", 1)[1].split("code is ", 1)[1][:6]
    with rest(two) as client:
        assert client.post("/auth/verify-email", json={"email": email, "code": code}).status_code == 200
        tokens = client.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
    with rest(one) as client:
        me = client.get("/auth/me", headers={"authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 200 and me.json()["email"] == email
        rotated = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert rotated.status_code == 200
    with rest(two) as client:  # reuse, on the other replica
        assert client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
        assert client.post("/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}).status_code == 401
