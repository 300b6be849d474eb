"""The README's curl examples run as written (host/port aside) against a server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.chorus_process import ChorusProcess

ROOT = Path(__file__).resolve().parents[2]


def _curl_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    # Crispy's section only: ChittyOS's examples have their own test.
    text = text.split("## Crispy Enigma: the document's examples", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(curl .*?)```", text, flags=re.S)
    return [b.strip() for b in blocks]


def test_readme_has_the_documents_examples() -> None:
    blocks = _curl_blocks()
    assert len(blocks) == 4
    assert any("-X DELETE" in b for b in blocks) and any("/history" in b for b in blocks)


def test_readme_curl_examples_work(tmp_path: Path) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    with ChorusProcess(tmp_path / "readme") as proc:
        outputs = []
        for block in _curl_blocks():
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
    (health_status, health), (chat_status, chat), (hist_status, hist), (del_status, deleted) = outputs
    assert health_status == "200" and json.loads(health)["tenant"] == "demo"
    assert chat_status == "200" and chat.startswith("event: token\ndata: ")
    assert hist_status == "200" and len(json.loads(hist)["messages"]) == 2
    assert del_status == "200" and json.loads(deleted)["success"] is True
