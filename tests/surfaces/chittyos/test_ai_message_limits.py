"""gRPC message size limits between the bridge and the server.

`grpc.max_message_bytes` (64 MiB by default) bounds both the server and the
bridge's channel (or, in-process, the bridge's calls). A response over it is the transport's failure, not a
quota: the client gets 502 in the surface's envelope, never a 429 that
clients (the openai SDK among them) retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.chittyos_ai import AI_HOST
from tests.support.chorus_process import ChorusProcess

LIMIT = 1024 * 1024


@pytest.fixture(scope="module", params=["inprocess", "grpc"])
def small_limit(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[ChorusProcess]:
    """The limit holds on both bridge transports: in-process (the default) as over the loopback channel."""
    data_dir: Path = tmp_path_factory.mktemp("ai-limits")
    env = {"CHORUS_GRPC__MAX_MESSAGE_BYTES": str(LIMIT), "CHORUS_REST__TRANSPORT": request.param}
    with ChorusProcess(data_dir, env=env) as proc:
        yield proc


def test_a_response_over_the_limit_is_502_not_429(small_limit: ChorusProcess) -> None:
    texts = [f"text {i}" for i in range(400)]  # 400 x 768 doubles: ~2.4 MB
    with httpx.Client(base_url=small_limit.rest_url, headers=AI_HOST, timeout=30) as http:
        response = http.post("/v1/embeddings", json={"input": texts})
        assert response.status_code == 502, response.text
        error = response.json()["error"]
        assert error["code"] == "message_too_large" and error["type"] == "server_error"
        assert "grpc.max_message_bytes" in error["message"]
        # Under the limit, the same server answers.
        fitting = http.post("/v1/embeddings", json={"input": texts[:100]})
        assert fitting.status_code == 200 and len(fitting.json()["data"]) == 100
