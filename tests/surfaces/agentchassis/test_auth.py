"""The sign-in flow end to end: codes read from mail a real SMTP server received."""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from tests.support.agentchassis import GOOGLE_CLIENT_ID, PASSWORD, client_ip, new_email, rest, sign_up
from tests.support.chorus_process import ChorusProcess
from tests.support.jwks_issuer import JwksIssuer
from tests.support.smtp_server import SmtpServer


def test_register_verify_login_me(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    email = new_email()
    with rest(chassis) as client:
        made = client.post("/auth/register", json={"email": email, "password": PASSWORD, "display_name": "John Doe"})
        assert made.status_code == 201, made.text
        user = made.json()
        assert user["email"] == email and user["display_name"] == "John Doe" and user["email_verified"] is False
        mail = smtp.wait_for(email)
        assert mail["Subject"] == "Verify your email"

        early = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert early.status_code == 403 and early.json() == {"detail": "Email not verified"}

        code = smtp.code_for(email)
        wrong = "000000" if code != "000000" else "111111"
        assert client.post("/auth/verify-email", json={"email": email, "code": wrong}).status_code == 400
        verified = client.post("/auth/verify-email", json={"email": email, "code": code})
        assert verified.status_code == 200 and verified.json()["email_verified"] is True

        tokens = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 900
        assert body["access_token"] and body["refresh_token"]
        me = client.get("/auth/me", headers={"authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200 and me.json()["id"] == user["id"] and me.json()["email"] == email

        bad = client.post("/auth/login", json={"email": email, "password": "WrongPass123"})
        assert bad.status_code == 401 and bad.json() == {"detail": "Incorrect email or password"}
        nobody = client.post("/auth/login", json={"email": new_email(), "password": PASSWORD})
        assert nobody.status_code == 401 and nobody.json() == bad.json()


def test_register_checks_email_password_and_duplicates(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    email = new_email()
    with rest(chassis) as client:
        weak = client.post("/auth/register", json={"email": email, "password": "short"})
        assert weak.status_code == 400 and "8 to 128 characters" in weak.json()["detail"]
        no_digit = client.post("/auth/register", json={"email": email, "password": "NoDigitsHere"})
        assert no_digit.status_code == 400
        not_email = client.post("/auth/register", json={"email": "not-an-email", "password": PASSWORD})
        assert not_email.status_code == 400 and "valid e-mail" in not_email.json()["detail"]
        missing = client.post("/auth/register", json={"email": email})
        assert missing.status_code == 400 and "password" in missing.json()["detail"]
        assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        again = client.post("/auth/register", json={"email": email.upper(), "password": PASSWORD})
        assert again.status_code == 409 and again.json() == {"detail": "Email already registered"}


def test_codes_are_single_use_and_limited_in_attempts(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    email = new_email()
    with rest(chassis) as client:
        assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        code = smtp.code_for(email)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert client.post("/auth/verify-email", json={"email": email, "code": wrong}).status_code == 400
        # Five wrong guesses burn the code: the right one fails too.
        burnt = client.post("/auth/verify-email", json={"email": email, "code": code})
        assert burnt.status_code == 400 and burnt.json() == {"detail": "Invalid or expired code"}
        resent = client.post("/auth/resend-verification", json={"email": email})
        assert resent.status_code == 200
        fresh = smtp.code_for(email, count=2)
        assert client.post("/auth/verify-email", json={"email": email, "code": fresh}).status_code == 200


def test_resend_is_one_mail_a_minute_per_address(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    email = new_email()
    with rest(chassis) as client:
        assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
        assert client.post("/auth/resend-verification", json={"email": email}).status_code == 200
    # From another client address: the limit is the address's, not the client's.
    with rest(chassis) as other:
        limited = other.post("/auth/resend-verification", json={"email": email.upper()})
    assert limited.status_code == 429, limited.text
    assert "detail" in limited.json() and int(limited.headers["retry-after"]) >= 1
    smtp.wait_for(email, count=2)
    time.sleep(0.3)
    assert len(smtp.to(email)) == 2  # the registration's and one resend


def test_login_is_five_attempts_per_15_minutes_per_ip(chassis: ChorusProcess) -> None:
    ip = client_ip()
    with rest(chassis, **{"x-forwarded-for": ip}) as client:
        for _ in range(5):
            assert client.post("/auth/login", json={"email": new_email(), "password": "x"}).status_code == 401
        limited = client.post("/auth/login", json={"email": new_email(), "password": "x"})
        assert limited.status_code == 429 and limited.json()["detail"]
        assert 800 <= int(limited.headers["retry-after"]) <= 900
    with rest(chassis) as elsewhere:  # another address is unaffected
        assert elsewhere.post("/auth/login", json={"email": new_email(), "password": "x"}).status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    user = sign_up(chassis, smtp)
    with rest(chassis) as client:
        first = client.post("/auth/refresh", json={"refresh_token": user.refresh_token})
        assert first.status_code == 200, first.text
        second_token = first.json()["refresh_token"]
        assert second_token != user.refresh_token
        me = client.get("/auth/me", headers={"authorization": f"Bearer {first.json()['access_token']}"})
        assert me.status_code == 200 and me.json()["id"] == user.id

        reused = client.post("/auth/refresh", json={"refresh_token": user.refresh_token})
        assert reused.status_code == 401 and "reuse" in reused.json()["detail"]
        # The whole family is revoked: the current token too.
        after = client.post("/auth/refresh", json={"refresh_token": second_token})
        assert after.status_code == 401
        assert client.post("/auth/refresh", json={"refresh_token": "rt_nope.nope"}).status_code == 401
        # Another sign-in is a family of its own, unaffected.
        again = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
        assert client.post("/auth/refresh", json={"refresh_token": again.json()["refresh_token"]}).status_code == 200


def test_password_reset_reveals_nothing_and_revokes_refresh_tokens(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    user = sign_up(chassis, smtp)
    with rest(chassis) as client:
        known = client.post("/auth/password-reset", json={"email": user.email})
        unknown = client.post("/auth/password-reset", json={"email": new_email()})
        assert known.status_code == unknown.status_code == 200
        assert known.json() == unknown.json()
        code = smtp.code_for(user.email, count=2)
        weak = client.post(
            "/auth/password-reset/confirm", json={"email": user.email, "code": code, "new_password": "weak"}
        )
        assert weak.status_code == 400
        new_password = "EvenBetter456"
        confirmed = client.post(
            "/auth/password-reset/confirm", json={"email": user.email, "code": code, "new_password": new_password}
        )
        assert confirmed.status_code == 200, confirmed.text
        replay = client.post(
            "/auth/password-reset/confirm", json={"email": user.email, "code": code, "new_password": "Another789x"}
        )
        assert replay.status_code == 400
        assert client.post("/auth/refresh", json={"refresh_token": user.refresh_token}).status_code == 401
    with rest(chassis) as fresh_ip:
        old = fresh_ip.post("/auth/login", json={"email": user.email, "password": PASSWORD})
        assert old.status_code == 401
        assert fresh_ip.post("/auth/login", json={"email": user.email, "password": new_password}).status_code == 200


AUDIENCE = "chorus-agentchassis:agentchassis"  # the deployment's issuer and audience


def _claims(user_id: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {"sub": user_id, "tid": "agentchassis", "typ": "access", "iat": now, "exp": now + 600}
    return {**claims, "iss": AUDIENCE, "aud": AUDIENCE, **changes}


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_forged_expired_and_unsigned_tokens_are_refused(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    user = sign_up(chassis, smtp)
    header, _, signature = user.access_token.split(".")
    cases = {
        # Signed with another key.
        "forged": jwt.encode(_claims(user.id), "not-the-server-secret-but-32-bytes-long", algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user.id))}.",
        # The server's signature over other claims: expired, then another user.
        "expired": f"{header}.{_b64(_claims(user.id, exp=int(time.time()) - 10))}.{signature}",
        "other user": f"{header}.{_b64(_claims('user_0000000000000000'))}.{signature}",
        "garbage": "not.a.token",
    }
    with rest(chassis) as client:
        for name, token in cases.items():
            refused = client.get("/auth/me", headers={"authorization": f"Bearer {token}"})
            assert refused.status_code == 401, (name, refused.text)
            refused = client.post(
                "/agent/completion",
                json={"message": "x"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert refused.status_code == 401, (name, refused.text)
        assert client.get("/auth/me").status_code == 401


def test_google_sign_in(chassis: ChorusProcess, smtp: SmtpServer, google_issuer: JwksIssuer) -> None:
    email = new_email()
    with rest(chassis) as client:
        signed_in = client.post("/auth/google", json={"id_token": google_issuer.id_token(GOOGLE_CLIENT_ID, email)})
        assert signed_in.status_code == 200, signed_in.text
        me = client.get("/auth/me", headers={"authorization": f"Bearer {signed_in.json()['access_token']}"})
        assert me.json()["email"] == email and me.json()["email_verified"] is True
        # The same Google account signs in to the same user.
        again = client.post("/auth/google", json={"id_token": google_issuer.id_token(GOOGLE_CLIENT_ID, email)})
        me_again = client.get("/auth/me", headers={"authorization": f"Bearer {again.json()['access_token']}"})
        assert me_again.json()["id"] == me.json()["id"]

        refused = {
            "foreign key": google_issuer.foreign_token(GOOGLE_CLIENT_ID, email),
            "audience": google_issuer.id_token("someone-else", email),
            "issuer": google_issuer.id_token(GOOGLE_CLIENT_ID, email, iss="https://evil.example.com"),
            "expired": google_issuer.id_token(GOOGLE_CLIENT_ID, email, exp=int(time.time()) - 60),
            "unverified": google_issuer.id_token(GOOGLE_CLIENT_ID, new_email(), email_verified=False),
        }
        for name, token in refused.items():
            answer = client.post("/auth/google", json={"id_token": token})
            assert answer.status_code == 401, (name, answer.text)


def test_google_verifies_an_existing_password_account(
    chassis: ChorusProcess, smtp: SmtpServer, google_issuer: JwksIssuer
) -> None:
    email = new_email()
    with rest(chassis) as client:
        made = client.post("/auth/register", json={"email": email, "password": PASSWORD})
        signed_in = client.post("/auth/google", json={"id_token": google_issuer.id_token(GOOGLE_CLIENT_ID, email)})
        assert signed_in.status_code == 200
        me = client.get("/auth/me", headers={"authorization": f"Bearer {signed_in.json()['access_token']}"})
        assert me.json()["id"] == made.json()["id"] and me.json()["email_verified"] is True
        assert client.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("route", ["/auth/me"])
def test_me_needs_a_user_not_the_api_key(chassis: ChorusProcess, route: str) -> None:
    from tests.support.agentchassis import API_KEY

    with rest(chassis, **{"x-api-key": API_KEY}) as client:
        answer = client.get(route)
    assert answer.status_code == 401 and "access token" in answer.json()["detail"]


def test_racing_refreshes_of_one_token_yield_one_successor(chassis: ChorusProcess, smtp: SmtpServer) -> None:
    user = sign_up(chassis, smtp)

    def refresh(_: int) -> int:
        with rest(chassis) as client:
            return client.post("/auth/refresh", json={"refresh_token": user.refresh_token}).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(refresh, range(4)))
    assert statuses.count(200) <= 1 and set(statuses) <= {200, 401}, statuses
