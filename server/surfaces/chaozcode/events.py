"""ChaozCode's webhook events (spec 001, "Available Events") and the one `emit` every
part of the surface calls, in the transaction of the change that causes the event.

Memory (`memory.stored`/`updated`/`deleted`) emits through `ChaozCodeEvents.emit`
too: `await events.emit(conn, owner_id, MEMORY_STORED, {...})` on the write
connection of the store, update or delete.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.webhooks import WebhookDelivery, WebhookEndpoints

MEMORY_STORED, MEMORY_UPDATED, MEMORY_DELETED = "memory.stored", "memory.updated", "memory.deleted"
AGENT_STARTED, AGENT_COMPLETED, AGENT_FAILED = "agent.started", "agent.completed", "agent.failed"
PROJECT_UPDATED = "project.updated"
USAGE_THRESHOLD = "usage.threshold"
EVENTS = (
    MEMORY_STORED,
    MEMORY_UPDATED,
    MEMORY_DELETED,
    AGENT_STARTED,
    AGENT_COMPLETED,
    AGENT_FAILED,
    PROJECT_UPDATED,
    USAGE_THRESHOLD,
)
SIGNATURE_HEADER = "X-ChaozCode-Signature"


class ChaozCodeEvents:
    def __init__(self, delivery: WebhookDelivery, tenant_id: str) -> None:
        self.webhooks = WebhookEndpoints(delivery, tenant_id, EVENTS, SIGNATURE_HEADER)

    async def emit(
        self,
        conn: AsyncConnection,
        owner_id: str,
        event_type: str,
        data: dict[str, Any],
        event_id: str | None = None,
    ) -> str:
        """Delivers `event_type` with `data` to the user's webhooks that take it, once
        `conn`'s open transaction commits; returns the event id (`evt_...`)."""
        return await self.webhooks.emit(conn, owner_id, event_type, data, event_id)
