"""The platform's webhook delivery on its own (server/platform/webhooks): the SSRF guard
at delivery time, the outbox (a rolled-back change sends nothing), and an endpoint
disabled after failing for days, on the fake clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.config import WebhookSettings
from server.platform.jobs import FAILED, QUEUED, Jobs
from server.platform.storage.database import Database
from server.platform.storage.tables import JobRow
from server.platform.webhooks import WebhookDelivery, WebhookEndpoints
from server.platform.webhooks.delivery import DELIVER, Event
from server.platform.webhooks.store import one
from tests.support.clock import ManualClock
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

DAY_MS = 86_400_000
TENANT, OWNER = "t1", "user_1"


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookReceiver]:
    with webhook_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator[Database]:
    database = Database(migrated_url)
    yield database
    await database.close()


def delivery_on(
    db: Database, clock: ManualClock, receiver: WebhookReceiver, tmp: Path, **settings: object
) -> tuple[Jobs, WebhookDelivery]:
    jobs = Jobs(db, clock, poll_interval=0.05, lease=1.0)
    config = WebhookSettings(ca_file=str(receiver.ca_file), retry_delays=[1.0], **settings)  # type: ignore[arg-type]
    return jobs, WebhookDelivery(db, clock, jobs, config, tmp)


async def until(check: Callable[[], Awaitable[bool]], what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        await asyncio.sleep(0.02)


async def job_states(db: Database) -> list[tuple[str, str | None]]:
    async with db.engine.connect() as conn:
        return [
            (s, e)
            for s, e in (await conn.execute(select(JobRow.state, JobRow.error).where(JobRow.kind == DELIVER))).all()
        ]


async def test_a_registered_name_that_resolves_inside_is_refused_at_delivery(
    db: Database, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    """A URL registered while allowed (or whose DNS answer changed since) is checked again
    on the address DNS gives at delivery: nothing is sent to loopback."""
    clock = ManualClock(1_700_000_000_000)
    _, allowing = delivery_on(db, clock, receiver, tmp_path, allow_private_addresses=True)
    made = await WebhookEndpoints(allowing, TENANT, ["a.b"], "X-Sig").create(
        OWNER, receiver.script("/inside", "ok"), ["a.b"], ""
    )
    _, guarded = delivery_on(db, clock, receiver, tmp_path, allow_private_addresses=False)
    async with db.engine.connect() as conn:
        record = await one(conn, made.id)
    assert record is not None
    attempt = await guarded.attempt(record, Event("evt_1", "a.b", b"{}"), 1, "X-Sig")
    assert not attempt.succeeded and attempt.status_code is None
    assert attempt.error is not None
    assert attempt.error.startswith("refused: localhost resolves to a non-public address (127.0.0.1")
    assert receiver.at("/inside") == []
    # The same record, allowed, is delivered: the refusal was the guard's.
    assert (await allowing.attempt(record, Event("evt_2", "a.b", b"{}"), 1, "X-Sig")).succeeded


async def test_an_event_exists_only_if_its_change_commits(
    db: Database, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    clock = ManualClock(1_700_000_000_000)
    jobs, delivery = delivery_on(db, clock, receiver, tmp_path, allow_private_addresses=True)
    endpoints = WebhookEndpoints(delivery, TENANT, ["a.b"], "X-Sig")
    await endpoints.create(OWNER, receiver.script("/outbox", "ok"), ["a.b"], "")
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await endpoints.emit(conn, OWNER, "a.b", {"n": 1})
            raise RuntimeError("the change fails")
    async with db.write() as conn:
        committed = await endpoints.emit(conn, OWNER, "a.b", {"n": 2})
    jobs.start()
    try:
        await until(lambda: _true(len(receiver.at("/outbox")) == 1), "the committed event")
        await asyncio.sleep(0.3)
        [sent] = receiver.at("/outbox")
        assert sent.headers["webhook-id"] == committed
    finally:
        await jobs.drain(1.0)


async def _true(value: bool) -> bool:
    return value


async def test_an_endpoint_failing_for_days_is_disabled(
    db: Database, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    clock = ManualClock(1_700_000_000_000)
    jobs, delivery = delivery_on(db, clock, receiver, tmp_path, allow_private_addresses=True, disable_after_days=5.0)
    endpoints = WebhookEndpoints(delivery, TENANT, ["a.b"], "X-Sig")
    made = await endpoints.create(OWNER, receiver.script("/down", "fail"), ["a.b"], "")
    async with db.write() as conn:
        await endpoints.emit(conn, OWNER, "a.b", {})
    jobs.start()
    try:
        await until(lambda: _true(len(receiver.at("/down")) == 1), "the first attempt")
        await until(lambda: _states_are(db, [QUEUED]), "the retry queued")
        [listed] = await endpoints.list(OWNER)
        assert listed.failing_since_ms == clock.now and listed.disabled_at_ms is None
        clock.now += 6 * DAY_MS  # the retry is due, and the endpoint has failed for 6 days
        await until(lambda: _states_are(db, [FAILED]), "the delivery ended")
        [(_, reason)] = await job_states(db)
        assert reason is not None and "disabled" in reason
        [listed] = await endpoints.list(OWNER)
        assert listed.disabled_at_ms == clock.now
        # A disabled endpoint takes no more events.
        async with db.write() as conn:
            await endpoints.emit(conn, OWNER, "a.b", {})
        assert len(await job_states(db)) == 1
        assert [(a.attempt, a.succeeded) for a in (await endpoints.attempts(OWNER, made.id, 0, "")).attempts] == [
            (2, False),
            (1, False),
        ]
    finally:
        await jobs.drain(1.0)


async def _states_are(db: Database, states: list[str]) -> bool:
    return [s for s, _ in await job_states(db)] == states
