"""Renders one OpenAPI 3.1 document per surface: exactly what the REST/SSE bridge serves.

The document follows the bridge (`rest_bridge/app.py`, `rest_bridge/jsoncodec.py`,
`rest_bridge/sse.py`, the surfaces' dialects), not a generic proto-to-OpenAPI mapping:

* One operation per HTTP binding (additional bindings included). Path placeholders and
  query parameters are named by json names (`{sessionId}`, `?pageSize=`); the bridge
  accepts json and proto names alike. A multi-segment variable (`{name=shelves/*}`) is one
  placeholder whose pattern is in its description and its schema's `pattern`.
* Query parameters exist only for bindings whose body is not `*`: every field not bound by
  the path (its top-level field) or the body that the bridge can set from text: scalars,
  enums, repeated scalars, Timestamp/Duration/FieldMask/wrappers, and sub-fields of singular
  messages as dotted names (a few levels, cycles cut). Maps, Struct/Value/ListValue/Any and
  repeated messages cannot be set from a query, so they are not listed.
* Schemas use the bridge's proto3 JSON mapping: json_name keys; 64-bit integers as strings
  unless `(chorus.api.v1.field).int64_as_number`; enums by name, or by the document's
  spellings (`(chorus.api.v1.enum_value).json`) only; well-known types in their JSON forms
  (inlined, never components). Fields without presence are always written.
  `google.api.field_behavior` REQUIRED fields are a request's `required`, OUTPUT_ONLY
  ones `readOnly`.
* A server-streaming method answers `text/event-stream` (described by the extensions
  `x-sse-style`, `x-sse-events`, `x-sse-type-key`, `x-sse-done-data` on that media type)
  and, when it has a stream flag, also `application/json` with the single message.
* Errors use the surface's envelope: the JSON Schema its dialect (given by the caller, from
  the surface's declaration) declares beside the code that writes it. The dialect's security
  schemes (how its clients send credentials) are components.securitySchemes.

Output is deterministic: keys are sorted, lists keep declaration order.
"""

from __future__ import annotations

import copy
import http
import json
import re
from dataclasses import dataclass
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf import descriptor_pb2

from rest_bridge.codegen.model import Binding, MethodModel, SseSpecModel
from rest_bridge.dialects import Dialect
from rest_bridge.dialects.base import RateLimitHeaders
from rest_bridge.method_rules import MethodRule
from rest_bridge.path_template import Segment, SegmentKind, Variable, parse_template

__all__ = ["render_openapi"]

Schema = dict[str, Any]
_FDP = descriptor_pb2.FieldDescriptorProto
_SCHEMAS = "#/components/schemas/"
_MAX_QUERY_DEPTH = 3  # dotted query names go at most this many messages deep


# --- scalars and well-known types ------------------------------------------------------------

_INT32_TYPES = frozenset({_FDP.TYPE_INT32, _FDP.TYPE_SINT32, _FDP.TYPE_SFIXED32})
_UINT32_TYPES = frozenset({_FDP.TYPE_UINT32, _FDP.TYPE_FIXED32})
_INT64_TYPES = frozenset({_FDP.TYPE_INT64, _FDP.TYPE_SINT64, _FDP.TYPE_SFIXED64})
_UINT64_TYPES = frozenset({_FDP.TYPE_UINT64, _FDP.TYPE_FIXED64})


def _scalar_schema(kind: int, int64_as_number: bool) -> Schema:
    if kind == _FDP.TYPE_DOUBLE:
        return {"type": "number", "format": "double"}
    if kind == _FDP.TYPE_FLOAT:
        return {"type": "number", "format": "float"}
    if kind in _INT32_TYPES:
        return {"type": "integer", "format": "int32"}
    if kind in _UINT32_TYPES:
        return {"type": "integer", "format": "uint32"}
    if kind in _INT64_TYPES or kind in _UINT64_TYPES:
        fmt = "int64" if kind in _INT64_TYPES else "uint64"
        return {"type": "integer" if int64_as_number else "string", "format": fmt}
    if kind == _FDP.TYPE_BOOL:
        return {"type": "boolean"}
    if kind == _FDP.TYPE_STRING:
        return {"type": "string"}
    if kind == _FDP.TYPE_BYTES:
        return {"type": "string", "format": "byte"}
    raise ValueError(f"not a scalar type: {kind}")


_MAP_KEYS: dict[int, Schema] = {
    **{k: {"pattern": "^-?[0-9]+$"} for k in _INT32_TYPES | _INT64_TYPES},
    **{k: {"pattern": "^[0-9]+$"} for k in _UINT32_TYPES | _UINT64_TYPES},
    _FDP.TYPE_BOOL: {"enum": ["true", "false"]},
}

