"""Encoding synthesized PCM into the formats Chorus serves, and measuring what came out.

libsndfile (through `soundfile`) writes every format here: WAV (PCM 16-bit),
MP3 (its bundled LAME), OGG (Vorbis) and FLAC. The duration of a clip is read
back from the encoded bytes by decoding them, so it is the audio's own length.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile

from server.platform.speech.formats import FORMATS


@dataclass(frozen=True, slots=True)
class EncodedAudio:
    data: bytes
    format: str
    media_type: str
    duration_s: float  # decoded from `data`


def encode(pcm: np.ndarray, sample_rate: int, audio_format: str) -> EncodedAudio:
    """`pcm`: mono int16 samples."""
    container, subtype, media_type = FORMATS[audio_format]
    out = io.BytesIO()
    soundfile.write(out, pcm, sample_rate, format=container, subtype=subtype)
    data = out.getvalue()
    return EncodedAudio(data, audio_format, media_type, decoded_duration(data))


def decoded_duration(data: bytes) -> float:
    """Seconds of audio in an encoded clip, counted by decoding every frame."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="int16", always_2d=True)
    return len(samples) / rate
