"""A trivial surface, "echo", declared as a real one is: what adding a surface takes.

Its contract is tests/protos/chorus_testing/v1/echo_surface.proto (compiled at test
time, `tests.support.contracts`); this package declares it; a test adds `SURFACE` to
the surface list it gives `Chorus`. It has a dialect of its own (envelope and
request-id header), a settings section (`[echo]`, `CHORUS_ECHO__*`) and a default
mount owning `/api/v1/`, inside MCoS's `/api/`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_bridge.dialects import Dialect
from rest_bridge.dialects.base import JsonSchema
from rest_bridge.errors import ErrorView
from server.config import SurfaceSettings
from server.platform.surface import DefaultMount, SettingsSection, Surface


class EchoDialect(Dialect):
    """`{"problem", "reason", "echoId"}`, the request id in `X-Echo-Id`."""

    error_schema_name: ClassVar[str] = "EchoError"
    error_schema: ClassVar[JsonSchema] = {
        "type": "object",
        "properties": {"problem": {"type": "string"}, "reason": {"type": "string"}, "echoId": {"type": "string"}},
        "required": ["problem", "reason", "echoId"],
    }
    request_id_header = b"x-echo-id"

    def error_body(self, error: ErrorView) -> dict[str, Any]:
        return {"problem": error.message, "reason": error.reason, "echoId": error.request_id}


class EchoSettings(SurfaceSettings):
    greeting: str = "echo"


SETTINGS = SettingsSection("echo", EchoSettings)


SURFACE = Surface(
    name="echo",
    dialect=EchoDialect(),
    wiring="tests.support.echo_surface.wiring",
    settings=SETTINGS,
    mounts=(DefaultMount(paths=("/api/v1/",)),),
    route_tables=("chorus_testing.v1.echo_surface_http",),
    rule_tables=("chorus_testing.v1.echo_surface_rules",),
)
