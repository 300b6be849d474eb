"""Quotas, as MCoS declares them: taken per principal, refused without counting, tokens spent later."""

from __future__ import annotations

import grpc
import pytest

from server.config import McosRateLimits
from server.platform.admission.quotas import Quotas
from server.platform.admission.rate_limit import RateLimiter
from server.platform.errors import ChorusError
from server.surfaces.mcos.quotas import RATE_LIMIT_EXCEEDED, mcos_quotas


def _quotas() -> Quotas:
    limits = McosRateLimits(
        chat_messages_per_minute=2, llm_tokens_per_day=100, flight_searches_per_day=1, storage_writes_per_day=3
    )
    return mcos_quotas(RateLimiter(), limits, namespace="test")


async def test_take_counts_until_the_limit_then_refuses_with_headers() -> None:
    quotas = _quotas()
    decisions = [await quotas.take("storage_writes", "alice") for _ in range(3)]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    with pytest.raises(ChorusError) as refused:
        await quotas.take("storage_writes", "alice")
    error = refused.value
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and error.reason == RATE_LIMIT_EXCEEDED
    assert error.headers["x-ratelimit-limit"] == "3" and error.headers["x-ratelimit-remaining"] == "0"
    assert int(error.headers["retry-after"]) >= 1
    # Per principal: another user is untouched.
    assert (await quotas.take("storage_writes", "bob")).remaining == 2


async def test_chat_messages_use_a_per_minute_window() -> None:
    quotas = _quotas()
    await quotas.take("chat_messages", "alice")
    await quotas.take("chat_messages", "alice")
    with pytest.raises(ChorusError):
        await quotas.take("chat_messages", "alice")


async def test_tokens_are_spent_after_the_fact_and_then_checked() -> None:
    quotas = _quotas()
    assert (await quotas.check("llm_tokens", "alice")).remaining == 100
    await quotas.spend("llm_tokens", "alice", 60)
    assert (await quotas.check("llm_tokens", "alice")).remaining == 40
    # A reply bigger than what is left still counts (the window fills up).
    await quotas.spend("llm_tokens", "alice", 500)
    with pytest.raises(ChorusError) as refused:
        await quotas.check("llm_tokens", "alice")
    assert refused.value.info == {"quota": "llm_tokens"}
