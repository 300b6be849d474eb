"""chaozcode.v2.WebhookService: the caller's webhooks."""

from __future__ import annotations

import grpc
from chorus_contracts.chaozcode.v2 import webhooks_pb2, webhooks_pb2_grpc

from server.platform.webhooks import Attempt, Endpoint, WebhookEndpoints
from server.surfaces.chaozcode.query import missing
from server.surfaces.chaozcode.servicers.common import grant, timestamp


def _webhook(endpoint: Endpoint) -> webhooks_pb2.Webhook:
    message = webhooks_pb2.Webhook(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events,
        secret=endpoint.secret or None,
        enabled=endpoint.disabled_at_ms is None,
        created_at=timestamp(endpoint.created_at_ms),
    )
    if endpoint.failing_since_ms is not None:
        message.failing_since.CopyFrom(timestamp(endpoint.failing_since_ms))
    return message


def _delivery(attempt: Attempt) -> webhooks_pb2.Delivery:
    message = webhooks_pb2.Delivery(
        event_id=attempt.event_id,
        event_type=attempt.event_type,
        attempt=attempt.attempt,
        attempted_at=timestamp(attempt.at_ms),
        succeeded=attempt.succeeded,
        error=attempt.error,
        duration_ms=attempt.duration_ms,
    )
    if attempt.status_code is not None:
        message.status_code = attempt.status_code
    return message


class ChaozCodeWebhookService(webhooks_pb2_grpc.WebhookServiceServicer):
    def __init__(self, webhooks: WebhookEndpoints) -> None:
        self._webhooks = webhooks

    async def ListWebhooks(
        self, request: webhooks_pb2.ListWebhooksRequest, context: grpc.aio.ServicerContext
    ) -> webhooks_pb2.ListWebhooksResponse:
        endpoints = await self._webhooks.list(grant().user_id)
        return webhooks_pb2.ListWebhooksResponse(webhooks=[_webhook(e) for e in endpoints])

    async def CreateWebhook(
        self, request: webhooks_pb2.CreateWebhookRequest, context: grpc.aio.ServicerContext
    ) -> webhooks_pb2.CreateWebhookResponse:
        if not request.events:
            raise missing("events")
        endpoint = await self._webhooks.create(grant().user_id, request.url, list(request.events), request.secret)
        return webhooks_pb2.CreateWebhookResponse(webhook=_webhook(endpoint))

    async def DeleteWebhook(
        self, request: webhooks_pb2.DeleteWebhookRequest, context: grpc.aio.ServicerContext
    ) -> webhooks_pb2.DeleteWebhookResponse:
        await self._webhooks.delete(grant().user_id, request.webhook_id)
        return webhooks_pb2.DeleteWebhookResponse(id=request.webhook_id, deleted=True)

    async def TestWebhook(
        self, request: webhooks_pb2.TestWebhookRequest, context: grpc.aio.ServicerContext
    ) -> webhooks_pb2.TestWebhookResponse:
        attempt = await self._webhooks.test(grant().user_id, request.webhook_id)
        return webhooks_pb2.TestWebhookResponse(delivery=_delivery(attempt))

    async def ListWebhookDeliveries(
        self, request: webhooks_pb2.ListWebhookDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> webhooks_pb2.ListWebhookDeliveriesResponse:
        page = await self._webhooks.attempts(grant().user_id, request.webhook_id, request.page_size, request.page_token)
        return webhooks_pb2.ListWebhookDeliveriesResponse(
            deliveries=[_delivery(a) for a in page.attempts], next_page_token=page.next_token
        )
