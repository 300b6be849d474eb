"""Composition of the ChittyOS AI gateway: registries, domain services and the servicer."""

from __future__ import annotations

from chorus_contracts.chittyos.ai.v1 import ai_pb2_grpc

from server.platform.models.setup import build_embedding_registry
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.chittyos.ai.completions import CompletionService
from server.surfaces.chittyos.ai.embeddings import EmbeddingService
from server.surfaces.chittyos.ai.model_catalog import model_cards
from server.surfaces.chittyos.ai.servicer import AiGatewayServicer
from server.surfaces.chittyos.deployment import chittyos
from server.surfaces.chittyos.settings import ai_gateway_models


def ai_gateway_servicer(platform: Platform) -> AiGatewayServicer:
    """The gateway over the shared chat model registry and its own embedding
    registry (whose HTTP clients close at shutdown)."""
    settings, clock = platform.settings, platform.clock
    primary, embedding = ai_gateway_models(settings)
    embeddings = build_embedding_registry(settings.models)
    platform.closers.append(embeddings.aclose)
    return AiGatewayServicer(
        CompletionService(platform.models, clock, primary),
        EmbeddingService(embeddings, embedding),
        model_cards(settings.models, started_at=clock.now_ms() // 1000),
        clock,
    )


async def build(platform: Platform) -> list[ServiceUnit]:
    core = await chittyos(platform)
    # Open (their rules are public), as the document shows no credentials on these routes.
    return [
        ServiceUnit(
            "chittyos.ai.v1.AiGatewayService",
            ai_pb2_grpc.add_AiGatewayServiceServicer_to_server,
            ai_gateway_servicer(platform),
            (core.in_tenant,),
        )
    ]