_WRAPPERS: dict[str, int] = {
    "google.protobuf.DoubleValue": _FDP.TYPE_DOUBLE,
    "google.protobuf.FloatValue": _FDP.TYPE_FLOAT,
    "google.protobuf.Int64Value": _FDP.TYPE_INT64,
    "google.protobuf.UInt64Value": _FDP.TYPE_UINT64,
    "google.protobuf.Int32Value": _FDP.TYPE_INT32,
    "google.protobuf.UInt32Value": _FDP.TYPE_UINT32,
    "google.protobuf.BoolValue": _FDP.TYPE_BOOL,
    "google.protobuf.StringValue": _FDP.TYPE_STRING,
    "google.protobuf.BytesValue": _FDP.TYPE_BYTES,
}
_SPECIAL_WKTS: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
    },
}
# Well-known types the bridge reads from one query string / path segment.
_TEXT_WKTS = frozenset(_WRAPPERS) | {
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
}
# Well-known types with a special JSON form: never set from a query, no sub-keys either.
_OPAQUE_WKTS = frozenset(
    {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any"}
)
_NULL_VALUE = "google.protobuf.NullValue"
# google.api.HttpBody: a method answering with raw bytes (grpc-gateway's convention).
HTTP_BODY = "google.api.HttpBody"


def _wkt_schema(full_name: str) -> Schema | None:
    if full_name in _WRAPPERS:
        return _scalar_schema(_WRAPPERS[full_name], False)
    special = _SPECIAL_WKTS.get(full_name)
    return None if special is None else copy.deepcopy(special)


def _field_rules(field: descriptor_pb2.FieldDescriptorProto) -> Any:
    from chorus_contracts.chorus.api.v1 import annotations_pb2  # generated first; see plugin.py

    options: Any = field.options
    return options.Extensions[annotations_pb2.field]


def _behaviors(field: descriptor_pb2.FieldDescriptorProto) -> Any:
    options: Any = field.options
    return options.Extensions[field_behavior_pb2.field_behavior]


def _is_required(field: descriptor_pb2.FieldDescriptorProto) -> bool:
    return field_behavior_pb2.REQUIRED in _behaviors(field)


def _is_output_only(field: descriptor_pb2.FieldDescriptorProto) -> bool:
    return field_behavior_pb2.OUTPUT_ONLY in _behaviors(field)


def _spelling(value: descriptor_pb2.EnumValueDescriptorProto) -> str:
    """The document's spelling of an enum value (`(chorus.api.v1.enum_value).json`), or ""."""
    from chorus_contracts.chorus.api.v1 import annotations_pb2  # generated first; see plugin.py

    options: Any = value.options
    return str(options.Extensions[annotations_pb2.enum_value].json)


def _int64_as_number(field: descriptor_pb2.FieldDescriptorProto) -> bool:
    if field.type not in _INT64_TYPES and field.type not in _UINT64_TYPES:
        return False
    return bool(_field_rules(field).int64_as_number)


def _json_name(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.HasField("json_name"):
        return field.json_name
    out: list[str] = []
    upper = False
    for char in field.name:  # protoc's ToJsonName
        if char == "_":
            upper = True
        else:
            out.append(char.upper() if upper else char)
            upper = False
    return "".join(out)


def _is_message(field: descriptor_pb2.FieldDescriptorProto) -> bool:
    return field.type in (_FDP.TYPE_MESSAGE, _FDP.TYPE_GROUP)


def _clean(comment: str) -> str:
    """A proto comment without its comment-marker indentation."""
    lines = [line[1:] if line.startswith(" ") else line for line in comment.splitlines()]
    return "\n".join(line.rstrip() for line in lines).strip()


def _split_comment(comment: str) -> tuple[str, str]:
    """(first paragraph on one line, the rest)."""
    first, _, rest = comment.partition("\n\n")
    return " ".join(first.split()), rest.strip()


def _with_description(schema: Schema, *parts: str) -> Schema:
    text = "\n\n".join(p for p in parts if p)
    return {**schema, "description": text} if text else schema


# --- descriptors by name ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Declared:
    file: str
    path: tuple[int, ...]  # source_code_info path


@dataclass(frozen=True)
class _Message(_Declared):
    proto: descriptor_pb2.DescriptorProto


@dataclass(frozen=True)
class _Enum(_Declared):
    proto: descriptor_pb2.EnumDescriptorProto


class _Index:
    """Every message, enum and comment of the request's files."""

    def __init__(self, files: dict[str, descriptor_pb2.FileDescriptorProto]) -> None:
        self.files = files
        self.messages: dict[str, _Message] = {}
        self.enums: dict[str, _Enum] = {}
        self.comments: dict[tuple[str, tuple[int, ...]], str] = {}
        for file in files.values():
            for loc in file.source_code_info.location:
                text = _clean(loc.leading_comments) or _clean(loc.trailing_comments)
                if text:
                    self.comments[(file.name, tuple(loc.path))] = text
            for i, message in enumerate(file.message_type):
                self._add_message(file.name, file.package, message, (4, i))
            for i, enum in enumerate(file.enum_type):
                self._add_enum(file.name, file.package, enum, (5, i))

    def _add_message(
        self, file: str, scope: str, message: descriptor_pb2.DescriptorProto, path: tuple[int, ...]
    ) -> None:
        full = f"{scope}.{message.name}" if scope else message.name
        self.messages[full] = _Message(file, path, message)
        for i, nested in enumerate(message.nested_type):
            self._add_message(file, full, nested, (*path, 3, i))
        for i, enum in enumerate(message.enum_type):
            self._add_enum(file, full, enum, (*path, 4, i))

    def _add_enum(self, file: str, scope: str, enum: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...]) -> None:
        full = f"{scope}.{enum.name}" if scope else enum.name
        self.enums[full] = _Enum(file, path, enum)

    def comment(self, declared: _Declared, *sub: int) -> str:
        return self.comments.get((declared.file, (*declared.path, *sub)), "")

    def message(self, full_name: str) -> _Message:
        try:
            return self.messages[full_name]
        except KeyError:
            raise LookupError(f"message type {full_name} is not in the request's files") from None

    def map_entry(self, field: descriptor_pb2.FieldDescriptorProto) -> descriptor_pb2.DescriptorProto | None:
        if field.label != _FDP.LABEL_REPEATED or field.type != _FDP.TYPE_MESSAGE:
            return None
        entry = self.messages.get(field.type_name.lstrip("."))
        return entry.proto if entry is not None and entry.proto.options.map_entry else None


def _real_oneofs(message: descriptor_pb2.DescriptorProto) -> dict[int, str]:
    """Oneof index -> name, without proto3 `optional`'s synthetic oneofs."""
    synthetic = {f.oneof_index for f in message.field if f.proto3_optional}
    return {i: d.name for i, d in enumerate(message.oneof_decl) if i not in synthetic}


def _oneof_of(message: descriptor_pb2.DescriptorProto, field: descriptor_pb2.FieldDescriptorProto) -> str:
    if not field.HasField("oneof_index") or field.proto3_optional:
        return ""
    return _real_oneofs(message).get(field.oneof_index, "")


def _field_named(message: descriptor_pb2.DescriptorProto, name: str) -> descriptor_pb2.FieldDescriptorProto | None:
    return next((f for f in message.field if f.name == name), None)


# --- schemas ---------------------------------------------------------------------------------


def _always_written(field: descriptor_pb2.FieldDescriptorProto) -> bool:
    """Whether the bridge writes the field in every response (rest_bridge/jsoncodec.py):
    fields without presence unless `omit_empty`, and `null_when_unset` ones."""
    rules = _field_rules(field)
    if rules.null_when_unset:
        return True
    if field.label == _FDP.LABEL_REPEATED:
        return not rules.omit_empty
    return not (field.proto3_optional or _is_message(field) or field.HasField("oneof_index"))


class _Schemas:
    """Builds components.schemas on demand; everything referenced ends up in it.

    Requests and responses differ in one way: a response always has the fields the bridge
    always writes, so an output schema lists them as `required`, while a request may leave
    any field out. `inputs` are the message types that requests use; one of them that a
    response uses too has a second component, `<name>-Output`, for its output form.
    """

    def __init__(
        self, index: _Index, components: dict[str, Schema], output: bool = False, inputs: frozenset[str] = frozenset()
    ) -> None:
        self.index = index
        self.components = components
        self.output = output
        self.inputs = inputs

    def of_type(self, full_name: str) -> Schema:
        """Schema of a message type: a WKT's JSON form, else a $ref to its component."""
        special = _wkt_schema(full_name)
        if special is not None:
            return special
        key = f"{full_name}-Output" if self.output and full_name in self.inputs else full_name
        if key not in self.components:
            self.components[key] = {}  # placeholder: recursive types refer to themselves
            self.components[key] = self._message(full_name)
        return {"$ref": _SCHEMAS + key}

    def of_enum(self, full_name: str) -> Schema:
        if full_name == _NULL_VALUE:
            return {"type": "null"}
        if full_name not in self.components:
            self.components[full_name] = self._enum(full_name)
        return {"$ref": _SCHEMAS + full_name}

    def single(self, field: descriptor_pb2.FieldDescriptorProto) -> Schema:
        """One value of a field (an element, for repeated fields)."""
        if _is_message(field):
            if _field_rules(field).accept_date:
                return {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
            return self.of_type(field.type_name.lstrip("."))
        if field.type == _FDP.TYPE_ENUM:
            return self.of_enum(field.type_name.lstrip("."))
        return _scalar_schema(field.type, _int64_as_number(field))

    def of_field(self, field: descriptor_pb2.FieldDescriptorProto) -> Schema:
        entry = self.index.map_entry(field)
        if entry is not None:
            key, value = (next(f for f in entry.field if f.number == n) for n in (1, 2))
            schema: Schema = {"type": "object", "additionalProperties": self.single(value)}
            if key.type in _MAP_KEYS:
                schema["propertyNames"] = dict(_MAP_KEYS[key.type])
            return schema
        if _field_rules(field).bytes_as_doubles:
            return {"type": "array", "items": {"type": "number", "format": "double"}}
        item = self.single(field)
        if field.label == _FDP.LABEL_REPEATED:
            return {"type": "array", "items": item}
        return item

    def documented_field(self, owner: _Message, index: int) -> Schema:
        """A field's schema with its comment, apart from its message (a body, a response)."""
        return _with_description(self.of_field(owner.proto.field[index]), self.index.comment(owner, 2, index))

    def described_field(self, owner: _Message, index: int) -> Schema:
        """A field's schema as a property of its message: comment, oneof, optional, deprecated."""
        field = owner.proto.field[index]
        notes = []
        oneof = _oneof_of(owner.proto, field)
        if oneof:
            notes.append(f"Member of oneof `{oneof}`: at most one of its fields is set.")
        rules = _field_rules(field)
        schema = self.of_field(field)
        if rules.null_when_unset:
            notes.append("`null` when unset.")
            schema = {"anyOf": [schema, {"type": "null"}]}
        elif field.proto3_optional:
            notes.append("Optional: omitted when unset.")
        if rules.omit_empty:
            notes.append("Omitted when empty.")
        schema = _with_description(schema, self.index.comment(owner, 2, index), *notes)
        if field.proto3_optional:
            schema["x-proto3-optional"] = True
        if oneof:
            schema["x-oneof"] = oneof
        if field.options.deprecated:
            schema["deprecated"] = True
        if _is_output_only(field):
            schema["readOnly"] = True
        return schema

    def _message(self, full_name: str) -> Schema:
        message = self.index.message(full_name)
        properties: dict[str, Schema] = {}
        for i, f in enumerate(message.proto.field):
            key = _field_rules(f).json_key or _json_name(f)
            described = self.described_field(message, i)
            # Fields sharing a JSON key (`json_key`): the key holds either form.
            properties[key] = {"anyOf": [properties[key], described]} if key in properties else described
        schema: Schema = {"type": "object", "properties": properties}
        required = [_json_name(f) for f in message.proto.field if _is_required(f)]
        if required:
            schema["required"] = required
        oneofs: dict[str, list[str]] = {}
        for field in message.proto.field:
            oneof = _oneof_of(message.proto, field)
            if oneof:
                oneofs.setdefault(oneof, []).append(_json_name(field))
        notes = []
        decls = list(message.proto.oneof_decl)
        for name, members in oneofs.items():
            listed = ", ".join(f"`{m}`" for m in members)
            about = self.index.comment(message, 8, next(i for i, d in enumerate(decls) if d.name == name))
            notes.append(f"Oneof `{name}` (at most one of {listed}). {about}".rstrip())
        if oneofs:
            schema["x-oneof"] = oneofs
        required = [_json_name(f) for f in message.proto.field if _always_written(f)]
        if self.output and required:
            schema["required"] = required
        if message.proto.options.deprecated:
            schema["deprecated"] = True
        return _with_description(schema, self.index.comment(message), *notes)

    def _enum(self, full_name: str) -> Schema:
        enum = self.index.enums.get(full_name)
        if enum is None:
            raise LookupError(f"enum type {full_name} is not in the request's files")
        # A document's closed set: its spellings are the wire's only values.
        spelled = any(_spelling(value) for value in enum.proto.value)
        names: list[str] = []
        lines: list[str] = []
        for i, value in enumerate(enum.proto.value):
            name = _spelling(value) if spelled else value.name
            if not name:
                continue
            if name not in names:
                names.append(name)
            about = self.index.comment(enum, 2, i)
            if about:
                lines.append(f"- `{name}`: {' '.join(about.split())}")
        return _with_description({"type": "string", "enum": names}, self.index.comment(enum), "\n".join(lines))


# --- paths and parameters ---------------------------------------------------------------------


def _segment_regex(segments: list[Segment]) -> str:
    out = ""
    for i, segment in enumerate(segments):
        if segment.kind is SegmentKind.DOUBLE_STAR:
            out += "(?:[^/]+(?:/[^/]+)*)?" if i == 0 else "(?:/[^/]+)*"
            continue
        piece = "[^/]+" if segment.kind is SegmentKind.STAR else re.escape(segment.literal)
        out += piece if i == 0 else "/" + piece
    return f"^{out}$"


@dataclass(frozen=True)
class _PathVar:
    placeholder: str
    field_path: str  # "" for a bare `*` / `**`, which binds nothing
    segments: list[Segment]


def _field_at(index: _Index, message_name: str, field_path: str) -> tuple[str, _Message, int] | None:
    """(json path, owning message, field index) of a dotted proto field path."""
    names: list[str] = []
    owner: tuple[_Message, int] | None = None
    current = message_name
    for part in field_path.split("."):
        message = index.messages.get(current)
        if message is None:
            return None
        found = next((i for i, f in enumerate(message.proto.field) if f.name == part), None)
        if found is None:
            return None
        field = message.proto.field[found]
        names.append(_json_name(field))
        owner = (message, found)
        current = field.type_name.lstrip(".")
    assert owner is not None
    return ".".join(names), owner[0], owner[1]


def _render_path(items: list[str | _PathVar], suffix: str, verb: str) -> str:
    parts = [x if isinstance(x, str) else "{" + x.placeholder + suffix + "}" for x in items]
    return "/" + "/".join(parts) + (f":{verb}" if verb else "")


class _Document:
    def __init__(self, surface: str, files: dict[str, descriptor_pb2.FileDescriptorProto], dialect: Dialect) -> None:
        self.surface = surface
        self.index = _Index(files)
        components: dict[str, Schema] = {}
        self.schemas = _Schemas(self.index, components)  # requests
        self.outputs = _Schemas(self.index, components, output=True)  # responses
        self.dialect = dialect
        self.paths: dict[str, dict[str, Schema]] = {}
        self.operation_ids: set[str] = set()
        self.tags: dict[str, str] = {}
        # Operations with their methods' rules, for their `security` once the schemes are known.
        self.ruled: list[tuple[Schema, MethodModel]] = []

    # -- operations --

    def add_method(self, m: MethodModel) -> None:
        service_name = m.service.rsplit(".", 1)[-1]
        tag = m.tags[0] if m.tags else service_name
        comment = _clean(m.comment)
        file = self.index.files.get(m.proto_file)
        if file is not None:
            for s, service in enumerate(file.service):
                if service.name != service_name:
                    continue
                self.tags.setdefault(tag, self.index.comments.get((file.name, (6, s)), ""))
                for i, method in enumerate(service.method):
                    if method.name == m.method:
                        comment = self.index.comments.get((file.name, (6, s, 2, i)), comment)
        summary, description = _split_comment(comment)
        self.tags.setdefault(tag, "")
        self.schemas.of_type(m.request_type)
        if m.response_type != HTTP_BODY:  # raw bytes: no JSON schema
            self.outputs.of_type(m.response_type)
        for number, binding in enumerate(m.bindings):
            operation_id = self._operation_id(f"{service_name}_{m.method}" + (f"_{number}" if number else ""))
            op: Schema = {
                "operationId": operation_id,
                "tags": [tag],
                "x-grpc-method": f"/{m.service}/{m.method}",
                "responses": self._responses(m, binding),
            }
            if summary:
                op["summary"] = summary
            if description:
                op["description"] = description
            path, variables = self._path(m, binding)
            parameters = [self._path_parameter(m, v) for v in variables]
            if binding.body != "*":
                parameters += self._query_parameters(m, binding, variables)
            if parameters:
                op["parameters"] = parameters
            if binding.body:
                op["requestBody"] = self._request_body(m, binding, variables)
            if m.rule is not None:
                _apply_rule(op, m.rule, self.dialect.rate_limit_headers)
                self.ruled.append((op, m))
            self.paths.setdefault(path, {})[binding.verb.lower()] = op

    def _operation_id(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.operation_ids:
            n += 1
            candidate = f"{wanted}_{n}"
        self.operation_ids.add(candidate)
        return candidate

    def _path(self, m: MethodModel, binding: Binding) -> tuple[str, list[_PathVar]]:
        template = parse_template(binding.template)
        starts: dict[int, Variable] = {v.start: v for v in template.variables}
        segments = list(template.segments)
        items: list[str | _PathVar] = []
        i = 0
        while i < len(segments):
            var = starts.get(i)
            if var is not None:
                stop = len(segments) if var.stop is None else var.stop
                found = _field_at(self.index, m.request_type, var.field_path)
                name = found[0] if found else var.field_path
                items.append(_PathVar(name, var.field_path, segments[i:stop]))
                i = stop
                continue
            if segments[i].kind is SegmentKind.LITERAL:
                items.append(segments[i].raw)
            else:  # a bare wildcard: matched, bound to nothing
                wildcards = sum(isinstance(x, _PathVar) and not x.field_path for x in items)
                items.append(_PathVar(f"wildcard{wildcards + 1}", "", segments[i : i + 1]))
            i += 1
        suffix, taken = "", 0
        path = _render_path(items, suffix, template.verb)
        while binding.verb.lower() in self.paths.get(path, {}):
            # Same OpenAPI shape as an earlier route, other sub-patterns: keep both, apart.
            taken += 1
            suffix = f"_{taken}"
            path = _render_path(items, suffix, template.verb)
        variables = [
            _PathVar(x.placeholder + suffix, x.field_path, x.segments) for x in items if isinstance(x, _PathVar)
        ]
        return path, variables

    def _path_parameter(self, m: MethodModel, var: _PathVar) -> Schema:
        schema: Schema = {"type": "string"}
        about = ""
        found = _field_at(self.index, m.request_type, var.field_path) if var.field_path else None
        if found is not None:
            _, owner, i = found
            field = owner.proto.field[i]
            if field.label != _FDP.LABEL_REPEATED:
                schema = self.schemas.single(field)
            about = self.index.comment(owner, 2, i)
        notes: list[str] = []
        if not var.field_path:
            notes.append("Any path segment; it is not bound to a request field.")
        elif var.placeholder != var.field_path:
            notes.append(f"Sets the request field `{var.field_path}`.")
        simple = len(var.segments) == 1 and var.segments[0].kind is SegmentKind.STAR
        if not simple:
            pattern = "/".join(s.raw for s in var.segments)
            notes.append(
                f"Matches `{pattern}`. Its `/` separators are sent unescaped; other reserved "
                "characters stay percent-encoded in the value."
                if len(var.segments) > 1 or var.segments[0].kind is SegmentKind.DOUBLE_STAR
                else f"Matches `{pattern}`."
            )
            # Beside a $ref too (an enum's): OpenAPI 3.1 schemas take siblings of $ref.
            schema = {**schema, "pattern": _segment_regex(var.segments)}
        param: Schema = {"name": var.placeholder, "in": "path", "required": True, "schema": schema}
        return _with_description(param, about, *notes)

    def _query_parameters(self, m: MethodModel, binding: Binding, variables: list[_PathVar]) -> list[Schema]:
        bound = {v.field_path.split(".", 1)[0] for v in variables if v.field_path}
        if binding.body:
            bound.add(binding.body)
        out: list[Schema] = []
        self._walk_query(m.request_type, "", bound, (m.request_type,), "", out)
        return out

    def _walk_query(
        self, message_name: str, prefix: str, bound: set[str], seen: tuple[str, ...], inherited: str, out: list[Schema]
    ) -> None:
        message = self.index.messages.get(message_name)
        if message is None:
            return
        for i, field in enumerate(message.proto.field):
            if not prefix and field.name in bound:
                continue
            if self.index.map_entry(field) is not None:
                continue
            name = prefix + _json_name(field)
            oneof = _oneof_of(message.proto, field)
            note = f"Member of oneof `{oneof}`: set at most one of its fields." if oneof else inherited
            type_name = field.type_name.lstrip(".")
            if _is_message(field) and type_name not in _TEXT_WKTS:
                if type_name in _OPAQUE_WKTS or field.label == _FDP.LABEL_REPEATED:
                    continue
                if type_name not in seen and len(seen) < _MAX_QUERY_DEPTH:
                    self._walk_query(type_name, name + ".", bound, (*seen, type_name), note, out)
                continue
            if field.type == _FDP.TYPE_ENUM and type_name == _NULL_VALUE:
                continue
            param: Schema = {"name": name, "in": "query", "schema": self.schemas.of_field(field)}
            notes = [note]
            if field.label == _FDP.LABEL_REPEATED:
                param.update(style="form", explode=True)
                notes.append("Repeat the parameter for each element.")
            if field.options.deprecated:
                param["deprecated"] = True
            out.append(_with_description(param, self.index.comment(message, 2, i), *notes))

    def _request_body(self, m: MethodModel, binding: Binding, variables: list[_PathVar]) -> Schema:
        request = self.index.messages.get(m.request_type)
        if binding.body == "*":
            schema = self.schemas.of_type(m.request_type)
            top = {v.field_path for v in variables if v.field_path and "." not in v.field_path}
            nested = [v.field_path for v in variables if "." in v.field_path]
            notes = []
            if top and request is not None:
                component = self.schemas.components[m.request_type]
                dropped = {_json_name(f) for f in request.proto.field if f.name in top}
                schema = {
                    **component,
                    "properties": {k: v for k, v in component["properties"].items() if k not in dropped},
                }
                schema.pop("description", None)
                if "required" in component:
                    schema["required"] = [k for k in component["required"] if k not in dropped]
                schema["title"] = f"{m.request_type} (without path fields)"
                if "x-oneof" in component:
                    schema["x-oneof"] = {k: [n for n in v if n not in dropped] for k, v in component["x-oneof"].items()}
                without = ", ".join(f"`{d}`" for d in sorted(dropped))
                notes.append(f"The `{m.request_type}` message without {without}, which the path sets.")
            if nested:
                notes.append("The path sets " + ", ".join(f"`{n}`" for n in nested) + " (over any body value).")
            body: Schema = {"content": {"application/json": {"schema": schema}}}
            return _with_description(body, *notes)
        field = _field_named(request.proto, binding.body) if request is not None else None
        if request is None or field is None:
            raise LookupError(f"{m.request_type} has no body field {binding.body!r}")
        index = list(request.proto.field).index(field)
        schema = self.schemas.documented_field(request, index)
        body = {"content": {"application/json": {"schema": schema}}}
        return _with_description(body, f"The request field `{binding.body}`.")

    # -- responses --

    def _responses(self, m: MethodModel, binding: Binding) -> Schema:
        status = m.success_status
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Success"
        responses: Schema = {"default": {"$ref": "#/components/responses/Error"}}
        if m.server_streaming:
            responses[str(status)] = self._stream_response(m, phrase)
        elif status == 204:
            responses["204"] = {"description": "No Content: the response has no body."}
        elif m.response_type == HTTP_BODY:
            # The body is the message's `data`, sent as is under its `content_type`.
            responses[str(status)] = {
                "description": f"{phrase}: the bytes themselves, with their own Content-Type.",
                "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}},
            }
        else:
            response = self.index.messages.get(m.response_type)
            if binding.response_body and response is not None:
                field = _field_named(response.proto, binding.response_body)
                if field is None:
                    raise LookupError(f"{m.response_type} has no field {binding.response_body!r}")
                schema = self.outputs.documented_field(response, list(response.proto.field).index(field))
                description = f"{phrase}: the response's `{binding.response_body}` field."
            else:
                schema = self.outputs.of_type(m.response_type)
                description = phrase
            responses[str(status)] = {
                "description": description,
                "content": {"application/json": {"schema": schema}},
            }
        return responses

    def _stream_response(self, m: MethodModel, phrase: str) -> Schema:
        spec = m.sse or SseSpecModel("data", "", "", "", "", False, "", "error")
        response = self.index.message(m.response_type)
        named = spec.style == "named"
        type_key = "" if named else spec.type_key
        members = [
            (i, f)
            for i, f in enumerate(response.proto.field)
            if spec.event_oneof and _oneof_of(response.proto, f) == spec.event_oneof
        ]
        events: Schema = {}
        labels: list[str] = []
        for i, field in members:
            data = self.outputs.of_field(field)
            is_object = _is_message(field) and field.type_name.lstrip(".") not in (
                _TEXT_WKTS | {"google.protobuf.Value", "google.protobuf.ListValue"}
            )
            if type_key and is_object:
                data = {"allOf": [_type_tag(type_key, field.name), data]}
            events[field.name] = _with_description({"data": data}, self.index.comment(response, 2, i))
            labels.append(f"`{field.name}` ({_label(data)})")
        if not spec.event_oneof:
            events["message"] = {"data": self.outputs.of_type(m.response_type)}
            labels.append(f"`message` ({m.response_type})")
        error_name = spec.error_event or "error"
        error_data = copy.deepcopy(self.dialect.stream_error_schema)
        if type_key:
            error_data = {"allOf": [_type_tag(type_key, error_name), error_data]}
        events[error_name] = {
            "data": error_data,
            "description": "An error raised after the first event; the stream then ends.",
        }

        if named:
            framing = "each event is an `event: <type>` line and a `data: <JSON>` line"
        elif type_key:
            framing = (
                f'each event is a `data: <JSON>` line only; a JSON object carries its type under `"{type_key}"`, '
                "its first key"
            )
        elif spec.event_oneof:
            framing = "each event is a `data: <JSON>` line only, without its type"
        else:
            framing = f"each event is a `data: <JSON>` line holding one `{m.response_type}`"
        lines = [
            f"Server-Sent Events: {framing}. Event types: {', '.join(labels)}; `x-sse-events` has their schemas.",
            "An error before the first event is an ordinary error response; one after it is sent as "
            f"the `{error_name}` event, whose data is the surface's stream error, and ends the stream.",
        ]
        if spec.done_data:
            lines.append(f"The last event is `data: {spec.done_data}`.")
        lines.append("While idle the server sends `: keep-alive` comment lines.")
        lines.append(
            "`schema` describes one event as an SSE parser reads it (`event`, `message` when the line is "
            "absent; `data`, a JSON document whose schema is `contentSchema`), as OpenAPI 3.2's `itemSchema` does."
        )
        items = [_sse_item(name if named else "message", event["data"]) for name, event in events.items()]
        if spec.done_data:
            items.append(_sse_done_item(spec.done_data))
        stream_media: Schema = {
            "schema": {"description": "\n\n".join(lines), "anyOf": items},
            "x-sse-style": "named" if named else "data",
            "x-sse-events": events,
        }
        if type_key:
            stream_media["x-sse-type-key"] = type_key
        if spec.done_data:
            stream_media["x-sse-done-data"] = spec.done_data
        content: Schema = {"text/event-stream": stream_media}
        description = f"{phrase}: a stream of Server-Sent Events."
        if spec.stream_flag_field:
            flag = _field_named(self.index.message(m.request_type).proto, spec.stream_flag_field)
            flag_name = _json_name(flag) if flag is not None else spec.stream_flag_field
            on, off = ("true or unset", "false") if spec.stream_flag_default else ("true", "false or unset")
            unary = _field_named(response.proto, spec.unary_field) if spec.unary_field else None
            if unary is not None:
                single = self.outputs.documented_field(response, list(response.proto.field).index(unary))
            elif members:
                single = {"anyOf": [self.outputs.of_field(f) for _, f in members]}
            else:
                single = self.outputs.of_type(m.response_type)
            content["application/json"] = {"schema": single}
            description = (
                f"{phrase}. With `{flag_name}` {on}: `text/event-stream`, a stream of Server-Sent Events. "
                f"With `{flag_name}` {off}: `application/json`, one document"
                + (f" (the `{spec.unary_field}` event's data)." if unary is not None else ".")
            )
        return {"description": description, "content": content}

    # -- the whole document --

    def _input_types(self, methods: list[MethodModel]) -> frozenset[str]:
        """Every message type a request holds, at any depth."""
        found: set[str] = set()
        pending = [m.request_type for m in methods]
        while pending:
            name = pending.pop()
            message = self.index.messages.get(name)
            if name in found or message is None:
                continue
            found.add(name)
            pending += [f.type_name.lstrip(".") for f in message.proto.field if _is_message(f)]
        return frozenset(found)

    def render(self, methods: list[MethodModel]) -> Schema:
        self.outputs.inputs = self._input_types(methods)
        for m in methods:
            self.add_method(m)
        dialect = self.dialect
        headers: Schema = {
            dialect.request_id_header.decode(): {
                "description": "The request's id: the client's own when it sent a usable one, else a new one.",
                "required": True,
                "schema": {"type": "string"},
            },
            "retry-after": {
                "description": "Seconds to wait before retrying (rate limits).",
                "schema": {"type": "integer", "minimum": 1},
            },
        }
        components: Schema = {
            "schemas": {**self.schemas.components, dialect.error_schema_name: copy.deepcopy(dialect.error_schema)},
            "responses": {
                "Error": {
                    "description": f"An error, in the {self.surface} surface's envelope.",
                    "headers": headers,
                    "content": {"application/json": {"schema": {"$ref": _SCHEMAS + dialect.error_schema_name}}},
                }
            },
        }
        if dialect.security_schemes:
            components["securitySchemes"] = copy.deepcopy(dialect.security_schemes)
        _secure(self.ruled, sorted(components.get("securitySchemes", {})))
        return {
            "openapi": "3.1.0",
            "info": {
                "title": f"Chorus — {self.surface} surface",
                "version": "v1",
                "description": _INFO.format(surface=self.surface, unknown_keys=_unknown_keys(self.dialect)),
            },
            "tags": [_with_description({"name": t}, self.tags[t]) for t in sorted(self.tags)],
            "paths": self.paths,
            "components": components,
        }


_INFO = """\
The {surface} surface of Chorus's REST/SSE bridge, generated from the gRPC contract's \
`google.api.http` rules.

* Paths are relative to where the surface is mounted. A GET route also answers HEAD.
* JSON follows the proto3 JSON mapping: lowerCamelCase keys (requests may also use proto \
field names); 64-bit integers are strings unless shown as integers; enums by name; \
Timestamps are RFC 3339 strings. Fields without presence are always present in responses; \
unset optional fields, messages and oneof members are omitted.
* {unknown_keys}"""


def _unknown_keys(dialect: Dialect) -> str:
    if dialect.ignore_unknown_fields:
        return "Unknown request keys are ignored (as the source system's validation strips them); values of \
the wrong type are errors."
    return "Unknown request keys and values of the wrong type are errors."


# --- the methods' rules (chorus.api.v1.method: access, quotas, Idempotency-Key, rate limit) -------


def _rate_limit_headers(names: RateLimitHeaders) -> dict[str, str]:
    """The headers the admission policies write for a spent quota or a rate limit
    (server/platform/admission/rate_limit.py `rate_headers`), under the dialect's names."""
    return {
        names.limit: "The limit of the quota or rate limit this call counts against.",
        names.remaining: "What is left of it after this call.",
        names.reset: "When it resets, in seconds since the epoch.",
    }


_IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Repeating a request with the same key replays the first response (marked "
    "`idempotent-replayed: true`) instead of running it again; the same key with another request "
    "is an error. 1 to 255 printable ASCII characters.",
}


def _apply_rule(op: Schema, rule: MethodRule, rate_limit_names: RateLimitHeaders) -> None:
    """The operation's access (`x-access`; `security` is empty for a public one, and is set
    from the document's security schemes by `_secure`), its `Idempotency-Key` parameter and
    the rate-limit headers of its successful response."""
    op["x-access"] = str(rule.access)
    if rule.access.public:
        op["security"] = []
    if rule.honours_idempotency_key:
        op.setdefault("parameters", []).append(copy.deepcopy(_IDEMPOTENCY_KEY))
    if rule.spends_quotas or rule.rate_limit is not None:
        headers = {
            name: {"description": text, "schema": {"type": "integer"}}
            for name, text in _rate_limit_headers(rate_limit_names).items()
        }
        for status, response in op["responses"].items():
            if status != "default":
                response["headers"] = {**response.get("headers", {}), **copy.deepcopy(headers)}
    if rule.spends_quotas:
        op["x-quotas"] = list(rule.spends_quotas)


def _secure(ruled: list[tuple[Schema, MethodModel]], scheme_names: list[str]) -> None:
    """Sets each non-public operation's `security`: any one of its service's schemes (all the
    surface's when the service names none), with the permission its rule names as the role
    (OpenAPI 3.1 allows roles for any scheme type)."""
    for op, m in ruled:
        unknown = sorted(set(m.security_schemes) - set(scheme_names))
        if unknown:
            raise ValueError(f"{m.service}: security_schemes {unknown} are not the surface's {scheme_names}")
        assert m.rule is not None, "only ruled operations are listed"
        if m.rule.access.public or not scheme_names:
            continue
        roles = [m.rule.access.permission] if m.rule.access.permission else []
        op["security"] = [{name: list(roles)} for name in (m.security_schemes or scheme_names)]


def _sse_item(event: str, data: Schema) -> Schema:
    """One SSE event as parsed: its type and its `data`, a JSON text of schema `data`."""
    return {
        "type": "object",
        "properties": {
            "event": {"const": event},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data},
        },
        "required": ["event", "data"],
    }


def _sse_done_item(done_data: str) -> Schema:
    return {
        "type": "object",
        "properties": {"event": {"const": "message"}, "data": {"const": done_data}},
        "required": ["event", "data"],
    }


def _type_tag(key: str, name: str) -> Schema:
    return {"type": "object", "properties": {key: {"const": name}}, "required": [key]}


def _label(schema: Schema) -> str:
    if "allOf" in schema:
        return _label(schema["allOf"][-1])
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(_SCHEMAS)
    if schema.get("type") == "array" and "items" in schema:
        return f"array of {_label(schema['items'])}"
    return str(schema.get("type", "any JSON value"))


def render_openapi(
    surface: str,
    methods: list[MethodModel],
    files: dict[str, descriptor_pb2.FileDescriptorProto],
    dialect: Dialect | None = None,
) -> str:
    """`dialect`: the surface's, which declares the JSON Schemas of the errors it writes;
    None (a test contract) is the bridge's default, google.rpc.Status."""
    doc = _Document(surface, files, dialect or Dialect()).render(methods)
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
