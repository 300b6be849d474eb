"""ChaozCode test helpers: users made with the real `chorus chaozcode users add`, and their clients."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import httpx

from tests.support.chorus_process import ChorusProcess, printed, run_cli


@dataclass
class Account:
    user_id: str
    email: str
    key: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.key}"),)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.key}"}


def add_user(proc: ChorusProcess, plan: str = "pro", key_type: str = "production", name: str = "") -> Account:
    email = f"dev-{uuid.uuid4().hex[:10]}@example.com"
    out = run_cli(
        proc.data_dir,
        *("chaozcode", "users", "add", "--email", email, "--plan", plan, "--key-type", key_type),
        *(("--name", name) if name else ()),
    )
    return Account(printed(out, "user"), email, printed(out, "key"))


def rest(proc: ChorusProcess, key: str = "", **headers: str) -> httpx.Client:
    auth = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=proc.rest_url + "/v2", headers={**auth, **headers}, timeout=30)


def new_key(proc: ChorusProcess, account: Account, key_type: str, scopes: list[str] | None = None) -> str:
    """A further key of `account`'s user, issued over `POST /v2/user/api-keys`."""
    body: dict[str, object] = {"name": f"{key_type} key", "type": key_type}
    if scopes is not None:
        body["scopes"] = scopes
    with rest(proc, account.key) as client:
        made = client.post("/user/api-keys", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


def channel(proc: ChorusProcess) -> grpc.Channel:
    return grpc.insecure_channel(proc.grpc_addr)
