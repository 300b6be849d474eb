"""The README's ChaozCode examples (the document's `GET /user/me` and `POST /query`, verbatim
but for the base URL) run with curl against a server, with a key from `chorus chaozcode users add`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from httpx_sse import connect_sse

from tests.support.chaozcode import add_user, rest
from tests.support.chorus_process import ChorusProcess

ROOT = Path(__file__).resolve().parents[3]


def _curl_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    text = text.split("### ChaozCode: the document's examples", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(curl .*?)```", text, flags=re.S)]


def test_the_readme_has_the_documents_examples() -> None:
    blocks = _curl_blocks()
    assert len(blocks) == 3
    assert '"http://localhost:8080/v2/user/me"' in blocks[0]
    assert '"maxTokens": 1000' in blocks[1] and "/v2/query/stream" in blocks[2]


def test_the_readme_examples_work(chaozcode: ChorusProcess) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    account = add_user(chaozcode, plan="pro")
    outputs = []
    for block in _curl_blocks():
        command = block.replace("http://localhost:8080", chaozcode.rest_url)
        done = subprocess.run(
            ["bash", "-c", command.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "API_KEY": account.key},
        )
        assert done.returncode == 0, done.stderr
        body, _, status = done.stdout.rpartition("\n")
        outputs.append((status, body))
    (me_status, me), (query_status, query), (stream_status, stream) = outputs
    assert me_status == "200" and json.loads(me)["email"] == account.email
    assert query_status == "200" and json.loads(query)["model"] == "gpt-4"
    assert stream_status == "200" and stream.startswith('data: {"type":"start","id":"query_')


def test_the_documents_host(chaozcode: ChorusProcess) -> None:
    """`Host: api.chaozcode.com` (what `https://api.chaozcode.com/v2/...` sends) reaches ChaozCode."""
    account = add_user(chaozcode)
    with rest(chaozcode, account.key, host="api.chaozcode.com") as client:
        assert client.get("/user/me").json()["id"] == account.user_id
        with connect_sse(client, "POST", "/query/stream", json={"prompt": "hi"}) as source:
            types = [json.loads(e.data)["type"] for e in source.iter_sse()]
    assert types[0] == "start" and types[-1] == "done"
