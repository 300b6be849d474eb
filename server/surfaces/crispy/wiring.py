"""Crispy Enigma's services (spec 004): the chat engine behind a tenant's rate limit."""

from __future__ import annotations

from chorus_contracts.crispy.v1 import chat_pb2_grpc

from server.platform.admission.policies import ResolveTenant, TenantRateLimit
from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.engine import ChatEngine
from server.platform.surface import Platform, ServiceUnit
from server.surfaces.crispy.servicer import CrispyChatService
from server.surfaces.crispy.settings import SETTINGS
from server.surfaces.crispy.surface import SURFACE


async def build(platform: Platform) -> list[ServiceUnit]:
    s, crispy = platform.settings, SETTINGS.of(platform.settings)
    await platform.tenants.ensure_seeded(crispy.tenants)
    engine = ChatEngine(ConversationStore(platform.db, SURFACE.name), platform.models, platform.clock)
    servicer = CrispyChatService(engine, platform.clock, crispy.model or s.models.default, crispy.context_messages)
    identify = ResolveTenant(platform.tenants, platform.key_failures)
    headers = SURFACE.dialect.rate_limit_headers
    policies = (TenantRateLimit(platform.limiter, crispy.rate_limit, identify, headers),)
    return [ServiceUnit("crispy.v1.ChatService", chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer, policies)]
