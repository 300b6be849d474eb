"""The Micro Chief of Staff's per-user quotas (spec 003, "Rate Limits").

Chat messages per minute (a moving window, as the document's per-minute
limit), and LLM tokens, flight searches and storage writes per day (fixed
windows); which methods take them are the methods' rules in proto/mcos/v1/*.proto.
"""

from __future__ import annotations

from limits import RateLimitItemPerDay, RateLimitItemPerMinute

from rest_bridge.dialects.base import DEFAULT_RATE_LIMIT_HEADERS, RateLimitHeaders
from server.platform.admission.quotas import Quota, Quotas
from server.platform.admission.rate_limit import RateLimiter
from server.surfaces.mcos.settings import McosRateLimits

RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
CHAT_MESSAGES = "chat_messages"
LLM_TOKENS = "llm_tokens"
FLIGHT_SEARCHES = "flight_searches"
STORAGE_WRITES = "storage_writes"


def mcos_quotas(
    limiter: RateLimiter, limits: McosRateLimits, namespace: str, headers: RateLimitHeaders = DEFAULT_RATE_LIMIT_HEADERS
) -> Quotas:
    return Quotas(
        limiter,
        (
            Quota(
                CHAT_MESSAGES,
                RateLimitItemPerMinute(limits.chat_messages_per_minute),
                "chat messages per minute",
                moving=True,
            ),
            Quota(LLM_TOKENS, RateLimitItemPerDay(limits.llm_tokens_per_day), "LLM tokens per day"),
            Quota(FLIGHT_SEARCHES, RateLimitItemPerDay(limits.flight_searches_per_day), "flight searches per day"),
            Quota(STORAGE_WRITES, RateLimitItemPerDay(limits.storage_writes_per_day), "storage writes per day"),
        ),
        namespace,
        RATE_LIMIT_EXCEEDED,
        headers,
    )
