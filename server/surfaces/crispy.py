"""Crispy Enigma (spec 004): the multi-tenant chat API."""

from __future__ import annotations

from chorus_contracts.crispy.v1 import chat_pb2_grpc

from server.domain.chat import ChatEngine
from server.pipeline.key_failures import KeyFailures
from server.pipeline.policies import ResolveTenant, TenantRateLimit
from server.services.crispy_chat import CrispyChatService
from server.storage.chat_store import ChatStore
from server.surfaces import Platform, ServiceUnit


async def build(platform: Platform) -> list[ServiceUnit]:
    s = platform.settings
    await platform.tenants.ensure_seeded(s.crispy.tenants)
    engine = ChatEngine(ChatStore(platform.db), platform.models, platform.clock)
    servicer = CrispyChatService(engine, platform.clock, s.crispy.model or s.models.default, s.crispy.context_messages)
    identify = ResolveTenant(platform.tenants, KeyFailures(platform.limiter, s.api_key_lockout))
    policies = (TenantRateLimit(platform.limiter, s.crispy.rate_limit, identify),)
    return [ServiceUnit("crispy.v1.ChatService", chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer, policies)]
