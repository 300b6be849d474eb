"""Every Prometheus series Chorus exports, defined once.

Label values are bounded: surfaces, gRPC method paths and route templates, status
codes, configured model ids and provider names, quota names. Never ids, keys,
tenants or paths with their variables filled in.

With `chorus serve --workers N` the supervisor points PROMETHEUS_MULTIPROC_DIR at a
directory shared by the workers (server/workers.py): each worker's values live in
files there, and any worker's `/metrics` adds them all up (prometheus-client's
multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: from a cache hit (~100 µs) to a long model stream.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STREAM_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
SIZE_BUCKETS = (64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


def enable_multiprocess(directory: str) -> None:
    """Values from now on live in files under `directory` (before any worker forks)."""
    os.environ[MULTIPROCESS_DIR] = directory
    # prometheus-client picks its value class at import; the supervisor has imported it already.
    prometheus_values.ValueClass = prometheus_values.get_value_class()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_DIR) or None


class Metrics:
    """One process's series (a test may run several, each with its own registry)."""

    def __init__(self) -> None:
        shared = multiprocess_dir()
        # In multiprocess mode the series register nowhere: the collector reads the files.
        registry = None if shared else CollectorRegistry()
        self._registry = registry
        self.requests = Counter(
            "chorus_requests",
            "Requests answered, by surface, gRPC method, route template, transport and status "
            "(the HTTP status over REST, the gRPC code over gRPC)",
            ("surface", "method", "route", "transport", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "chorus_request_duration_seconds",
            "Time from a request's arrival to its response's end",
            ("surface", "method", "route", "transport"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.request_size = Histogram(
            "chorus_request_size_bytes",
            "Request body sizes (the declared Content-Length over REST, the message over gRPC)",
            ("surface", "route", "transport"),
            buckets=SIZE_BUCKETS,
            registry=registry,
        )
        self.response_size = Histogram(
            "chorus_response_size_bytes",
            "Response body sizes (bytes written over REST, messages over gRPC)",
            ("surface", "route", "transport"),
            buckets=SIZE_BUCKETS,
            registry=registry,
        )
        self.open_streams = Gauge(
            "chorus_sse_open_streams",
            "Server-sent event streams open now",
            ("surface", "route"),
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.stream_duration = Histogram(
            "chorus_sse_stream_duration_seconds",
            "How long server-sent event streams stayed open",
            ("surface", "route"),
            buckets=STREAM_BUCKETS,
            registry=registry,
        )
        self.first_event = Histogram(
            "chorus_sse_time_to_first_event_seconds",
            "Time from a streaming request's arrival to its first event",
            ("surface", "route"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.first_token = Histogram(
            "chorus_model_time_to_first_token_seconds",
            "Time from a model call to its first text",
            ("model",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.tokens = Counter(
            "chorus_model_tokens",
            "Model tokens by model and direction (input: prompt, output: completion)",
            ("model", "direction"),
            registry=registry,
        )
        self.upstream_duration = Histogram(
            "chorus_upstream_duration_seconds",
            "Calls to model providers, start to end of the stream",
            ("provider",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_errors = Counter(
            "chorus_upstream_errors",
            "Failed calls to model providers, by provider and kind of failure",
            ("provider", "kind"),
            registry=registry,
        )
        self.refusals = Counter(
            "chorus_rate_limit_refusals",
            "Calls refused by a rate limit or quota, by surface and quota",
            ("surface", "quota"),
            registry=registry,
        )
        self.replays = Counter(
            "chorus_idempotent_replays",
            "Calls answered from an idempotency key's stored response",
            ("surface", "method"),
            registry=registry,
        )
        self.jobs_depth = Gauge(
            "chorus_jobs_queue_depth",
            "Background jobs queued or waiting for a retry, read at scrape time",
            multiprocess_mode="max",
            registry=registry,
        )
        self.jobs_age = Gauge(
            "chorus_jobs_oldest_age_seconds",
            "Age of the oldest job due and not yet claimed, read at scrape time",
            multiprocess_mode="max",
            registry=registry,
        )
        self.db_duration = Histogram(
            "chorus_db_call_duration_seconds",
            "Database calls, by operation (fetch: a read; transaction, write: a write transaction)",
            ("operation",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.redis_duration = Histogram(
            "chorus_redis_call_duration_seconds",
            "Redis calls (rate-limit and quota counters), by operation",
            ("operation",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.loop_lag = Histogram(
            "chorus_event_loop_lag_seconds",
            "How late the event loop ran a timer: time it spent busy with something else",
            buckets=LAG_BUCKETS,
            registry=registry,
        )

    def exposition(self) -> bytes:
        """The Prometheus text format: this process's series, or every worker's."""
        if self._registry is not None:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
