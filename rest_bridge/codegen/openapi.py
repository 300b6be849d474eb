"""Renders one OpenAPI 3.1 document per surface (minimal; see tests)."""

from __future__ import annotations

import json

from google.protobuf import descriptor_pb2

from rest_bridge.codegen.model import MethodModel


def render_openapi(
    surface: str,
    methods: list[MethodModel],
    files: dict[str, descriptor_pb2.FileDescriptorProto],
) -> str:
    paths: dict[str, dict[str, object]] = {}
    for m in methods:
        for b in m.bindings:
            op = {"operationId": f"{m.service}.{m.method}", "summary": m.comment}
            paths.setdefault(b.template, {})[b.verb.lower()] = op
    doc = {"openapi": "3.1.0", "info": {"title": surface, "version": "v1"}, "paths": paths}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
