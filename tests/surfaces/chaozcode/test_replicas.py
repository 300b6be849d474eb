"""Two replicas on one PostgreSQL database and one Redis: a key's plan limit and the usage
counters are exact across them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import httpx
import pytest

from tests.support.backends import PgRedis
from tests.support.chorus_process import ChorusProcess, printed, run_cli, wait_until

BURST = 4
LIMITS = "".join(
    f"\n[chaozcode.plans.{plan}]\nper_minute = 2\nper_day = 1000\nburst = {BURST}\n"
    for plan in ("free", "pro", "team", "enterprise")
)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory, pg_redis: PgRedis) -> Iterator[tuple[ChorusProcess, ...]]:
    """Two replicas; each has the shared backend in its `env` (`CHORUS_DATABASE_URL` and the rest)."""
    backend = {
        "CHORUS_DATABASE_URL": pg_redis.new_database_url(),
        "CHORUS_REDIS_URL": pg_redis.redis_url,
        "CHORUS_REDIS_PREFIX": f"chaozcode-{uuid.uuid4().hex[:12]}",
    }
    root = tmp_path_factory.mktemp("chaozcode-replicas")
    run_cli(root / "admin", "migrate", env=backend)
    pair = tuple(ChorusProcess(root / name, env=backend, config_toml=LIMITS) for name in ("one", "two"))
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda replica: replica.start(), pair))
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def test_a_keys_burst_and_usage_are_counted_once_across_replicas(
    replicas: tuple[ChorusProcess, ...], pg_redis: PgRedis
) -> None:
    one, _ = replicas
    email = f"r-{uuid.uuid4().hex[:8]}@example.com"
    out = run_cli(one.data_dir, "chaozcode", "users", "add", "--email", email, "--plan", "pro", env=one.env)
    key, user_id = printed(out, "key"), printed(out, "user")
    targets = [replica for replica, _ in zip(cycle(replicas), range(3 * BURST), strict=False)]

    def me(replica: ChorusProcess) -> httpx.Response:
        return httpx.get(f"{replica.rest_url}/v2/user/me", headers={"authorization": f"Bearer {key}"}, timeout=30)

    with ThreadPoolExecutor(len(targets)) as pool:
        answers = list(pool.map(me, targets))
    assert sorted(a.status_code for a in answers) == [200] * BURST + [429] * (2 * BURST)
    for replica in replicas:
        refused = me(replica)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "RATE_LIMITED"
    # The persisted counter saw the admitted calls only, from both replicas.
    sql = "SELECT SUM(calls) FROM chaozcode_usage WHERE user_id = :u AND model = ''"
    assert wait_until(lambda: pg_redis.fetch(one.env["CHORUS_DATABASE_URL"], sql, u=user_id) == [(BURST,)])
