"""A Chorus running inside the test's event loop, its gRPC server and REST bridge on the
ports its settings give (ephemeral ones in tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from server.app import SURFACES, Chorus
from server.config import Settings
from server.platform.clock import Clock
from server.platform.surface import Surface


@asynccontextmanager
async def running_chorus(
    settings: Settings, clock: Clock | None = None, *, rest: bool = True, surfaces: Sequence[Surface] = SURFACES
) -> AsyncIterator[Chorus]:
    """Starts gRPC and, with `rest`, the bridge (as `chorus serve` would: in-process
    when `rest.transport` is "inprocess", else over gRPC); always stops."""
    chorus = Chorus(settings, clock=clock, surfaces=surfaces)
    try:
        address = await chorus.start_grpc()
        if rest:
            await chorus.start_rest("" if settings.rest.transport == "inprocess" else address)
        yield chorus
    finally:
        await chorus.stop()
