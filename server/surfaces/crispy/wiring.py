"""Crispy Enigma's services (spec 004): chat, documents and search, tools and speech behind a tenant's rate limit."""

from __future__ import annotations

from chorus_contracts.crispy.v1 import chat_pb2_grpc, search_pb2_grpc, speech_pb2_grpc, tools_pb2_grpc

from server.platform.admission.policies import ResolveTenant, TenantRateLimit
from server.platform.chat.conversation_store import ConversationStore
from server.platform.chat.engine import ChatEngine
from server.platform.speech.audio_store import AudioStore
from server.platform.speech.synthesizer import Synthesizer
from server.platform.surface import Platform, ServiceUnit
from server.platform.tools.registry import ToolRegistry
from server.platform.tools.search import search_tool
from server.platform.tools.summarize import summarize_tool
from server.platform.tools.text_tools import TEXT_TOOLS
from server.platform.vectors.semantic import semantic_search
from server.surfaces.crispy.documents import NAMESPACE, DocumentStore
from server.surfaces.crispy.search import GroundedSearch
from server.surfaces.crispy.search_servicer import CrispyDocumentService, CrispySearchService
from server.surfaces.crispy.servicer import CrispyChatService
from server.surfaces.crispy.settings import SETTINGS
from server.surfaces.crispy.speech_servicer import CrispySpeechService
from server.surfaces.crispy.surface import SURFACE
from server.surfaces.crispy.tools_servicer import CrispyToolService


async def build(platform: Platform) -> list[ServiceUnit]:
    s, crispy = platform.settings, SETTINGS.of(platform.settings)
    await platform.tenants.ensure_seeded(crispy.tenants)
    model = crispy.model or s.models.default
    engine = ChatEngine(ConversationStore(platform.db, SURFACE.name), platform.models, platform.clock)
    chat = CrispyChatService(engine, platform.clock, model, crispy.context_messages)
    semantic = await semantic_search(platform, NAMESPACE)
    documents = DocumentStore(platform.db, platform.clock, semantic)
    grounded = GroundedSearch(
        documents,
        semantic,
        platform.models,
        model,
        min_score=crispy.search.min_score,
        max_answer_tokens=crispy.search.max_answer_tokens,
    )
    registry = ToolRegistry([summarize_tool(platform.models, model), *TEXT_TOOLS, search_tool(grounded.answer)])
    tools = CrispyToolService(registry)
    speech = crispy.speech
    synthesizer = Synthesizer(speech.voices, workers=speech.workers, max_pending=speech.max_pending)
    platform.closers.append(synthesizer.close)
    secret = speech.url_secret.get_secret_value()
    store = AudioStore(s.data_dir / "audio", lifetime_s=speech.link_lifetime, secret=secret)
    tts = CrispySpeechService(synthesizer, store, speech)
    identify = ResolveTenant(platform.tenants, platform.key_failures)
    headers = SURFACE.dialect.rate_limit_headers
    policies = (TenantRateLimit(platform.limiter, crispy.rate_limit, identify, headers),)
    return [
        ServiceUnit("crispy.v1.ChatService", chat_pb2_grpc.add_ChatServiceServicer_to_server, chat, policies),
        ServiceUnit(
            "crispy.v1.DocumentService",
            search_pb2_grpc.add_DocumentServiceServicer_to_server,
            CrispyDocumentService(documents),
            policies,
        ),
        ServiceUnit(
            "crispy.v1.SearchService",
            search_pb2_grpc.add_SearchServiceServicer_to_server,
            CrispySearchService(grounded),
            policies,
        ),
        ServiceUnit("crispy.v1.ToolService", tools_pb2_grpc.add_ToolServiceServicer_to_server, tools, policies),
        ServiceUnit("crispy.v1.SpeechService", speech_pb2_grpc.add_SpeechServiceServicer_to_server, tts, policies),
    ]
