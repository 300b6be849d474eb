"""Composition of the ChittyOS auth service: the deployment's token service behind its admin key."""

from __future__ import annotations

from chorus_contracts.chittyos.auth.v1 import auth_pb2_grpc

from server.platform.surface import Platform, ServiceUnit
from server.surfaces.chittyos.auth.policies import RequireAdmin
from server.surfaces.chittyos.auth.servicer import ChittyAuthService
from server.surfaces.chittyos.deployment import chittyos


async def build(platform: Platform) -> list[ServiceUnit]:
    core = await chittyos(platform)
    return [
        ServiceUnit(
            "chittyos.auth.v1.AuthService",
            auth_pb2_grpc.add_AuthServiceServicer_to_server,
            ChittyAuthService(core.tokens, core.admin),
            (core.in_tenant, RequireAdmin(core.admin)),
        )
    ]
