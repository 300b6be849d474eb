"""Model providers behind one surface-agnostic, streaming interface (see types)."""

from server.platform.models.builtin import BuiltinModel
from server.platform.models.openai_compatible import OpenAICompatibleProvider
from server.platform.models.registry import ModelRegistry, ModelRoute
from server.platform.models.types import (
    ChatTurn,
    Finish,
    ModelError,
    ModelEvent,
    ModelProvider,
    ModelRequest,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)

__all__ = [
    "BuiltinModel",
    "ChatTurn",
    "Finish",
    "ModelError",
    "ModelEvent",
    "ModelProvider",
    "ModelRegistry",
    "ModelRequest",
    "ModelRoute",
    "OpenAICompatibleProvider",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "Usage",
]
