"""The ChittyOS sync hub's settings: `[chittyos.sync]`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChittySyncSettings(BaseModel):
    # Seconds without a heartbeat after which a session counts as inactive.
    session_timeout: float = Field(default=1800.0, gt=0)
