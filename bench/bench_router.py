"""Router micro-benchmark: ns per `Router.match` on a realistic 60-route table.

Run: .venv/bin/python bench/bench_router.py [--seconds 0.3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from rest_bridge.router import MethodNotAllowed, NotFound, Router

ROUTES: list[tuple[str, str]] = [
    ("GET", "/health"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/{model}"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/completions"),
    ("POST", "/v1/embeddings"),
    ("GET", "/chat"),
    ("POST", "/chat"),
    ("GET", "/chat/{session_id}"),
    ("DELETE", "/chat/{session_id}"),
    ("GET", "/chat/{session_id}/history"),
    ("POST", "/chat/{session_id}/messages"),
    ("GET", "/chat/{session_id}/messages/{message_id}"),
    ("POST", "/chat/{session_id}:stream"),
    ("POST", "/chat/{session_id}:cancel"),
    ("GET", "/v2/memory"),
    ("POST", "/v2/memory"),
    ("GET", "/v2/memory/stats"),
    ("POST", "/v2/memory:search"),
    ("GET", "/v2/memory/{id}"),
    ("PATCH", "/v2/memory/{id}"),
    ("DELETE", "/v2/memory/{id}"),
    ("GET", "/v2/memory/{id}/versions"),
    ("GET", "/v2/memory/{id}/versions/{version}"),
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks/{id}"),
    ("PUT", "/api/tasks/{id}"),
    ("DELETE", "/api/tasks/{id}"),
    ("POST", "/api/tasks/{id}:cancel"),
    ("POST", "/api/tasks/{id}:retry"),
    ("GET", "/api/tasks/{id}/logs"),
    ("GET", "/api/tasks/{id}/events"),
    ("GET", "/agents"),
    ("POST", "/agents"),
    ("GET", "/agents/types"),
    ("GET", "/agents/{agentId}"),
    ("PUT", "/agents/{agentId}"),
    ("DELETE", "/agents/{agentId}"),
    ("POST", "/agents/{agentId}/runs"),
    ("GET", "/agents/{agentId}/runs/{runId}"),
    ("GET", "/agents/{agentId}/tools"),
    ("GET", "/v1/files"),
    ("POST", "/v1/files"),
    ("GET", "/v1/files/{file_id}"),
    ("DELETE", "/v1/files/{file_id}"),
    ("GET", "/v1/files/{file_id}/content"),
    ("GET", "/v1/blobs/{path=**}"),
    ("GET", "/v1/{name=projects/*/locations/*}"),
    ("GET", "/v1/{name=projects/*/locations/*/datasets/*}"),
    ("POST", "/v1/{parent=projects/*/locations/*}/datasets"),
    ("GET", "/auth/me"),
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/refresh"),
    ("GET", "/users/{user_id}"),
    ("PATCH", "/users/{user_id}"),
    ("GET", "/users/{user_id}/sessions"),
    ("GET", "/admin/metrics"),
    ("GET", "/admin/config"),
]

CASES: list[tuple[str, str, str]] = [
    ("static", "GET", "/v2/memory/stats"),
    ("static deep", "POST", "/v1/chat/completions"),
    ("one var", "GET", "/v2/memory/8f14e45f-ea0b-4a4e-b6a5-0c7f1c1c2f3a"),
    ("var + literal", "GET", "/chat/s-123/history"),
    ("two vars", "GET", "/agents/a1/runs/r42"),
    ("custom verb", "POST", "/api/tasks/t-9:cancel"),
    ("multi-seg var", "GET", "/v1/projects/p1/locations/eu/datasets/d7"),
    ("** var", "GET", "/v1/blobs/a/b/c/d.txt"),
    ("percent-encoded", "GET", "/users/caf%C3%A9%2Fbar"),
    ("405", "DELETE", "/v2/memory/stats"),
    ("404", "GET", "/nope/nothing/here"),
]


def build_router() -> Router:
    router = Router()
    for method, template in ROUTES:
        router.add(method, template, f"{method} {template}")
    return router


def time_call(call: Callable[[], object], seconds: float) -> float:
    """Best-of-5 mean ns per call; each round runs about seconds/5."""
    loops = 1000
    while True:  # calibrate so one round takes a measurable time
        start = time.perf_counter_ns()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter_ns() - start
        if elapsed > seconds * 1e9 / 5:
            break
        loops *= 2
    best = elapsed / loops
    for _ in range(4):
        start = time.perf_counter_ns()
        for _ in range(loops):
            call()
        best = min(best, (time.perf_counter_ns() - start) / loops)
    return best


def matcher(router: Router, method: str, path: str) -> Callable[[], object]:
    def call() -> object:
        try:
            return router.match(method, path)
        except (NotFound, MethodNotAllowed) as exc:
            return exc

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="time budget per case")
    args = parser.parse_args()
    router = build_router()
    print(f"{len(ROUTES)} routes, Python {sys.version.split()[0]}")
    for name, method, path in CASES:
        ns = time_call(matcher(router, method, path), args.seconds)
        print(f"{name:16} {method:6} {path:48} {ns:8.0f} ns/match")


if __name__ == "__main__":
    main()
