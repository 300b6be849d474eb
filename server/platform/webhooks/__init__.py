"""Webhooks any surface offers: endpoints its users register, events emitted in the
transaction of the change that causes them, and signed deliveries as platform jobs
(server/platform/jobs) retried on Svix's schedule. See `delivery` for the guarantees."""

from server.platform.webhooks.delivery import WebhookDelivery, webhook_delivery
from server.platform.webhooks.endpoints import Endpoint, WebhookEndpoints
from server.platform.webhooks.store import Attempt

__all__ = ["Attempt", "Endpoint", "WebhookDelivery", "WebhookEndpoints", "webhook_delivery"]
