"""Development mode (no SMTP, no Google, the key from CHASSIS_API_KEY), the outbox CLI,
the mount under /api/v1 beside MCoS's /api/, and that no secret reaches a log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agentchassis import API_KEY, PASSWORD, new_email, rest, sign_up
from tests.support.chorus_process import ChorusProcess, run_cli
from tests.support.smtp_server import SmtpServer

ALIAS_KEY = "alias-key-from-dotenv-123"


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    data_dir: Path = tmp_path_factory.mktemp("agentchassis-dev")
    # At debug level: the outbox's mail (with its code) is a database write, whose
    # parameters the database driver's debug lines would show.
    with ChorusProcess(data_dir, env={"CHASSIS_API_KEY": ALIAS_KEY}, config_toml='log_level = "debug"\n') as proc:
        yield proc


def test_without_smtp_mail_waits_in_the_outbox(dev: ChorusProcess) -> None:
    email = new_email()
    with rest(dev) as client:
        assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        printed = run_cli(dev.data_dir, "agentchassis", "outbox")
        assert f"To: {email}" in printed and "Subject: Verify your email" in printed
        mailed = rf"To: {re.escape(email)}\nSubject: Verify your email\n\nYour verification code is (\d{{6}})"
        code = re.findall(mailed, printed)
        assert code, printed
        verified = client.post("/auth/verify-email", json={"email": email, "code": code[-1]})
        assert verified.status_code == 200, verified.text
        assert client.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    log = "".join(dev.output)
    assert "DEBUG" in log  # the log is at debug level
    assert f"verification code is {code[-1]}" not in log


def test_google_without_a_client_id_is_503(dev: ChorusProcess) -> None:
    with rest(dev) as client:
        answer = client.post("/auth/google", json={"id_token": "x.y.z"})
    assert answer.status_code == 503 and answer.json() == {"detail": "Google sign-in is not configured"}


def test_the_documents_env_name_sets_the_api_key(dev: ChorusProcess) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}]}
    with rest(dev) as client:
        assert client.post("/agent/completion", json=body, headers={"x-api-key": ALIAS_KEY}).status_code == 200
        assert client.post("/agent/completion", json=body, headers={"x-api-key": API_KEY}).status_code == 401


def test_api_v1_wins_over_mcos_api(chassis: ChorusProcess) -> None:
    with rest(chassis) as client:
        unknown = client.get("/no/such/route")
        assert unknown.status_code == 404 and unknown.json() == {"detail": "Not Found"}
        wrong_method = client.put("/health")
        assert wrong_method.status_code == 405 and "detail" in wrong_method.json()
        malformed = client.post("/auth/login", content=b"{not json", headers={"content-type": "application/json"})
        assert malformed.status_code == 400 and "detail" in malformed.json()


def test_no_password_code_or_token_reaches_the_log(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    user = sign_up(chassis, smtp)
    code = smtp.code_for(user.email)
    with rest(chassis) as client:
        refreshed = client.post("/auth/refresh", json={"refresh_token": user.refresh_token}).json()
        client.post("/auth/password-reset", json={"email": user.email})
        reset_code = smtp.code_for(user.email, count=2)
        client.post("/auth/login", json={"email": user.email, "password": "WrongPassword1"})
        client.get("/auth/me", headers={"authorization": "Bearer forged.token.here"})
        client.post("/agent/completion", json={"message": "x"}, headers={"x-api-key": "wrong-key-secret-9"})
    log = "".join(chassis.output)
    assert "chorus: REST listening" in log  # the log is captured
    # A code is six digits: found only standing alone (not inside a timestamp or an address).
    for six_digits in (code, reset_code):
        assert not re.search(rf"(?<![0-9a-fA-Fx]){six_digits}(?![0-9a-fA-F])", log)
    secrets = [
        PASSWORD,
        "WrongPassword1",
        user.access_token,
        user.refresh_token,
        refreshed["access_token"],
        refreshed["refresh_token"],
        user.refresh_token.split(".")[1],
        "wrong-key-secret-9",
        API_KEY,
    ]
    for secret in secrets:
        assert secret not in log
