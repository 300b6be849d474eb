"""Micro Chief of Staff's services (spec 003): chat with tools, tasks, state, memory, flights.

One deployment: every row belongs to the `mcos.tenant` tenant and, within
it, to the Cloudflare Access principal (`sub`). Each service admits a call
through the same policies: the access assertion, then the user's quotas.
"""

from __future__ import annotations

from dataclasses import replace

from chorus_contracts.mcos.v1 import health_pb2_grpc

from server.platform.admission.idempotency import IdempotencyKeys
from server.platform.admission.quota_policy import QuotaPolicy
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.mcos import chat_wiring, flights_wiring, records_wiring
from server.surfaces.mcos.access.assertions import AccessAssertionVerifier, signing_keys
from server.surfaces.mcos.access.policy import CloudflareAccess
from server.surfaces.mcos.component_health import ComponentHealth
from server.surfaces.mcos.core import McosCore
from server.surfaces.mcos.quotas import mcos_quotas
from server.surfaces.mcos.servicers.health import McosHealthService
from server.surfaces.mcos.settings import SETTINGS
from server.surfaces.mcos.surface import SURFACE

# Which methods are public, which quotas each spends or checks (spec 003, "Rate Limits")
# and which honour `Idempotency-Key`: the methods' rules in proto/mcos/v1/*.proto.


async def build(platform: Platform) -> list[ServiceUnit]:
    settings = SETTINGS.of(platform.settings)
    await platform.tenants.ensure_seeded([settings.tenant_seed()])
    tenant = await platform.tenants.get(settings.tenant)
    assert tenant is not None, "seeded above"
    keys = signing_keys(settings.access, platform.settings.data_dir)
    platform.closers.append(keys.aclose)
    verifier = AccessAssertionVerifier(keys, settings.access, platform.clock)
    headers = SURFACE.dialect.rate_limit_headers
    quotas = mcos_quotas(platform.limiter, settings.rate_limits, f"mcos:{tenant.id}", headers)
    core = McosCore(
        platform=platform,
        settings=settings,
        tenant_id=tenant.id,
        quotas=quotas,
        policies=(
            CloudflareAccess(verifier, tenant),
            QuotaPolicy(quotas),
        ),
    )
    units: list[ServiceUnit] = []
    # Each part adds its services here.
    # Each service is built once here and shared by the parts that use it.
    # chat's conversations first: the records' state snapshot reads them.
    store = chat_wiring.conversation_store(core)
    conversations = chat_wiring.conversations(core, store)
    # records: tasks, memory, preferences, state
    records = records_wiring.records(core)
    units += records_wiring.units(core, records, conversations)
    # flights: the tool service
    flights = flights_wiring.flight_tools(core)
    units += flights_wiring.units(core, flights)
    # chat
    units += chat_wiring.units(core, store, conversations, records, flights)
    # health
    health = ComponentHealth(platform.db, platform.models, settings.chat.model)
    units.append(
        ServiceUnit(
            "mcos.v1.HealthService",
            health_pb2_grpc.add_HealthServiceServicer_to_server,
            McosHealthService(health),
            core.policies,
        )
    )
    idempotency = IdempotencyKeys(round(settings.idempotency_ttl_hours * 3_600_000))
    return [replace(unit, idempotency=idempotency) for unit in units]
