"""AI gateway configuration: the defaults, and start-up errors that name the setting."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from server.config import ConfigError, Settings, load_settings
from server.surfaces.chittyos.settings import ai_gateway_models
from tests.support.chittyos_ai import CHAT_MODEL, EMBEDDING_MODEL
from tests.support.chorus_process import ChorusProcess

Load = Callable[[str], Settings]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Load:
    """`config(toml)`: settings loaded from that TOML alone (no CHORUS_* variables)."""
    for name in [n for n in os.environ if n.startswith("CHORUS_")]:
        monkeypatch.delenv(name)

    def load(toml: str) -> Settings:
        path = tmp_path / "chorus.toml"
        path.write_text(toml)
        monkeypatch.setenv("CHORUS_CONFIG", str(path))
        return load_settings()

    return load


def test_defaults_route_the_document_ids_to_builtin_models(config: Load) -> None:
    settings = config("")
    assert ai_gateway_models(settings) == (CHAT_MODEL, EMBEDDING_MODEL)
    assert settings.models.routes[CHAT_MODEL].provider == "builtin"
    assert settings.models.embeddings[EMBEDDING_MODEL].provider == "builtin"


def test_without_the_document_ids_the_defaults_fall_back(config: Load) -> None:
    settings = config(
        """
[models.routes.chorus-builtin]
provider = "builtin"
[models.embeddings.lexical]
provider = "builtin"
"""
    )
    assert ai_gateway_models(settings) == ("chorus-builtin", "lexical")


@pytest.mark.parametrize(
    ("toml", "setting"),
    [
        ('[chittyos.ai]\nprimary_model = "gpt-9"', "chittyos.ai.primary_model: unknown model 'gpt-9'"),
        ('[chittyos.ai]\nembedding_model = "ada"', "chittyos.ai.embedding_model: unknown model 'ada'"),
        (
            f'[chittyos.ai]\nprimary_model = "{EMBEDDING_MODEL}"',
            f"chittyos.ai.primary_model: unknown model '{EMBEDDING_MODEL}'",
        ),
        (
            '[models.embeddings.e]\nprovider = "nowhere"',
            "models.embeddings.e.provider: unknown provider 'nowhere'",
        ),
        (
            "[models]\nembeddings = {}",
            "models.embeddings: at least one embedding model is required",
        ),
        (
            '[models.providers.builtin]\nkind = "builtin"\n[models.providers.up]\nkind = "openai-compatible"\n'
            'base_url = "http://127.0.0.1:1/v1"\n[models.embeddings.e]\nprovider = "up"\ndimensions = 8',
            "models.embeddings.e.dimensions: only the builtin embedding has a configurable size",
        ),
        (
            '[models.embeddings."chorus-builtin"]\nprovider = "builtin"',
            "models.embeddings.chorus-builtin: also a chat model in models.routes",
        ),
        ('[models.embeddings.e]\nprovider = "builtin"\ndimensions = 0', "models.embeddings.e.dimensions"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_setting(config: Load, toml: str, setting: str) -> None:
    with pytest.raises(ConfigError) as failed:
        config(toml)
    assert setting in str(failed.value)


def test_the_server_refuses_to_start_with_an_unrouted_primary_model(tmp_path: Path) -> None:
    proc = ChorusProcess(tmp_path / "bad", config_toml='[chittyos.ai]\nprimary_model = "gpt-9"\n')
    with pytest.raises(RuntimeError) as failed:
        proc.start(timeout=20)
    assert "chittyos.ai.primary_model: unknown model 'gpt-9'" in str(failed.value)
