"""MCoS `GET /api/health`: the document's keys, each naming a Chorus component."""

from __future__ import annotations

import grpc
from chorus_contracts.mcos.v1 import health_pb2, health_pb2_grpc

from server.surfaces.mcos.component_health import ComponentHealth

# The version of the API document served.
API_VERSION = "1.0.0"


class McosHealthService(health_pb2_grpc.HealthServiceServicer):
    def __init__(self, health: ComponentHealth) -> None:
        self._health = health

    async def GetHealth(
        self, request: health_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> health_pb2.GetHealthResponse:
        report = await self._health.report()
        return health_pb2.GetHealthResponse(
            status=report.status,
            version=API_VERSION,
            services=health_pb2.ComponentHealth(
                durable_objects=report.storage, workers_ai=report.model, realtime=report.realtime
            ),
        )
