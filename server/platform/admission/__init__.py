"""The admission pipeline: request id, credentials, tenancy, rate limits, quotas, idempotency."""
