"""Composition of the ChittyOS ID service: the authority or the upstream pipeline, and the servicer."""

from __future__ import annotations

from chorus_contracts.chittyos.id.v1 import id_pb2_grpc

from server.platform.admission.tenant_api_key import RequireTenantApiKey
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.chittyos.deployment import chittyos
from server.surfaces.chittyos.id.chitty_ids import ChittyIdService, Issuer, LocalAuthority, UpstreamPipeline
from server.surfaces.chittyos.id.servicer import ChittyIdServicer
from server.surfaces.chittyos.id.store import ChittyIdStore
from server.surfaces.chittyos.id.upstream import ChittyIdUpstream
from server.surfaces.chittyos.settings import SETTINGS


def chitty_ids(platform: Platform) -> ChittyIdService:
    """The ID service in its configured mode; a pipeline's HTTP client closes at shutdown."""
    ids = SETTINGS.of(platform.settings).id
    store = ChittyIdStore(platform.db)
    issuer: Issuer
    if ids.mode == "pipeline":
        upstream = ChittyIdUpstream(ids.upstream_url, ids.upstream_api_key, ids.upstream_timeout)
        platform.closers.append(upstream.aclose)
        issuer = UpstreamPipeline(store, platform.clock, upstream, ids.service_host)
    else:
        issuer = LocalAuthority(store, platform.clock, ids.service_host)
    return ChittyIdService(store, issuer)


async def build(platform: Platform) -> list[ServiceUnit]:
    core = await chittyos(platform)
    minting = RequireTenantApiKey(platform.tenants, core.tenant.id, platform.key_failures)
    return [
        ServiceUnit(
            "chittyos.id.v1.IdService",
            id_pb2_grpc.add_IdServiceServicer_to_server,
            ChittyIdServicer(chitty_ids(platform)),
            (core.in_tenant, minting),
        )
    ]
