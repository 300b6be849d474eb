"""Crispy's `POST /tts` (spec 004, M6) and the audio links it returns, end to end.

The audio is fetched back from Chorus and decoded: its length must be the
`duration` answered, grow with the text, and the samples must not be silence.
"""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import numpy as np
import pytest
import soundfile
from chorus_contracts.crispy.v1 import speech_pb2, speech_pb2_grpc
from google.rpc import error_details_pb2

from tests.support.chorus_process import ChorusProcess
from tests.support.crispy_server import DEMO
from tests.support.envelopes import assert_error
from tests.support.grpc_status import detail

MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac"}
VOICES = "en-US-Neural2-A, en-US-Neural2-D, en-US-Neural2-I, en-US-Neural2-J, en_US-joe-medium"


def _speak(rest: httpx.Client, body: dict[str, object], headers: dict[str, str] = DEMO) -> httpx.Response:
    return rest.post("/tts", json=body, headers=headers)


def _decode(data: bytes) -> tuple[np.ndarray, float]:
    """The samples (floats in [-1, 1]) and their length in seconds."""
    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32")
    return samples, len(samples) / rate


def _fetch(rest: httpx.Client, audio_url: str) -> httpx.Response:
    # The link is absolute (this server, by the request's Host); fetched without any tenant header.
    assert audio_url.startswith(str(rest.base_url).rstrip("/") + "/audio/"), audio_url
    return rest.get(audio_url)


def _assert_speech(samples: np.ndarray) -> None:
    rms = float(np.sqrt(np.mean(np.square(samples))))
    assert rms > 0.02, f"silent audio (RMS {rms:.4f})"
    assert float(np.max(np.abs(samples))) > 0.2


@pytest.mark.parametrize("audio_format", ["mp3", "wav", "ogg", "flac"])
def test_speech_in_every_format(rest: httpx.Client, audio_format: str) -> None:
    response = _speak(rest, {"text": "Hello, this is a test.", "voice": "en-US-Neural2-A", "format": audio_format})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["audioUrl", "duration", "format", "requestId"]
    assert body["format"] == audio_format and body["requestId"] == response.headers["x-request-id"]
    assert "/audio/" in body["audioUrl"] and body["audioUrl"].split("?")[0].endswith(f".{audio_format}")
    audio = _fetch(rest, body["audioUrl"])
    assert audio.status_code == 200
    assert audio.headers["content-type"] == MEDIA_TYPES[audio_format]
    assert audio.headers["cache-control"] == "private, max-age=300"
    samples, seconds = _decode(audio.content)
    assert seconds == pytest.approx(body["duration"], abs=0.002)
    assert 0.8 < seconds < 4.0  # six words of speech
    _assert_speech(samples)


def test_duration_is_measured_and_defaults_apply(rest: httpx.Client) -> None:
    short = _speak(rest, {"text": "Hello."}).json()
    long = _speak(rest, {"text": "Hello. Multi-tenant architecture keeps every customer's data apart."}).json()
    assert short["format"] == long["format"] == "mp3"  # the default format
    assert long["duration"] > short["duration"] + 1.5
    samples, seconds = _decode(_fetch(rest, long["audioUrl"]).content)
    assert seconds == pytest.approx(long["duration"], abs=0.002)
    _assert_speech(samples)


def test_bad_requests_list_their_issues(rest: httpx.Client) -> None:
    response = _speak(rest, {"text": "", "voice": "en-GB-Wavenet-B", "format": "aac"})
    assert_error(response, "crispy", 400)
    assert response.json()["details"]["issues"] == [
        {"path": ["text"], "message": "String must contain at least 1 character(s)"},
        {"path": ["voice"], "message": f"Unknown voice 'en-GB-Wavenet-B'; available voices: {VOICES}"},
        {"path": ["format"], "message": "Unsupported format 'aac'; supported formats: mp3, wav, ogg, flac"},
    ]
    too_long = _speak(rest, {"text": "a" * 5001})
    assert_error(too_long, "crispy", 400)
    assert too_long.json()["details"]["issues"] == [
        {"path": ["text"], "message": "String must contain at most 5000 character(s)"}
    ]
    assert_error(_speak(rest, {"text": "Hello."}, headers={}), "crispy", 401)
    unspeakable = _speak(rest, {"text": "{ }"})
    assert_error(unspeakable, "crispy", 400)
    assert unspeakable.json()["details"]["issues"] == [{"path": ["text"], "message": "Text has nothing to speak"}]


