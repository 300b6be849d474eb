"""Webhooks (spec 001, "Webhook Endpoints"): a real HTTPS receiver on loopback gets
signed events, verified with the `standardwebhooks` library and with the document's
HMAC recipe; retries, redirects, tests and the attempt log; SSRF refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson
import pytest
from standardwebhooks import Webhook

from tests.support.chaozcode import Account, add_user, rest
from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.webhook_receiver import (
    Received,
    WebhookReceiver,
    config_toml,
    document_recipe_valid,
    verify_both_ways,
    webhook_receiver,
)

EVENTS = [
    "memory.stored",
    "memory.updated",
    "memory.deleted",
    "agent.started",
    "agent.completed",
    "agent.failed",
    "project.updated",
    "usage.threshold",
]


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookReceiver]:
    with webhook_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


# The free plan's day is 10 calls here, and usage.threshold fires at half of it.
PLANS = """
[chaozcode]
usage_threshold = 0.5
[chaozcode.plans.free]
per_minute = 100
per_day = 10
burst = 100
[chaozcode.plans.pro]
per_minute = 60
per_day = 10000
burst = 100
[chaozcode.plans.team]
per_minute = 300
per_day = 100000
burst = 500
[chaozcode.plans.enterprise]
per_minute = 1000
per_day = 0
burst = 1000
"""


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[ChorusProcess]:
    """A server that may deliver to the loopback receiver (tests allow private addresses)."""
    with ChorusProcess(tmp_path_factory.mktemp("hooks"), config_toml=config_toml(receiver, extra=PLANS)) as proc:
        yield proc


def make_webhook(proc: ChorusProcess, account: Account, url: str, events: list[str], secret: str = "") -> dict:  # type: ignore[type-arg]
    body: dict[str, object] = {"url": url, "events": events}
    if secret:
        body["secret"] = secret
    with rest(proc, account.key) as client:
        made = client.post("/webhooks", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def deliveries(proc: ChorusProcess, account: Account, webhook_id: str) -> list[dict]:  # type: ignore[type-arg]
    with rest(proc, account.key) as client:
        answer = client.get(f"/webhooks/{webhook_id}/deliveries")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["deliveries"])


def test_create_list_delete_and_the_secret_is_shown_once(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(hooks)
    url = receiver.url("/crud")
    made = make_webhook(hooks, account, url, ["project.updated", "agent.failed"])
    assert re.fullmatch(r"wh_[0-9a-f]{24}", made["id"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", made["secret"])
    assert made["url"] == url and made["events"] == ["project.updated", "agent.failed"] and made["enabled"] is True
    with rest(hooks, account.key) as client:
        listed = client.get("/webhooks")
        assert listed.status_code == 200
        [only] = listed.json()["webhooks"]
        assert only["id"] == made["id"] and "secret" not in only
        deleted = client.delete(f"/webhooks/{made['id']}")
        assert deleted.status_code == 200 and deleted.json() == {"id": made["id"], "deleted": True}
        assert client.get("/webhooks").json() == {"webhooks": []}
        assert client.delete(f"/webhooks/{made['id']}").status_code == 404


def test_project_updated_is_delivered_signed_both_ways(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(hooks)
    generated = make_webhook(hooks, account, receiver.script("/signed-a", "ok"), ["project.updated"])
    chosen = "my own signing secret 123"
    make_webhook(hooks, account, receiver.script("/signed-b", "ok"), ["project.updated"], chosen)
    make_webhook(hooks, account, receiver.script("/not-subscribed", "ok"), ["agent.completed"])
    with rest(hooks, account.key) as client:
        project = client.post("/projects", json={"name": "Hooked"}).json()
        assert client.patch(f"/projects/{project['id']}", json={"settings": {"lint": True}}).status_code == 200
    assert wait_until(lambda: len(receiver.at("/signed-a")) == 1 and len(receiver.at("/signed-b")) == 1)
    [to_generated], [to_own] = receiver.at("/signed-a"), receiver.at("/signed-b")
    payload = verify_both_ways(generated["secret"], to_generated)
    assert verify_both_ways(chosen, to_own) == payload
    assert list(payload) == ["id", "type", "createdAt", "data"]
    assert re.fullmatch(r"evt_[0-9a-f]{24}", str(payload["id"])) and payload["type"] == "project.updated"
    assert payload["data"] == {"projectId": project["id"], "changed": ["settings"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(payload["createdAt"]))
    assert to_generated.headers["Content-Type"] == "application/json"
    # A wrong secret does not verify.
    assert not document_recipe_valid(chosen, to_generated)
    assert receiver.at("/not-subscribed") == []
    [logged] = deliveries(hooks, account, generated["id"])
    assert logged["eventId"] == payload["id"] and logged["eventType"] == "project.updated"
    assert logged["attempt"] == 1 and logged["succeeded"] is True and logged["statusCode"] == 204


def test_a_failing_receiver_is_retried_until_it_succeeds(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(hooks)
    hook = make_webhook(hooks, account, receiver.script("/flaky", "fail", "fail", "ok"), ["project.updated"])
    with rest(hooks, account.key) as client:
        project = client.post("/projects", json={"name": "Flaky"}).json()
        client.patch(f"/projects/{project['id']}", json={"name": "Flakier"})
    assert wait_until(lambda: len(receiver.at("/flaky")) == 3, timeout=20)
    got = receiver.at("/flaky")
    assert len({r.body for r in got}) == 1 and len({r.headers["webhook-id"] for r in got}) == 1
    for one in got:
        verify_both_ways(hook["secret"], one)
    assert wait_until(lambda: len(deliveries(hooks, account, hook["id"])) == 3)
    log = deliveries(hooks, account, hook["id"])  # newest first
    assert [(d["attempt"], d["succeeded"], d.get("statusCode")) for d in log] == [
        (3, True, 204),
        (2, False, 500),
        (1, False, 500),
    ]
    assert log[1]["error"] == "HTTP 500"
    # Nothing more arrives once it succeeded.
    assert not wait_until(lambda: len(receiver.at("/flaky")) > 3, timeout=1.5)


def test_redirects_are_not_followed(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(hooks)
    hook = make_webhook(hooks, account, receiver.script("/redirecting", "redirect"), ["project.updated"])
    with rest(hooks, account.key) as client:
        tested = client.post(f"/webhooks/{hook['id']}/test", json={})
    assert tested.status_code == 200, tested.text
    delivery = tested.json()["delivery"]
    assert delivery["succeeded"] is False and delivery["statusCode"] == 302
    assert "redirects are not followed" in delivery["error"]
    assert receiver.at("/redirecting/moved") == []


def test_the_test_route_sends_a_signed_test_event_now(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(hooks)
    hook = make_webhook(hooks, account, receiver.script("/tested", "ok", "fail"), ["usage.threshold"])
    with rest(hooks, account.key) as client:
        first = client.post(f"/webhooks/{hook['id']}/test", json={})
        second = client.post(f"/webhooks/{hook['id']}/test", json={})
    assert first.status_code == 200, first.text
    ok = first.json()["delivery"]
    assert ok["succeeded"] is True and ok["statusCode"] == 204 and ok["eventType"] == "webhook.test"
    [sent, _] = receiver.at("/tested")
    payload = verify_both_ways(hook["secret"], sent)
    assert payload["id"] == ok["eventId"] and payload["data"] == {
        "webhookId": hook["id"],
        "message": "This is a test event.",
    }
    failed = second.json()["delivery"]
    assert failed["succeeded"] is False and failed["statusCode"] == 500 and failed["error"] == "HTTP 500"
    assert [d["eventId"] for d in deliveries(hooks, account, hook["id"])] == [failed["eventId"], ok["eventId"]]


def test_webhooks_are_their_owners(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    owner, stranger = add_user(hooks), add_user(hooks)
    hook = make_webhook(hooks, owner, receiver.url("/owned"), ["project.updated"])
    with rest(hooks, stranger.key) as client:
        assert client.get("/webhooks").json() == {"webhooks": []}
        for answer in (
            client.delete(f"/webhooks/{hook['id']}"),
            client.post(f"/webhooks/{hook['id']}/test", json={}),
            client.get(f"/webhooks/{hook['id']}/deliveries"),
        ):
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
    # The stranger's project changes reach only the stranger's webhooks.
    with rest(hooks, stranger.key) as client:
        project = client.post("/projects", json={"name": "Theirs"}).json()
        client.patch(f"/projects/{project['id']}", json={"name": "Still theirs"})
    assert not wait_until(lambda: bool(receiver.at("/owned")), timeout=1.0)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"url": "http://example.com/hook", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://127.0.0.1/hook", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://localhost/hook", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://10.1.2.3/hook", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://[::1]/hook", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://169.254.169.254/latest", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://[::ffff:192.168.0.1]/x", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://user:pw@93.184.215.14/x", "events": ["project.updated"]}, 422, "url"),
        ({"url": "https://93.184.215.14/x", "events": ["memory.exploded"]}, 422, "events"),
        ({"url": "https://93.184.215.14/x", "events": []}, 400, "events"),
        ({"events": ["project.updated"]}, 400, "url"),
        ({"url": "https://93.184.215.14/x", "events": ["project.updated"], "secret": "short"}, 422, "secret"),
    ],
)
def test_invalid_webhooks_are_refused(chaozcode: ChorusProcess, body: dict, status: int, field: str) -> None:  # type: ignore[type-arg]
    """On a server with the default configuration: non-public addresses are refused."""
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        answer = client.post("/webhooks", json=body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["details"]["field"] == field
        assert client.get("/webhooks").json() == {"webhooks": []}


def test_a_public_url_is_accepted_and_every_event_can_be_chosen(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode)
    with rest(chaozcode, account.key) as client:
        made = client.post("/webhooks", json={"url": "https://93.184.215.14/hook", "events": EVENTS})
    assert made.status_code == 201, made.text
    assert made.json()["events"] == EVENTS


def test_readonly_keys_read_but_do_not_change_webhooks(chaozcode: ChorusProcess) -> None:
    account = add_user(chaozcode, key_type="readonly")
    with rest(chaozcode, account.key) as client:
        assert client.get("/webhooks").status_code == 200
        refused = client.post("/webhooks", json={"url": "https://93.184.215.14/h", "events": ["agent.failed"]})
        assert refused.status_code == 403


def test_a_body_is_exactly_what_was_signed(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    """Tampering with one byte breaks both signatures."""
    account = add_user(hooks)
    hook = make_webhook(hooks, account, receiver.script("/tamper", "ok"), ["project.updated"])
    with rest(hooks, account.key) as client:
        client.post(f"/webhooks/{hook['id']}/test", json={})
    [sent] = receiver.at("/tamper")
    tampered = Received(sent.path, sent.headers, sent.body.replace(b"test event", b"TEST event"))
    assert orjson.loads(tampered.body) != orjson.loads(sent.body)
    assert not document_recipe_valid(hook["secret"], tampered)
    with pytest.raises(Exception, match="No matching signature found"):
        Webhook(hook["secret"]).verify(tampered.body, tampered.headers)


def test_usage_threshold_is_emitted_once_when_the_day_crosses_it(
    hooks: ChorusProcess, receiver: WebhookReceiver
) -> None:
    account = add_user(hooks, plan="free")
    hook = make_webhook(hooks, account, receiver.script("/usage", "ok"), ["usage.threshold"])  # call 1
    with rest(hooks, account.key) as client:
        for _ in range(3):  # calls 2-4: below half of 10
            assert client.get("/user/me").status_code == 200
    assert not wait_until(lambda: bool(receiver.at("/usage")), timeout=1.5)
    with rest(hooks, account.key) as client:
        for _ in range(3):  # calls 5-7: the threshold (5) is crossed
            assert client.get("/user/me").status_code == 200
    assert wait_until(lambda: len(receiver.at("/usage")) == 1, timeout=10)
    payload = verify_both_ways(hook["secret"], receiver.at("/usage")[0])
    assert payload["type"] == "usage.threshold"
    data = payload["data"]
    assert isinstance(data, dict)
    assert data["userId"] == account.user_id and data["plan"] == "free" and data["limit"] == 10
    assert data["threshold"] == 0.5 and 5 <= int(data["calls"]) <= 7
    with rest(hooks, account.key) as client:
        assert client.get("/user/me").status_code == 200
    # Once a day.
    assert not wait_until(lambda: len(receiver.at("/usage")) > 1, timeout=1.5)


def test_memory_changes_are_delivered_as_the_document_shows(hooks: ChorusProcess, receiver: WebhookReceiver) -> None:
    account = add_user(hooks)
    hook = make_webhook(
        hooks, account, receiver.script("/memory", "ok"), ["memory.stored", "memory.updated", "memory.deleted"]
    )
    memory = {"id": "project-update", "content": "Shipped v2", "tags": ["project", "update"], "importance": "high"}
    with rest(hooks, account.key) as client:
        assert client.post("/memory/store", json=memory).status_code == 201
        assert client.put("/memory/project-update", json={"content": "Shipped v2.1"}).status_code == 200
        assert client.delete("/memory/project-update").status_code == 200
        # A restore is recorded, not delivered: the document has no event for it.
        assert client.post("/memory/project-update/restore", json={}).status_code == 200
    assert wait_until(lambda: len(receiver.at("/memory")) == 3)
    payloads = [verify_both_ways(hook["secret"], delivered) for delivered in receiver.at("/memory")]
    assert sorted(p["type"] for p in payloads) == ["memory.deleted", "memory.stored", "memory.updated"]
    stored = next(p for p in payloads if p["type"] == "memory.stored")
    assert stored["data"] == {
        "memoryId": "project-update",
        "tags": ["project", "update"],
        "importance": "high",
        "version": 1,
    }
    updated = next(p for p in payloads if p["type"] == "memory.updated")
    assert updated["data"]["version"] == 2
    assert len(deliveries(hooks, account, hook["id"])) == 3
