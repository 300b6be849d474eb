"""Crispy Enigma (spec 004): the multi-tenant chat API."""

from __future__ import annotations

from chorus_contracts.crispy.v1 import chat_pb2_grpc

from server.platform.admission.policies import ResolveTenant, TenantRateLimit
from server.platform.chat.engine import ChatEngine
from server.platform.chat.store import ChatStore
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.crispy.servicer import CrispyChatService


async def build(platform: Platform) -> list[ServiceUnit]:
    s = platform.settings
    await platform.tenants.ensure_seeded(s.crispy.tenants)
    engine = ChatEngine(ChatStore(platform.db), platform.models, platform.clock)
    servicer = CrispyChatService(engine, platform.clock, s.crispy.model or s.models.default, s.crispy.context_messages)
    identify = ResolveTenant(platform.tenants, platform.key_failures)
    policies = (TenantRateLimit(platform.limiter, s.crispy.rate_limit, identify),)
    return [ServiceUnit("crispy.v1.ChatService", chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer, policies)]