def test_audio_links_are_the_credential(rest: httpx.Client) -> None:
    first = _speak(rest, {"text": "First clip.", "format": "wav"}).json()["audioUrl"]
    second = _speak(rest, {"text": "Second clip.", "format": "wav"}).json()["audioUrl"]
    path, query = first.split("?")
    token = parse_qs(urlsplit(first).query)["token"][0]
    # Another clip's token, a tampered one, none at all, another format: all one 404.
    second_path = second.split("?")[0]
    for url in (
        f"{second_path}?{query}",
        f"{path}?token={token[:-2]}xx",
        path,
        f"{path.removesuffix('.wav')}.mp3?{query}",
        f"{path.rsplit('/', 1)[0]}/..%2Fchorus.db?{query}",
    ):
        refused = rest.get(url)
        assert_error(refused, "crispy", 404)
        assert refused.json()["error"] == "Audio not found or its link has expired"
    # The link works from anywhere, without tenant headers: it is scoped to the tenant that made it.
    assert rest.get(first, headers={"x-tenant-id": "other"}).status_code == 200


def test_speech_over_grpc(chorus: ChorusProcess, rest: httpx.Client) -> None:
    with grpc.insecure_channel(chorus.grpc_addr) as channel:
        stub = speech_pb2_grpc.SpeechServiceStub(channel)
        made = stub.Synthesize(
            speech_pb2.SynthesizeRequest(text="Hello over gRPC.", format="ogg"), metadata=tuple(DEMO.items())
        )
        # No Host on a direct gRPC call and no public_url configured: the link is the path alone.
        assert made.audio_url.startswith("/audio/") and made.format == "ogg"
        split = urlsplit(made.audio_url)
        file = split.path.rsplit("/", 1)[1]
        audio = stub.GetAudio(speech_pb2.GetAudioRequest(file=file, token=parse_qs(split.query)["token"][0]))
        assert audio.content_type == "audio/ogg"
        samples, seconds = _decode(audio.data)
        assert seconds == pytest.approx(made.duration, abs=0.002)
        _assert_speech(samples)
        assert rest.get(made.audio_url).content == audio.data  # the same clip over REST

        with pytest.raises(grpc.RpcError) as failed:
            stub.Synthesize(speech_pb2.SynthesizeRequest(text="Hi", voice="robot"), metadata=tuple(DEMO.items()))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        bad_request = detail(failed.value, error_details_pb2.BadRequest)
        assert bad_request is not None
        assert [v.field for v in bad_request.field_violations] == ["voice"]
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetAudio(speech_pb2.GetAudioRequest(file=file, token="nope"))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_links_expire_and_use_the_public_url_and_synthesis_is_bounded(tmp_path: Path) -> None:
    config = """
[crispy.speech]
workers = 1
max_pending = 1
link_lifetime = 1
public_url = "https://speech.example.com/"
url_secret = "a-configured-signing-secret"
"""
    with (
        ChorusProcess(tmp_path / "tts", config_toml=config) as proc,
        httpx.Client(base_url=proc.rest_url, timeout=30) as client,
    ):
        made = client.post("/tts", json={"text": "Soon gone.", "format": "wav"}, headers={"x-tenant-id": "demo"})
        url = made.json()["audioUrl"]
        assert url.startswith("https://speech.example.com/audio/")
        local = url.removeprefix("https://speech.example.com")
        assert client.get(local).status_code == 200
        stored = list((tmp_path / "tts" / "audio").rglob("*.wav"))
        assert len(stored) == 1  # in the data directory
        time.sleep(2.1)
        assert_error(client.get(local), "crispy", 404)
        # The next clip prunes the expired one from the data directory.
        client.post("/tts", json={"text": "Next.", "format": "wav"}, headers={"x-tenant-id": "demo"})
        assert not stored[0].exists()

        # One synthesis at a time: the others are refused at once, not queued.
        long_text = {"text": "Multi-tenant architecture keeps every customer apart. " * 12}
        with ThreadPoolExecutor(3) as pool:
            answers = list(
                pool.map(lambda _: client.post("/tts", json=long_text, headers={"x-tenant-id": "demo"}), range(3))
            )
        statuses = sorted(a.status_code for a in answers)
        assert statuses[0] == 200 and 429 in statuses, statuses
        busy = next(a for a in answers if a.status_code == 429)
        assert_error(busy, "crispy", 429)
        assert busy.headers["retry-after"] == "1"
