"""/livez and /readyz on the admin port: no credentials needed, the checks named, and
/readyz false from the moment the process starts draining while a stream still runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import text

from server.app import Chorus
from tests.platform.observability.support import observed_settings
from tests.support import mcos_identity as identity
from tests.support.sse import parse_sse


async def test_live_and_ready_without_credentials(tmp_path: Path, idp: identity.TestIdp) -> None:
    settings = observed_settings(tmp_path, idp)
    chorus = Chorus(settings)
    try:
        await chorus.start_grpc()
        await chorus.start_rest("")
        async with httpx.AsyncClient(base_url=chorus.endpoints.admin) as admin:
            live = await admin.get("/livez")
            assert live.status_code == 200 and live.json() == {"status": "ok"}
            ready = await admin.get("/readyz")
            assert ready.status_code == 200, ready.text
            checks = ready.json()["checks"]
            assert checks["storage"] == checks["migrations"] == "ok"
            assert ("redis" in checks) == bool(settings.redis_url)
            assert (await admin.get("/api/tasks")).status_code == 404  # no surface route here
            # The schema behind the code: not ready, and the check says why.
            db = chorus._db
            assert db is not None
            head = await db.fetch_value(text("SELECT version_num FROM alembic_version"))
            async with db.write() as conn:
                await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
            behind = await admin.get("/readyz")
            assert behind.status_code == 503
            assert "0001" in behind.json()["checks"]["migrations"]
            async with db.write() as conn:
                await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            assert (await admin.get("/readyz")).status_code == 200
    finally:
        await chorus.stop()


async def test_not_ready_as_soon_as_draining(tmp_path: Path, idp: identity.TestIdp) -> None:
    settings = observed_settings(tmp_path, idp)
    models = settings.models.model_copy(deep=True)
    models.providers["builtin"] = models.providers["builtin"].model_copy(update={"token_delay": 0.05})
    settings = settings.model_copy(
        update={"models": models, "grpc": settings.grpc.model_copy(update={"shutdown_grace": 10.0})}
    )
    chorus = Chorus(settings)
    token = idp.token(identity.new_sub())
    stopping: asyncio.Task[None] | None = None
    try:
        await chorus.start_grpc()
        await chorus.start_rest("")
        async with (
            httpx.AsyncClient(base_url=chorus.endpoints.admin) as admin,
            httpx.AsyncClient(base_url=chorus.endpoints.rest, headers={"cf-access-jwt-assertion": token}) as rest,
        ):
            assert (await admin.get("/readyz")).status_code == 200
            body = {"messages": [{"role": "user", "content": "Tell me a long story about the sea"}]}
            async with rest.stream("POST", "/api/chat", json=body, timeout=30) as stream:
                chunks = stream.aiter_text()
                first = await anext(chunks)
                stopping = asyncio.create_task(chorus.stop())  # what SIGTERM runs
                await asyncio.sleep(0.05)
                draining = await admin.get("/readyz")
                assert draining.status_code == 503
                assert draining.json()["checks"] == {"draining": "the process is shutting down"}
                assert not stopping.done()  # the stream is still being served
                rest_of_it = "".join([c async for c in chunks])
            events = parse_sse(first + rest_of_it)[0]
            assert '"type":"done"' in events[-1].data
        await stopping
    finally:
        if stopping is None:
            await chorus.stop()


SLOW = """
[grpc]
shutdown_grace = 10.0
[models.providers.builtin]
kind = "builtin"
token_delay = 0.05
[admin]
enabled = true
port = 0
"""


def test_sigterm_turns_readyz_false_while_a_stream_runs(tmp_path: Path) -> None:
    import signal
    import threading
    import uuid

    from tests.support.chorus_process import ChorusProcess, wait_until

    with ChorusProcess(tmp_path, config_toml=SLOW) as proc:
        assert httpx.get(proc.admin_url + "/readyz", timeout=10).status_code == 200
        received: list[str] = []
        first = threading.Event()

        def chat() -> None:
            body = {"sessionId": str(uuid.uuid4()), "message": "Tell me a long story about the sea", "stream": True}
            with httpx.stream(
                "POST", proc.rest_url + "/chat", json=body, headers={"x-tenant-id": "demo"}, timeout=30
            ) as response:
                for text in response.iter_text():
                    received.append(text)
                    first.set()

        reader = threading.Thread(target=chat)
        reader.start()
        assert first.wait(10)
        proc.signal(signal.SIGTERM)
        assert wait_until(lambda: httpx.get(proc.admin_url + "/readyz", timeout=5).status_code == 503, timeout=5)
        assert reader.is_alive()  # the stream is still being served
        reader.join(30)
        assert proc.wait(30) == 0
    events = parse_sse("".join(received))[0]
    assert events and events[-1].event != "error"
