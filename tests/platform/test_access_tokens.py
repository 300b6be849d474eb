"""Access tokens: what they carry, and the tokens they refuse (expired, forged, alg none)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from server.platform.accounts.access_tokens import AccessTokens
from server.platform.errors import ChorusError
from tests.support.clock import ManualClock

SECRET = "a-server-secret-long-enough-for-every-hmac-algorithm-0123456789abcdef"


def _tokens(clock: ManualClock) -> AccessTokens:
    return AccessTokens(SECRET, "issuer-a", clock, 900)


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_token_names_its_user_until_it_expires() -> None:
    clock = ManualClock(int(time.time() * 1000))
    tokens = _tokens(clock)
    token = tokens.issue("tenant-1", "user_1")
    claims = tokens.verify(token)
    assert (claims.user_id, claims.tenant_id) == ("user_1", "tenant-1")
    clock.now += 900_000
    with pytest.raises(ChorusError) as expired:
        tokens.verify(token)
    assert expired.value.reason == "UNAUTHORIZED"


def test_a_token_expired_by_the_wall_clock_is_refused() -> None:
    clock = ManualClock(int(time.time() * 1000) - 3_600_000)
    token = _tokens(clock).issue("t", "u")
    with pytest.raises(ChorusError, match="expired"):
        _tokens(ManualClock(int(time.time() * 1000))).verify(token)


@pytest.mark.parametrize("case", ["other key", "alg none", "HS512", "other issuer", "refresh type", "no exp"])
def test_tokens_it_did_not_issue_are_refused(case: str) -> None:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "u",
        "tid": "t",
        "typ": "access",
        "iat": now,
        "exp": now + 600,
        "iss": "issuer-a",
        "aud": "issuer-a",
    }
    if case == "other key":
        token = jwt.encode(claims, "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    elif case == "alg none":
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    elif case == "HS512":
        token = jwt.encode(claims, SECRET, algorithm="HS512")
    elif case == "other issuer":
        token = jwt.encode({**claims, "iss": "issuer-b", "aud": "issuer-b"}, SECRET, algorithm="HS256")
    elif case == "refresh type":
        token = jwt.encode({**claims, "typ": "refresh"}, SECRET, algorithm="HS256")
    else:
        token = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256")
    with pytest.raises(ChorusError) as refused:
        _tokens(ManualClock(now * 1000)).verify(token)
    assert refused.value.reason == "UNAUTHORIZED"
