"""Background jobs every surface uses: a durable queue on the platform's own `jobs`
table, claimed under leases by any replica (see `runner` for the guarantees and
README.md "Background jobs" for why no queue library)."""

from server.platform.jobs.runner import Jobs
from server.platform.jobs.store import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, JobStatus
from server.platform.jobs.types import (
    SVIX_ATTEMPTS,
    Backoff,
    JobContext,
    JobType,
    LeaseLost,
    PermanentFailure,
    svix_backoff,
)

__all__ = [
    "CANCELLED",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "SVIX_ATTEMPTS",
    "Backoff",
    "JobContext",
    "JobStatus",
    "JobType",
    "Jobs",
    "LeaseLost",
    "PermanentFailure",
    "svix_backoff",
]
