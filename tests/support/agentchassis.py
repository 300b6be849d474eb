"""Agent Chassis test helpers: clients, distinct client addresses, and a user signed up
through the real flow (register, the mailed code, verify, log in)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import httpx

from tests.support.chorus_process import ChorusProcess
from tests.support.smtp_server import SmtpServer

API_KEY = "chassis-test-key-7f3a"
GOOGLE_CLIENT_ID = "chassis-test.apps.googleusercontent.com"
PASSWORD = "SecurePass123"


def client_ip() -> str:
    """A client address of its own (the bridge believes X-Forwarded-For from loopback), so
    per-address limits never collide between tests."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def rest(proc: ChorusProcess, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=proc.rest_url + "/api/v1", headers={"x-forwarded-for": client_ip(), **headers}, timeout=30
    )


def channel(proc: ChorusProcess) -> grpc.Channel:
    return grpc.insecure_channel(proc.grpc_addr)


@dataclass
class User:
    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.access_token}"}

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.access_token}"),)


def sign_up(proc: ChorusProcess, smtp: SmtpServer, email: str | None = None) -> User:
    email = email or new_email()
    with rest(proc) as client:
        made = client.post("/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Test"})
        assert made.status_code == 201, made.text
        verified = client.post("/auth/verify-email", json={"email": email, "code": smtp.code_for(email)})
        assert verified.status_code == 200, verified.text
        tokens = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    return User(made.json()["id"], email, body["access_token"], body["refresh_token"])
