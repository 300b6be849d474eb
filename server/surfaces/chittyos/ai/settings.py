"""The ChittyOS AI gateway's settings: `[chittyos.ai]`."""

from __future__ import annotations

from pydantic import BaseModel

from server.config import CHITTYOS_CHAT_MODEL, CHITTYOS_EMBEDDING_MODEL, ConfigError, ModelSettings


class ChittyAiSettings(BaseModel):
    # The AI gateway's default chat model (a key of models.routes). Empty:
    # "@cf/meta/llama-3.1-8b-instruct" when it is routed, else models.default.
    primary_model: str = ""
    # Its default embedding model (a key of models.embeddings). Empty:
    # "@cf/baai/bge-base-en-v1.5" when it is routed, else the first one.
    embedding_model: str = ""

    def models(self, models: ModelSettings) -> tuple[str, str]:
        """The gateway's (primary chat, default embedding) model ids; a ConfigError
        names the setting when one is not routed."""
        primary = self.primary_model or (
            CHITTYOS_CHAT_MODEL if CHITTYOS_CHAT_MODEL in models.routes else models.default
        )
        if primary not in models.routes:
            raise ConfigError(f"invalid configuration: chittyos.ai.primary_model: unknown model {primary!r}")
        embedding = self.embedding_model
        if not embedding:
            if not models.embeddings:
                raise ConfigError("invalid configuration: models.embeddings: at least one embedding model is required")
            fallback = next(iter(models.embeddings))
            embedding = CHITTYOS_EMBEDDING_MODEL if CHITTYOS_EMBEDDING_MODEL in models.embeddings else fallback
        if embedding not in models.embeddings:
            raise ConfigError(f"invalid configuration: chittyos.ai.embedding_model: unknown model {embedding!r}")
        return primary, embedding
