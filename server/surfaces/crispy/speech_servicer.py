"""crispy.v1.SpeechService: `POST /tts` and the audio links it hands out."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import grpc
from chorus_contracts.crispy.v1 import speech_pb2, speech_pb2_grpc
from google.api import httpbody_pb2

from server.platform.admission.call import current_call
from server.platform.speech.audio_store import AudioStore
from server.platform.speech.formats import FORMATS
from server.platform.speech.settings import SpeechSettings
from server.platform.speech.synthesizer import Synthesizer
from server.platform.validation import Violations

DEFAULT_FORMAT = "mp3"


class CrispySpeechService(speech_pb2_grpc.SpeechServiceServicer):
    def __init__(self, synthesizer: Synthesizer, store: AudioStore, settings: SpeechSettings) -> None:
        self._synthesizer = synthesizer
        self._store = store
        self._settings = settings

    async def Synthesize(
        self, request: speech_pb2.SynthesizeRequest, context: grpc.aio.ServicerContext
    ) -> speech_pb2.SynthesizeResponse:
        call = current_call()
        assert call.caller is not None
        voice = request.voice or self._settings.default_voice
        audio_format = (request.format or DEFAULT_FORMAT).lower()
        problems = Violations()
        problems.length("text", request.text.strip(), 1, self._settings.max_chars)
        if voice not in self._synthesizer.voices:
            problems.add("voice", f"Unknown voice {voice!r}; available voices: {', '.join(self._synthesizer.voices)}")
        if audio_format not in FORMATS:
            problems.add("format", f"Unsupported format {audio_format!r}; supported formats: {', '.join(FORMATS)}")
        problems.raise_if_any()
        audio = await self._synthesizer.synthesize(request.text, voice, audio_format)
        clip = await asyncio.to_thread(self._store.save, call.caller.tenant.id, audio.data, audio_format)
        base = self._settings.public_url.rstrip("/")
        if not base and call.metadata.get("x-forwarded-host"):
            base = f"http://{call.metadata['x-forwarded-host']}"
        return speech_pb2.SynthesizeResponse(
            audio_url=f"{base}/audio/{clip.file_name}?token={quote(clip.token)}",
            duration=round(audio.duration_s, 3),
            format=audio_format,
            request_id=call.request_id,
        )

    async def GetAudio(
        self, request: speech_pb2.GetAudioRequest, context: grpc.aio.ServicerContext
    ) -> httpbody_pb2.HttpBody:
        audio_format, data = await asyncio.to_thread(self._store.load, request.file, request.token)
        # The link is the credential: shared caches must not keep what it unlocked.
        context.set_trailing_metadata((("cache-control", "private, max-age=300"),))
        return httpbody_pb2.HttpBody(content_type=FORMATS[audio_format][2], data=data)
