"""Hundreds of chat streams abandoned at once: writes stay available and every cut reply is kept.

Clients over REST (httpx) and gRPC open Crispy chat streams, and MCoS
clients open theirs over REST, against a fast
builtin model and drop them: some mid-reply, many right at the last token,
when the server is storing the turn, so the cancellations land inside the
write path (waiting for the lock, mid-statement, mid-commit). Afterwards
every turn a client saw any of is stored exactly once, holding at least what
the client was shown; a new write goes through at once rather than after a
busy timeout; and the server still stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from pathlib import Path

import grpc
import httpx
import orjson
import pytest
from chorus_contracts.crispy.v1 import chat_pb2, chat_pb2_grpc

from tests.support.chorus_process import ChorusProcess, wait_until
from tests.support.mcos_identity import TestIdp, new_sub
from tests.surfaces.mcos.conftest import mcos_config

pytestmark = pytest.mark.slow

STREAMS_PER_TRANSPORT = 200
MCOS_STREAMS = 100
CONFIG = """
[models.providers.builtin]
kind = "builtin"
token_delay = 0.002

[crispy.rate_limit]
per_minute = 1000000
burst_per_second = 100000

[[crispy.tenants]]
id = "demo"
allow_unauthenticated = true
"""
TENANT = {"x-tenant-id": "demo"}
# Every builtin reply ends so; a client that has seen it has seen the whole reply.
REPLY_END = "deterministic.)"
# Far below SQLite's 30 s busy timeout: a write that waits on a leaked lock fails this.
PROMPT_WRITE_SECONDS = 10.0


class Abandoner:
    """Drops a stream after a random number of tokens, or at the very last one."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self.seen: dict[str, str] = {}  # session (conversation) id -> the reply text its client was shown
        self.mcos_users: dict[str, str] = {}  # MCoS conversation id -> its user's assertion

    def plan(self) -> int:
        """Tokens to read before dropping; 0 means until the reply's end (the server is then saving)."""
        return 0 if self._random.random() < 0.5 else self._random.randint(1, 40)

    def keep_going(self, session: str, token: str, cut_after: int, count: int) -> bool:
        self.seen[session] = self.seen.get(session, "") + token
        if cut_after:
            return count < cut_after
        return not self.seen[session].endswith(REPLY_END)


def _message(index: int) -> str:
    return " ".join(f"word{index}-{i}" for i in range(30))


async def _rest_stream(client: httpx.AsyncClient, abandoner: Abandoner, index: int) -> None:
    session = str(uuid.uuid4())
    cut_after, count = abandoner.plan(), 0
    body = {"sessionId": session, "message": _message(index)}
    async with client.stream("POST", "/chat", json=body, headers=TENANT) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and '"token"' in line:
                count += 1
                if not abandoner.keep_going(session, orjson.loads(line[6:])["token"], cut_after, count):
                    return  # leaving the block drops the connection


async def _grpc_stream(stub: chat_pb2_grpc.ChatServiceStub, abandoner: Abandoner, index: int) -> None:
    session = str(uuid.uuid4())
    cut_after, count = abandoner.plan(), 0
    call = stub.Chat(chat_pb2.ChatRequest(session_id=session, message=_message(index)), metadata=tuple(TENANT.items()))
    async for event in call:
        if event.HasField("token"):
            count += 1
            if not abandoner.keep_going(session, event.token.token, cut_after, count):
                call.cancel()
                return


