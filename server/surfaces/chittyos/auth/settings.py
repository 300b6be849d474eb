"""The ChittyOS auth service's settings: `[chittyos.auth]`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ChittyAuthSettings(BaseModel):
    # Bearer credential that may mint tokens (POST /api/auth/token). Empty:
    # only API keys created with `chorus api-keys create --tenant <chittyos tenant> --admin`.
    admin_key: str = ""
    algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    # HS256 secret; empty: a random one kept in <data_dir>/jwt-secret.
    jwt_secret: str = ""
    # PEM files for RS256/ES256.
    private_key_file: str = ""
    public_key_file: str = ""
    issuer: str = "https://auth.chitty.cc"
    audience: str = "chittyos"
    default_expires_in: int = Field(default=3600, ge=1)
    max_expires_in: int = Field(default=30 * 86400, ge=1)
