"""grpc-gateway's PATCH convention: the fields present in the body are the update mask.

When a binding's body is one message field and the request also has a
`google.protobuf.FieldMask update_mask` that the client left empty, the
mask becomes the paths of the JSON keys the body holds, so `{"status":
"done"}` updates only `status` and `{"due": null}` clears `due`. Objects
nest into paths ("address.city") except for well-known types and maps,
which are replaced whole.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

UPDATE_MASK_FIELD = "update_mask"
_FIELD_MASK = "google.protobuf.FieldMask"


def autofill_target(request: Descriptor, body_field: str) -> Descriptor | None:
    """The body's message type when this binding fills `update_mask` from the body."""
    if not body_field or body_field == "*" or "." in body_field:
        return None
    mask = request.fields_by_name.get(UPDATE_MASK_FIELD)
    body = request.fields_by_name.get(body_field)
    if mask is None or mask.message_type is None or mask.message_type.full_name != _FIELD_MASK:
        return None
    if body is None or body.message_type is None or body.is_repeated:
        return None
    return body.message_type


def fill_update_mask(request: Message, body_type: Descriptor, body: Any) -> None:
    """Sets `update_mask` from the body's keys unless the client sent a mask."""
    mask = getattr(request, UPDATE_MASK_FIELD)
    if mask.paths or not isinstance(body, dict):
        return
    mask.paths.extend(_paths(body_type, body, ""))


def _paths(descriptor: Descriptor, data: dict[str, Any], prefix: str) -> list[str]:
    paths: list[str] = []
    for key, value in data.items():
        field = _by_json_or_proto_name(descriptor, key)
        if field is None:
            continue  # an unknown key: the codec has refused it, or ignores it on this surface
        path = prefix + field.name
        nested = field.message_type
        if (
            isinstance(value, dict)
            and nested is not None
            and not field.is_repeated
            and not nested.full_name.startswith("google.protobuf.")
            and not nested.GetOptions().map_entry
        ):
            paths.extend(_paths(nested, value, path + "."))
        else:
            paths.append(path)
    return paths


def _by_json_or_proto_name(descriptor: Descriptor, key: str) -> FieldDescriptor | None:
    """The field a JSON key names (its JSON name or its proto name, as protojson accepts)."""
    return descriptor.fields_by_name.get(key) or next((f for f in descriptor.fields if f.json_name == key), None)
