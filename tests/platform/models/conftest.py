"""Fixtures for provider tests: one test OpenAI upstream per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.openai_upstream import OpenAIUpstream

UPSTREAM_KEY = "sk-upstream-test-0123456789"


@pytest.fixture(scope="session")
def upstream_server() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream(api_key=UPSTREAM_KEY).serve() as upstream:
        yield upstream


@pytest.fixture
def upstream(upstream_server: OpenAIUpstream) -> OpenAIUpstream:
    upstream_server.reset()
    upstream_server.api_key = UPSTREAM_KEY
    return upstream_server
