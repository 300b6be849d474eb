"""A bare grpc.aio server: the "physical limit" a Python gRPC unary call can reach here.

One generic unary handler, registered under Chorus's GetSessionHistory path so
the very same client harness can call it, returns a fixed, pre-serialized
payload of the same size and shape as a 2-message history. No interceptors,
no pipeline, no storage, no (de)serialization on either side.

Run: .venv/bin/python -m bench.echo_server [--host 127.0.0.1] [--port 0]
Prints `echo: gRPC listening on HOST:PORT` once serving; stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import grpc

SERVICE = "crispy.v1.ChatService"
METHOD = "GetSessionHistory"
# Same server options as Chorus (server/platform/grpc/server.py), so only the work per call differs.
SERVER_OPTIONS = (
    ("grpc.max_concurrent_streams", 100_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.so_reuseport", 0),
)


def fixed_payload() -> bytes:
    """A serialized GetSessionHistoryResponse like the one the unary bench reads (about 300 bytes)."""
    from chorus_contracts.crispy.v1 import chat_pb2

    reply = (
        'You said: "hello". That is user turn 1 of a 1-message conversation (fingerprint 6bcad6741db3). '
        "(Chorus builtin development model: offline and deterministic.)"
    )
    response = chat_pb2.GetSessionHistoryResponse(
        session_id="2a8f108b-53b8-4ec8-b3b7-c60d24d66334",
        messages=[
            chat_pb2.ChatMessage(role=chat_pb2.ROLE_USER, content="hello", timestamp=1795428847479),
            chat_pb2.ChatMessage(role=chat_pb2.ROLE_ASSISTANT, content=reply, timestamp=1795428847485),
        ],
        request_id="13eb0cc8-e2fe-444e-8020-8a11dd9f656b",
    )
    return response.SerializeToString()


async def serve(host: str, port: int) -> None:
    payload = fixed_payload()

    async def handle(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return payload

    server = grpc.aio.server(options=SERVER_OPTIONS)
    # No serializers: the handler sees and returns raw bytes.
    handler = grpc.unary_unary_rpc_method_handler(handle)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {METHOD: handler}),))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}")
    await server.start()
    print(f"echo: gRPC listening on {host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
