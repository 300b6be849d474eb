"""Minting never repeats a sequence number: under concurrency, across restarts, across processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from server.surfaces.chittyos.id.chitty_ids import parse_chitty_id
from tests.support.chorus_process import ChorusProcess, printed, run_cli

HOST = {"host": "id.chitty.cc"}


def _api_key(data_dir: Path) -> str:
    out = run_cli(data_dir, "api-keys", "create", "--tenant", "chittyos")
    return printed(out, "key")


async def _mint_many(rest_urls: list[str], key: str, entity_type: str, count: int) -> dict[int, str]:
    """`count` concurrent POST /generate, spread over the given servers: {sequence number: id}."""
    headers = {**HOST, "authorization": f"Bearer {key}"}
    clients = [httpx.AsyncClient(base_url=url, headers=headers, timeout=60) for url in rest_urls]
    try:
        responses = await asyncio.gather(
            *(
                clients[i % len(clients)].post("/generate", json={"metadata": {"entityType": entity_type, "n": i}})
                for i in range(count)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    minted: dict[int, str] = {}
    for response in responses:
        assert response.status_code == 200, response.text
        chitty_id = response.json()["chittyId"]
        parts = parse_chitty_id(chitty_id)
        assert parts is not None and parts.entity_type == entity_type
        assert parts.sequence not in minted, f"{parts.sequence} handed out twice"
        minted[parts.sequence] = chitty_id
    return minted


async def test_concurrent_generates_get_distinct_consecutive_numbers_that_survive_a_restart(tmp_path: Path) -> None:
    key = _api_key(tmp_path)
    with ChorusProcess(tmp_path) as server:
        before = await _mint_many([server.rest_url], key, "CONC", 50)
        assert sorted(before) == list(range(1, 51))
    with ChorusProcess(tmp_path) as restarted:
        after = await _mint_many([restarted.rest_url], key, "CONC", 5)
        assert sorted(after) == list(range(51, 56))
        async with httpx.AsyncClient(base_url=restarted.rest_url, headers=HOST) as client:
            stored = await client.get(f"/metadata/{before[50]}")
    # What was minted before the restart is still there.
    assert stored.status_code == 200 and stored.json()["metadata"]["entityType"] == "CONC"


async def test_two_processes_on_one_database_never_hand_out_a_number_twice(tmp_path: Path) -> None:
    key = _api_key(tmp_path)
    with ChorusProcess(tmp_path) as one, ChorusProcess(tmp_path) as two:
        minted = await _mint_many([one.rest_url, two.rest_url], key, "PAIR", 60)
    assert sorted(minted) == list(range(1, 61))
