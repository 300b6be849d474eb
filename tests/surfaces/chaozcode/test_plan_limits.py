"""Rate limits by plan, per API key: the X-RateLimit-* headers, 429 RATE_LIMITED, nothing spent
by a refusal, over REST and gRPC (spec 001, "Rate Limits")."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import httpx
import pytest
from chorus_contracts.chaozcode.v2 import user_pb2, user_pb2_grpc

from tests.support import backends
from tests.support.chaozcode import add_user, new_key, rest
from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.grpc_status import error_info

# Small limits, so the tests reach them: free bursts 3 in a minute; pro allows 3 a day.
LIMITS = """
[chaozcode.plans.free]
per_minute = 2
per_day = 100
burst = 3
[chaozcode.plans.pro]
per_minute = 100
per_day = 3
burst = 100
[chaozcode.plans.team]
per_minute = 300
per_day = 100000
burst = 500
[chaozcode.plans.enterprise]
per_minute = 1000
per_day = 0
burst = 1000
[chaozcode.development_limits]
per_minute = 1
per_day = 100
burst = 1
"""


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    with ChorusProcess(tmp_path_factory.mktemp("chaozcode-limits"), config_toml=LIMITS) as proc:
        yield proc


def _assert_refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMITED" and list(error) == ["code", "message", "details", "requestId"]
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == "0"
    wait = int(response.headers["x-ratelimit-retryafter"])
    assert wait >= 1 and response.headers["retry-after"] == str(wait) and error["details"] == {"retryAfter": wait}
    assert abs(int(response.headers["x-ratelimit-reset"]) - (time.time() + wait)) <= 2


def _calls_recorded(proc: ChorusProcess, user_id: str, expected: int) -> int:
    """The calls written to the database, once they are (counts are written every half second)."""

    def recorded() -> int:
        sql = "SELECT SUM(calls) FROM chaozcode_usage WHERE user_id = :u AND model = ''"
        return int(backends.fetch(proc.data_dir, sql, u=user_id)[0][0] or 0)

    wait_until(lambda: recorded() == expected)
    return recorded()


def test_the_free_burst_then_429_and_refusals_spend_nothing(limited: ChorusProcess) -> None:
    account = add_user(limited, plan="free")
    with rest(limited, account.key) as client:
        passed = [client.get("/user/me") for _ in range(3)]
        assert [r.status_code for r in passed] == [200, 200, 200]
        assert [r.headers["x-ratelimit-limit"] for r in passed] == ["2", "2", "2"]
        assert [r.headers["x-ratelimit-remaining"] for r in passed] == ["2", "1", "0"]
        assert all("x-ratelimit-retryafter" not in r.headers for r in passed)
        for _ in range(3):
            _assert_refused(client.get("/user/me"), 2)
    assert _calls_recorded(limited, account.user_id, 3) == 3
    # Per key: the user's other key has its own windows.
    other = new_key(limited, add_user(limited, plan="free"), "production")
    with rest(limited, other) as client:
        assert client.get("/user/me").status_code == 200


def test_the_daily_limit_refuses_and_gives_the_minute_back(limited: ChorusProcess) -> None:
    account = add_user(limited, plan="pro")
    with rest(limited, account.key) as client:
        passed = [client.get("/user/api-keys") for _ in range(3)]
        assert [r.headers["x-ratelimit-remaining"] for r in passed] == ["2", "1", "0"]
        refused = client.get("/user/api-keys")
        _assert_refused(refused, 100)
        assert int(refused.headers["x-ratelimit-retryafter"]) > 86_000
    assert _calls_recorded(limited, account.user_id, 3) == 3


def test_development_keys_get_the_development_limits(limited: ChorusProcess) -> None:
    account = add_user(limited, plan="team", key_type="development")
    with rest(limited, account.key) as client:
        first = client.get("/user/me")
        assert first.status_code == 200 and first.headers["x-ratelimit-limit"] == "1"
        _assert_refused(client.get("/user/me"), 1)


def test_a_forbidden_call_carries_the_headers_and_spends_nothing(limited: ChorusProcess) -> None:
    account = add_user(limited, plan="free")
    readonly = new_key(limited, account, "readonly")
    with rest(limited, readonly) as client:
        for _ in range(4):
            forbidden = client.patch("/user/me", json={"name": "x"})
            # What would pass now: the whole burst of 3, untouched by the refusals.
            assert forbidden.status_code == 403 and forbidden.headers["x-ratelimit-remaining"] == "3"
        assert client.get("/user/me").headers["x-ratelimit-remaining"] == "2"


def test_limits_over_grpc(limited: ChorusProcess) -> None:
    account = add_user(limited, plan="free")
    with grpc.insecure_channel(limited.grpc_addr) as channel:
        stub = user_pb2_grpc.UserServiceStub(channel)
        for expected in ("2", "1", "0"):
            _, call = stub.GetMe.with_call(user_pb2.GetMeRequest(), metadata=account.metadata)
            headers = dict(call.trailing_metadata())
            assert headers["x-ratelimit-limit"] == "2" and headers["x-ratelimit-remaining"] == expected
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetMe(user_pb2.GetMeRequest(), metadata=account.metadata)
    error = refused.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and error_info(error).reason == "RATE_LIMITED"
    trailers = dict(error.trailing_metadata() or ())
    assert trailers["x-ratelimit-remaining"] == "0" and int(trailers["x-ratelimit-retryafter"]) >= 1
