"""The README's Agent Chassis examples (the document's three requests, verbatim but for the
base URL) run with curl against a server started as the README says (CHASSIS_API_KEY)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.chorus_process import ChorusProcess

ROOT = Path(__file__).resolve().parents[3]


def _curl_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    text = text.split("### Agent Chassis: the document's examples", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(curl .*?)```", text, flags=re.S)]


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChorusProcess]:
    with ChorusProcess(tmp_path_factory.mktemp("chassis-docs"), env={"CHASSIS_API_KEY": "your-api-key"}) as proc:
        yield proc


def test_the_readme_has_the_documents_examples() -> None:
    blocks = _curl_blocks()
    assert len(blocks) == 4
    assert all("http://localhost:8000/api/v1/" in b for b in blocks)
    assert '"allowed_tools": ["calculate"]' in blocks[0] and '"session_id": "abc-123"' in blocks[2]
    assert '"password": "SecurePass123"' in blocks[3]


def test_the_readme_examples_work(make_run: ChorusProcess) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    answers = []
    for block in _curl_blocks():
        command = block.replace("http://localhost:8000", make_run.rest_url)
        done = subprocess.run(
            ["bash", "-c", command.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        body, status = done.stdout.rsplit("\n", 1)
        answers.append((int(status), json.loads(body)))
    basic, created, continued, registered = answers
    assert basic[0] == 200 and basic[1]["role"] == "assistant" and "What is 2+2?" in basic[1]["content"]
    assert created[0] == 200 and created[1]["session_id"]
    assert continued[0] == 200 and continued[1]["session_id"] == "abc-123"
    assert registered[0] == 201 and registered[1]["email_verified"] is False
    assert registered[1]["display_name"] == "John Doe"
