"""Micro-benchmark: `POST /v1/embeddings` at the documented maximum (2,048 inputs).

Times a fresh `chorus serve` for float and base64 encodings, over each
bridge transport (loopback gRPC, in-process) and a direct gRPC call: raw
HTTP (what the server costs: the body is read, not parsed) and the official
`openai` SDK end to end (which adds its own parsing: validating 1.5 M floats
into pydantic models takes it seconds, base64 decoding a few ms). Not part
of `make bench`:

    .venv/bin/python -m bench.bench_embeddings [--inputs 2048] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

import grpc
import httpx
import openai
from chorus_contracts.chittyos.ai.v1 import ai_pb2, ai_pb2_grpc
from google.protobuf import struct_pb2

from bench.procs import chorus

MODEL = "@cf/baai/bge-base-en-v1.5"
HOST = {"host": "ai.chitty.cc"}
GRPC_OPTIONS = (("grpc.max_receive_message_length", 64 * 1024 * 1024),)


def _texts(count: int) -> list[str]:
    return [f"document {i}: the quick brown fox jumps over the lazy dog {i * 7}" for i in range(count)]


def _best(rounds: int, run: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def _http_rows(rest_url: str, transport: str, texts: list[str], rounds: int) -> list[str]:
    rows = []
    with httpx.Client(base_url=rest_url, headers=HOST, timeout=120) as http:
        http.post("/v1/embeddings", json={"input": texts, "encoding_format": "base64"})  # warm the embedder
        for encoding in ("float", "base64"):
            statuses: set[int] = set()

            def call(encoding: str = encoding, statuses: set[int] = statuses) -> object:
                response = http.post("/v1/embeddings", json={"input": texts, "encoding_format": encoding})
                statuses.add(response.status_code)
                return response

            best, median = _best(rounds, call)
            outcome = "" if statuses == {200} else f" (HTTP {sorted(statuses)})"
            rows.append(f"| raw HTTP ({transport}){outcome} | {encoding} | {best:.2f} | {median:.2f} |")
    return rows


def _sdk_rows(rest_url: str, transport: str, texts: list[str], rounds: int) -> list[str]:
    rows = []
    with openai.OpenAI(
        base_url=f"{rest_url}/v1", api_key="unused", default_headers=HOST, max_retries=0, timeout=120
    ) as sdk:
        for encoding in ("float", "base64"):

            def call(encoding: str = encoding) -> object:
                result = sdk.embeddings.create(model=MODEL, input=texts, encoding_format=encoding)  # type: ignore[arg-type]
                assert len(result.data) == len(texts)
                return result

            try:
                best, median = _best(rounds, call)
                rows.append(f"| SDK over REST ({transport}) | {encoding} | {best:.2f} | {median:.2f} |")
            except openai.APIError as exc:
                rows.append(f"| SDK over REST ({transport}) | {encoding} | failed: {exc.__class__.__name__} | |")
    return rows


def _grpc_row(address: str, texts: list[str], rounds: int) -> str:
    request = ai_pb2.CreateEmbeddingsRequest(
        model=MODEL,
        input=struct_pb2.Value(
            list_value=struct_pb2.ListValue(values=[struct_pb2.Value(string_value=t) for t in texts])
        ),
    )

    async def once() -> None:
        async with grpc.aio.insecure_channel(address, options=GRPC_OPTIONS) as channel:
            response = await ai_pb2_grpc.AiGatewayServiceStub(channel).CreateEmbeddings(
                request, metadata=(("host", "ai.chitty.cc"),)
            )
            assert len(response.data) == len(texts)

    try:
        best, median = _best(rounds, lambda: asyncio.run(once()))
    except grpc.RpcError as exc:
        return f"| gRPC direct | float | failed: {exc.code().name} | |"
    return f"| gRPC direct | float | {best:.2f} | {median:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = _texts(args.inputs)
    rows = ["| path | encoding | best s | median s |", "|---|---|---|---|"]
    for transport in ("grpc", "inprocess"):
        with chorus(env={"CHORUS_REST__TRANSPORT": transport}, name=f"chorus-{transport}") as server:
            rows += _http_rows(server.rest_url, transport, texts, args.rounds)
            rows += _sdk_rows(server.rest_url, transport, texts, args.rounds)
            if transport == "grpc":
                rows.append(_grpc_row(server.grpc_addr, texts, args.rounds))
    print(f"{args.inputs} inputs, 768 dimensions (builtin embedding)")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
