"""Reading credentials from a call's metadata, and the error for a missing one."""

from __future__ import annotations

from collections.abc import Mapping

import grpc

from server.platform.errors import ChorusError


def bearer_credential(metadata: Mapping[str, str]) -> str:
    """The credential of `authorization: Bearer <credential>`, or ""."""
    scheme, _, credential = metadata.get("authorization", "").strip().partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else ""


def credential_required(what: str) -> ChorusError:
    return ChorusError(
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIAL_REQUIRED",
        "Authorization required",
        info={"message": f"Include Authorization: Bearer <{what}> header"},
    )
