"""Settings for an MCoS-configured Chorus running inside the test's event loop
(`tests.support.inprocess_chorus.running_chorus`).

The gRPC server and the REST bridge listen on ephemeral loopback ports;
identity comes from a test IdP whose JWKS file the server reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.app import SURFACES
from server.config import Settings, compose_settings
from server.surfaces.mcos.settings import McosAccessSettings, McosSettings
from tests.support import backends
from tests.support import mcos_identity as identity


def mcos_settings(
    data_dir: Path, idp: identity.TestIdp, *, rest_transport: str = "grpc", **mcos_overrides: Any
) -> Settings:
    """Settings trusting `idp`'s keys; `mcos_overrides` are further McosSettings fields."""
    return compose_settings(SURFACES)(
        data_dir=data_dir,
        grpc={"host": "127.0.0.1", "port": 0},
        rest={"host": "127.0.0.1", "port": 0, "transport": rest_transport},
        mcos=McosSettings(
            access=McosAccessSettings(
                jwks_file=str(idp.write_jwks(data_dir / "jwks.json")),
                audience=identity.AUDIENCE,
                issuer=identity.ISSUER,
            ),
            **mcos_overrides,
        ),
        **backends.settings_overrides(data_dir),
    )
