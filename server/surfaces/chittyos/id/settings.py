"""The ChittyOS ID service's settings: `[chittyos.id]`."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from server.config import ConfigError


class ChittyIdSettings(BaseModel):
    # "authority": this server mints ChittyIDs. "pipeline": every /generate is
    # forwarded to `upstream_url` and nothing is minted here.
    mode: Literal["authority", "pipeline"] = "authority"
    # This service's public host: `source` of the ids it mints and `service`
    # of its 502 body.
    service_host: str = Field(default="id.chitty.cc", min_length=1)
    # Pipeline mode: the upstream authority's base URL (POST {upstream_url}/generate),
    # the Bearer key it takes, and seconds allowed for its whole answer.
    upstream_url: str = ""
    upstream_api_key: str = ""
    upstream_timeout: float = Field(default=10.0, gt=0)

    def check(self) -> None:
        if self.mode != "pipeline":
            return
        if not self.upstream_url:
            raise ConfigError(
                'invalid configuration: chittyos.id.upstream_url: required when chittyos.id.mode = "pipeline"'
            )
        if not self.upstream_url.startswith(("http://", "https://")) or not urlsplit(self.upstream_url).hostname:
            raise ConfigError("invalid configuration: chittyos.id.upstream_url: must be an http:// or https:// URL")
