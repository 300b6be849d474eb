"""Dialects: how a surface's errors look on the wire.

The bridge takes each surface's dialect as input (`BridgeApp(..., dialects)`), as
grpc-gateway's mux takes its options: a surface declares its own dialect beside its
code (`server/surfaces/<surface>/dialect.py`). This package holds the interface and
the generic ones: google.rpc.Status JSON (the default) and OpenAI's error shape.
"""

from __future__ import annotations

from rest_bridge.dialects.base import Dialect, RateLimitHeaders
from rest_bridge.dialects.openai import OpenAIDialect

__all__ = ["Dialect", "OpenAIDialect", "RateLimitHeaders"]
