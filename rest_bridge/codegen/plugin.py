"""protoc plugin entry point (`protoc-gen-chorus`).

Reads a CodeGeneratorRequest on stdin and writes, for each proto file that has
HTTP-bound methods, a `<name>_http.py` route table beside its `_pb2.py`, plus
`bridge_index.py` listing those modules, `method_rules.py` with every method's
admission rule, and one OpenAPI document per surface under `openapi/`.

The chorus options must be importable (their `_pb2` generated first) so that
the request's options parse with their extensions; `scripts/gen.py` does that.

The plugin parameter `dialects=<module>:<function>` names where the surfaces'
dialects come from (a function returning {surface name: Dialect}); the OpenAPI
documents describe errors in them. Without it every surface gets the default
dialect (google.rpc.Status).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

from google.api import annotations_pb2 as http_annotations
from google.api import http_pb2
from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

from rest_bridge.codegen.model import Binding, MethodModel, SseSpecModel
from rest_bridge.codegen.openapi import render_openapi
from rest_bridge.codegen.protoc import GENERATED_PACKAGE
from rest_bridge.codegen.routes_module import render_index, render_routes_module
from rest_bridge.codegen.rules_module import method_rule, render_rules_module
from rest_bridge.dialects import Dialect
from rest_bridge.method_rules import MethodRule

_STYLE_NAMES = {0: "data", 1: "named", 2: "data"}


def _chorus_options():  # type: ignore[no-untyped-def]
    from chorus_contracts.chorus.api.v1 import annotations_pb2  # generated in stage one

    return annotations_pb2


def _bindings(rule: http_pb2.HttpRule) -> list[Binding]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        return []
    if kind == "custom":
        verb, template = rule.custom.kind.upper(), rule.custom.path
    else:
        verb, template = kind.upper(), getattr(rule, kind)
    out = [Binding(verb, template, rule.body, rule.response_body)]
    for extra in rule.additional_bindings:
        out.extend(_bindings(extra))
    return out


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {
        tuple(loc.path): loc.leading_comments.strip() for loc in file.source_code_info.location if loc.leading_comments
    }


def _surface(service: descriptor_pb2.ServiceDescriptorProto, package: str) -> str:
    """The surface a service belongs to: its `(chorus.api.v1.service).surface`, else its
    package's first segment. Its routes and its rules must agree on it."""
    return service.options.Extensions[_chorus_options().service].surface or package.split(".")[0]


def _messages(files: dict[str, descriptor_pb2.FileDescriptorProto]) -> dict[str, descriptor_pb2.DescriptorProto]:
    """Top-level messages by full name (requests are top-level messages)."""
    return {f"{f.package}.{m.name}": m for f in files.values() for m in f.message_type}


def collect_rules(
    file: descriptor_pb2.FileDescriptorProto, messages: dict[str, descriptor_pb2.DescriptorProto]
) -> list[MethodRule]:
    """The admission rule of every method of the file that states one, HTTP-bound or not."""
    opts = _chorus_options()
    out: list[MethodRule] = []
    for service in file.service:
        surface = _surface(service, file.package)
        for method in service.method:
            bindings = _bindings(method.options.Extensions[http_annotations.http])
            verbs = tuple(dict.fromkeys(b.verb for b in bindings))
            found = method_rule(
                f"{file.package}.{service.name}",
                method,
                surface,
                method.options.Extensions[opts.method],
                verbs,
                messages,
            )
            if found is not None:
                out.append(found)
    return out


def collect_methods(
    file: descriptor_pb2.FileDescriptorProto, rules: dict[str, MethodRule] | None = None
) -> list[MethodModel]:
    """`rules`: the rules table by gRPC path, for the OpenAPI operations' security and headers."""
    opts = _chorus_options()
    comments = _comments(file)
    methods: list[MethodModel] = []
    for s_index, service in enumerate(file.service):
        service_rules = service.options.Extensions[opts.service]
        full_service = f"{file.package}.{service.name}"
        for m_index, method in enumerate(service.method):
            rule = method.options.Extensions[http_annotations.http]
            bindings = _bindings(rule)
            if not bindings:
                continue
            method_rules = method.options.Extensions[opts.method]
            sse = None
            if method_rules.HasField("sse"):
                r = method_rules.sse
                sse = SseSpecModel(
                    style=_STYLE_NAMES[r.style],
                    event_oneof=r.event_oneof,
                    type_key=r.type_key,
                    done_data=r.done_data,
                    stream_flag_field=r.stream_flag_field,
                    stream_flag_default=r.stream_flag_default,
                    unary_field=r.unary_field,
                    error_event=r.error_event,
                )
            methods.append(
                MethodModel(
                    proto_file=file.name,
                    package=file.package,
                    service=full_service,
                    method=method.name,
                    surface=_surface(service, file.package),
                    request_type=method.input_type.lstrip("."),
                    response_type=method.output_type.lstrip("."),
                    server_streaming=method.server_streaming,
                    client_streaming=method.client_streaming,
                    bindings=tuple(bindings),
                    success_status=method_rules.success_status or 200,
                    sse=sse,
                    comment=comments.get((6, s_index, 2, m_index), ""),
                    tags=(service.name,),
                    rule=(rules or {}).get(f"/{full_service}/{method.name}"),
                    security_schemes=tuple(service_rules.security_schemes),
                )
            )
    return methods


def load_dialects(parameter: str) -> Mapping[str, Dialect]:
    """The dialects a `dialects=<module>:<function>` parameter names ({} without one)."""
    options = dict(item.split("=", 1) for item in parameter.split(",") if "=" in item)
    source = options.get("dialects")
    if not source:
        return {}
    module, _, function = source.partition(":")
    provider: Callable[[], Mapping[str, Dialect]] = getattr(importlib.import_module(module), function)
    return provider()


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse()
    dialects = load_dialects(request.parameter)
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    files = {f.name: f for f in request.proto_file}
    messages = _messages(files)
    try:
        rules = {r.grpc_path: r for name in request.file_to_generate for r in collect_rules(files[name], messages)}
    except ValueError as exc:  # a rule that cannot be right: protoc reports it and fails
        response.error = str(exc)
        return response
    route_modules: list[str] = []
    by_surface: dict[str, list[MethodModel]] = {}
    for name in sorted(request.file_to_generate):
        file = files[name]
        methods = collect_methods(file, rules)
        if not methods:
            continue
        module_path = name[: -len(".proto")] + "_http.py"
        out = response.file.add()
        out.name = module_path
        out.content = render_routes_module(file, methods)
        route_modules.append(f"{GENERATED_PACKAGE}." + module_path[: -len(".py")].replace("/", "."))
        for method in methods:
            by_surface.setdefault(method.surface, []).append(method)
    index = response.file.add()
    index.name = "bridge_index.py"
    index.content = render_index(route_modules)
    table = response.file.add()
    table.name = "method_rules.py"
    table.content = render_rules_module(list(rules.values()))
    for surface in sorted(by_surface):
        doc = response.file.add()
        doc.name = f"openapi/{surface}.json"
        doc.content = render_openapi(surface, by_surface[surface], files, dialects.get(surface))
    return response


def main() -> None:
    _chorus_options()  # register the extensions before the request is parsed
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())


if __name__ == "__main__":
    main()
