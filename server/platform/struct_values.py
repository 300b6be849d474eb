"""google.protobuf.Struct / Value <-> plain Python, for servicers.

Cheaper than json_format (no descriptor walk), and whole numbers come back
as ints: a Value stores every number as a double, but the documents' free-
form objects (metadata) carry integers that should read back as written.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import struct_pb2

_EXACT_INT = 2**53


def value_to_python(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return struct_to_dict(value.struct_value)
    if kind == "list_value":
        return [value_to_python(item) for item in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        negative_zero = number == 0 and math.copysign(1.0, number) < 0
        return int(number) if number.is_integer() and abs(number) < _EXACT_INT and not negative_zero else number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return {key: value_to_python(item) for key, item in struct.fields.items()}


def dict_to_struct(data: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(data)
    return struct


def python_to_value(data: Any) -> struct_pb2.Value:
    """Any JSON-shaped Python value (dict, list, str, number, bool, None) as a Value."""
    holder = struct_pb2.Struct()
    holder.update({"v": data})
    return holder.fields["v"]
