"""Chorus's REST/SSE bridge: a gRPC transcoder generated from google.api.http rules."""
