"""Deliveries survive the delivering process: kill -9 between attempts and in the middle
of one, then start again; and two replicas on PostgreSQL + Redis share the work,
each event delivered once per attempt."""

from __future__ import annotations

import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.support.backends import PgRedis
from tests.support.chaozcode import Account, add_user, rest
from tests.support.chorus_process import ChorusProcess, printed, run_cli, wait_until
from tests.support.webhook_receiver import WebhookReceiver, config_toml, webhook_receiver

RETRY_AFTER = "[2.0]"


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookReceiver]:
    with webhook_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


def hooked_project(proc: ChorusProcess, account: Account, url: str) -> str:
    with rest(proc, account.key) as client:
        made = client.post("/webhooks", json={"url": url, "events": ["project.updated"]})
        assert made.status_code == 201, made.text
        project = client.post("/projects", json={"name": "Restarted"}).json()
    return str(project["id"])


def logged(proc: ChorusProcess, account: Account) -> list[tuple[int, bool]]:
    with rest(proc, account.key) as client:
        [hook] = client.get("/webhooks").json()["webhooks"]
        answer = client.get(f"/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    return [(d["attempt"], d["succeeded"]) for d in reversed(answer)]


def kill_9(proc: ChorusProcess) -> None:
    proc.signal(signal.SIGKILL)
    proc.wait(10)


@pytest.mark.parametrize("first_attempt", ["fail", "hang"])
def test_a_delivery_survives_kill_9_of_the_delivering_process(
    tmp_path: Path, receiver: WebhookReceiver, first_attempt: str
) -> None:
    """`fail`: killed between attempts, the retry comes from the restarted process.
    `hang`: killed in the middle of an attempt, its lease expires and it runs again."""
    toml = config_toml(receiver, retry_delays=RETRY_AFTER)
    path = f"/restart-{first_attempt}"
    url = receiver.script(path, first_attempt, "ok")
    first = ChorusProcess(tmp_path, config_toml=toml).start()
    try:
        account = add_user(first)
        project_id = hooked_project(first, account, url)
        with rest(first, account.key) as client:
            assert client.patch(f"/projects/{project_id}", json={"name": "Changed"}).status_code == 200
        assert wait_until(lambda: len(receiver.at(path)) == 1, timeout=10)
        if first_attempt == "fail":
            assert wait_until(lambda: logged(first, account) == [(1, False)])
    finally:
        kill_9(first)
    with ChorusProcess(tmp_path, config_toml=toml) as second:
        assert wait_until(lambda: len(receiver.at(path)) == 2, timeout=20)
        got = receiver.at(path)
        assert got[0].body == got[1].body and got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
        # The killed attempt never logged; the one that answered 2xx is attempt 2.
        expected = [(1, False), (2, True)] if first_attempt == "fail" else [(2, True)]
        assert wait_until(lambda: logged(second, account) == expected)
        assert not wait_until(lambda: len(receiver.at(path)) > 2, timeout=3.0)


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, pg_redis: PgRedis, receiver: WebhookReceiver
) -> Iterator[tuple[ChorusProcess, ...]]:
    backend = {
        "CHORUS_DATABASE_URL": pg_redis.new_database_url(),
        "CHORUS_REDIS_URL": pg_redis.redis_url,
        "CHORUS_REDIS_PREFIX": f"webhooks-{uuid.uuid4().hex[:12]}",
        # Replicas share the key signing secrets are sealed with.
        "CHORUS_WEBHOOKS__SECRET_KEY": Fernet.generate_key().decode(),
    }
    root = tmp_path_factory.mktemp("webhook-replicas")
    run_cli(root / "admin", "migrate", env=backend)
    toml = config_toml(receiver, retry_delays="[0.5]")
    pair = tuple(ChorusProcess(root / name, env=backend, config_toml=toml) for name in ("one", "two"))
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda replica: replica.start(), pair))
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def test_two_replicas_deliver_each_event_once_per_attempt(
    replicas: tuple[ChorusProcess, ...], receiver: WebhookReceiver
) -> None:
    one, _ = replicas
    email = f"wh-{uuid.uuid4().hex[:8]}@example.com"
    out = run_cli(one.data_dir, "chaozcode", "users", "add", "--email", email, "--plan", "pro", env=one.env)
    account = Account(printed(out, "user"), email, printed(out, "key"))
    path = "/replicated"
    project_id = hooked_project(one, account, receiver.script(path, "fail-first"))
    changes = 12

    def change(args: tuple[int, ChorusProcess]) -> int:
        n, replica = args
        with rest(replica, account.key) as client:
            return client.patch(f"/projects/{project_id}", json={"name": f"v{n}"}).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(change, zip(range(changes), cycle(replicas), strict=False))) == [200] * changes
    assert wait_until(lambda: len(receiver.at(path)) >= 2 * changes, timeout=30)
    assert not wait_until(lambda: len(receiver.at(path)) > 2 * changes, timeout=2.0)
    per_event = Counter(r.headers["webhook-id"] for r in receiver.at(path))
    assert len(per_event) == changes and set(per_event.values()) == {2}
    assert wait_until(lambda: Counter(logged(one, account)) == {(1, False): changes, (2, True): changes})