async def _mcos_stream(client: httpx.AsyncClient, abandoner: Abandoner, idp: TestIdp, index: int) -> None:
    conversation = f"abandoned-{index}"
    token = abandoner.mcos_users[conversation] = idp.token(new_sub())  # a user each: per-user chat limits
    cut_after, count = abandoner.plan(), 0
    body = {"messages": [{"role": "user", "content": _message(index)}], "conversation_id": conversation}
    headers = {"cf-access-jwt-assertion": token}
    async with client.stream("POST", "/api/chat", json=body, headers=headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                event = orjson.loads(line[6:])
                if event["type"] == "token":
                    count += 1
                    if not abandoner.keep_going(conversation, event["token"], cut_after, count):
                        return


async def _abandon_all(proc: ChorusProcess, abandoner: Abandoner, idp: TestIdp) -> None:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    channels = [grpc.aio.insecure_channel(proc.grpc_addr) for _ in range(4)]
    try:
        async with httpx.AsyncClient(base_url=proc.rest_url, timeout=60, limits=limits) as client:
            streams = [_rest_stream(client, abandoner, i) for i in range(STREAMS_PER_TRANSPORT)]
            stubs = [chat_pb2_grpc.ChatServiceStub(c) for c in channels]
            streams += [
                _grpc_stream(stubs[i % len(stubs)], abandoner, STREAMS_PER_TRANSPORT + i)
                for i in range(STREAMS_PER_TRANSPORT)
            ]
            streams += [_mcos_stream(client, abandoner, idp, i) for i in range(MCOS_STREAMS)]
            await asyncio.wait_for(asyncio.gather(*streams), 120)
    finally:
        for channel in channels:
            await channel.close()


def _history(client: httpx.Client, abandoner: Abandoner, session: str) -> list[dict[str, object]]:
    token = abandoner.mcos_users.get(session)
    if token is None:
        response = client.get(f"/chat/{session}/history", headers=TENANT)
    else:
        params = {"conversation_id": session}
        response = client.get("/api/chat/history", params=params, headers={"cf-access-jwt-assertion": token})
    assert response.status_code in (200, 404), response.text
    return response.json()["messages"] if response.status_code == 200 else []


def test_abandoned_streams_leave_writes_available_and_keep_every_cut_reply(tmp_path: Path) -> None:
    abandoner, idp = Abandoner(seed=20261202), TestIdp()
    data = tmp_path / "abandon"
    data.mkdir()
    config = CONFIG + mcos_config(idp.write_jwks(data / "jwks.json"))
    proc = ChorusProcess(data, config_toml=config).start()
    try:
        asyncio.run(_abandon_all(proc, abandoner, idp))
        assert len(abandoner.seen) >= STREAMS_PER_TRANSPORT  # most streams got going before they were cut

        with httpx.Client(base_url=proc.rest_url, timeout=60) as client:
            # A write right after the storm goes through at once.
            started = time.monotonic()
            turn = {"sessionId": str(uuid.uuid4()), "message": "still there?", "stream": False}
            fresh = client.post("/chat", json=turn, headers=TENANT)
            assert fresh.status_code == 200, fresh.text
            assert time.monotonic() - started < PROMPT_WRITE_SECONDS

            # Every turn a client was shown any of is stored, once, with at least what it saw.
            problems = []
            for session, seen in abandoner.seen.items():
                messages = _history(client, abandoner, session)
                if not messages:  # its server side may only now be seeing the disconnect
                    wait_until(lambda s=session: bool(_history(client, abandoner, s)), timeout=5)  # type: ignore[misc]
                    messages = _history(client, abandoner, session)
                roles = [m["role"] for m in messages]
                if roles != ["user", "assistant"]:
                    problems.append(f"{session}: stored {roles}, saw {len(seen)} chars")
                    continue
                reply = messages[1]
                content = str(reply["content"])
                if not content.startswith(seen):
                    problems.append(f"{session}: stored {content!r}, but the client saw {seen!r}")
                marked = reply.get("incomplete") or session in abandoner.mcos_users  # MCoS does not show the mark
                if not marked and not content.endswith(REPLY_END):
                    problems.append(f"{session}: a partial reply is not marked incomplete")
            assert not problems, f"{len(problems)} of {len(abandoner.seen)} cut turns wrong:\n" + "\n".join(
                problems[:10]
            )

        # And the server still stops within its grace period, cleanly.
        started = time.monotonic()
        assert proc.stop() == 0
        assert time.monotonic() - started < 10.0
    finally:
        proc.stop()
