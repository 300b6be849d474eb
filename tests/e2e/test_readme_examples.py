"""The README's curl examples run as written (host/port aside) against a server."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile

from tests.support.chorus_process import ChorusProcess

ROOT = Path(__file__).resolve().parents[2]


CHAT_EXAMPLES = "## Crispy Enigma: the document's examples"
UPCOMING_EXAMPLES = "## Crispy Enigma: upcoming endpoints"


def _curl_blocks(heading: str = CHAT_EXAMPLES) -> list[str]:
    text = (ROOT / "README.md").read_text()
    # Crispy's sections only: ChittyOS's examples have their own test.
    text = text.split(heading, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(curl .*?)```", text, flags=re.S)
    return [b.strip() for b in blocks]


def test_readme_has_the_documents_examples() -> None:
    blocks = _curl_blocks()
    assert len(blocks) == 4
    assert any("-X DELETE" in b for b in blocks) and any("/history" in b for b in blocks)


def _run_blocks(proc: ChorusProcess, blocks: list[str]) -> list[tuple[str, str]]:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    outputs = []
    for block in blocks:
        command = block.replace("http://localhost:8080", proc.rest_url)
        done = subprocess.run(
            ["bash", "-c", command.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        body, _, status = done.stdout.rpartition("\n")
        outputs.append((status, body))
    return outputs


def test_readme_curl_examples_work(tmp_path: Path) -> None:
    with ChorusProcess(tmp_path / "readme") as proc:
        outputs = _run_blocks(proc, _curl_blocks())
    (health_status, health), (chat_status, chat), (hist_status, hist), (del_status, deleted) = outputs
    assert health_status == "200" and json.loads(health)["tenant"] == "demo"
    assert chat_status == "200" and chat.startswith("event: token\ndata: ")
    assert hist_status == "200" and len(json.loads(hist)["messages"]) == 2
    assert del_status == "200" and json.loads(deleted)["success"] is True


def test_readme_upcoming_endpoint_examples_work(tmp_path: Path) -> None:
    """The document's M3-M6 requests, and our extensions, as the README shows them."""
    blocks = _curl_blocks(UPCOMING_EXAMPLES)
    assert len(blocks) == 8
    assert "/tools/execute" in blocks[0] and "/tts" in blocks[1] and "/tools " in blocks[2]
    assert "/documents" in blocks[3] and "/search" in blocks[4] and '"stream": true' in blocks[5]
    assert "-X DELETE" in blocks[7] and "/documents" in blocks[6]
    with ChorusProcess(tmp_path / "readme-upcoming") as proc:
        outputs = _run_blocks(proc, blocks)
        (tool_status, tool), (tts_status, tts), (list_status, listed) = outputs[:3]
        assert tool_status == "200" and json.loads(tool)["toolName"] == "summarize"
        assert len(json.loads(tool)["result"]) <= 200
        assert list_status == "200" and "summarize" in [t["name"] for t in json.loads(listed)["tools"]]
        assert tts_status == "200"
        spoken = json.loads(tts)
        assert spoken["format"] == "mp3"
        audio = httpx.get(spoken["audioUrl"].replace("http://localhost:8080", proc.rest_url), timeout=30)
        (doc_status, doc), (search_status, found), (stream_status, streamed), (docs_status, docs), (del_status, _) = (
            outputs[3:]
        )
        assert doc_status == "201" and json.loads(doc)["document"]["chunks"] == 3
        assert search_status == "200"
        answer = json.loads(found)
        assert answer["sources"][0]["documentId"] == "doc-1"
        assert answer["sources"][0]["chunk"].startswith("Tenant isolation ensures")
        assert "[1]" in answer["answer"] and 0 < answer["confidence"] <= 1 and len(answer["followUps"]) >= 2
        assert stream_status == "200" and streamed.startswith("event: sources\ndata: ")
        assert [d["id"] for d in json.loads(docs)["documents"]] == ["doc-1"] and docs_status == "200"
        assert del_status == "200"
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    samples, rate = soundfile.read(io.BytesIO(audio.content), dtype="float32")
    assert len(samples) / rate == pytest.approx(spoken["duration"], abs=0.002)
    assert float(np.sqrt(np.mean(np.square(samples)))) > 0.02  # speech, not silence
