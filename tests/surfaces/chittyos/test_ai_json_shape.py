"""OpenAI's JSON shapes through the bridge's codec: the `omit_empty` and
`null_when_unset` field rules the gateway's messages use, and their OpenAPI form."""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from chorus_contracts.chittyos.ai.v1 import ai_pb2
from chorus_contracts.chorus.api.v1 import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from rest_bridge.jsoncodec import codec_for

OPENAPI = Path(__file__).resolve().parents[3] / "gen" / "chorus_contracts" / "openapi" / "chittyos-ai.json"


def _json(message: Any) -> Any:
    return json.loads(codec_for(type(message)).to_json(message))


def test_assistant_message_content_null_and_tool_calls_omitted() -> None:
    assert _json(ai_pb2.AssistantMessage(role="assistant", content="hi")) == {"role": "assistant", "content": "hi"}
    call = ai_pb2.ToolCall(id="call_1", type="function", function=ai_pb2.FunctionCall(name="f", arguments="{}"))
    assert _json(ai_pb2.AssistantMessage(role="assistant", tool_calls=[call])) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    # An empty string is set, so it stays a string.
    assert _json(ai_pb2.AssistantMessage(role="assistant", content=""))["content"] == ""


def test_embedding_forms_share_one_json_key() -> None:
    """`json_key` and `bytes_as_doubles`: packed doubles are an array of numbers,
    packed float32 the base64 string, both under `embedding`, and both read back."""
    codec = codec_for(ai_pb2.Embedding)
    doubles = struct.pack("<3d", 0.5, -0.01234568, 3.0)
    floats = ai_pb2.Embedding(object="embedding", index=1, float64_values=doubles)
    assert _json(floats) == {"object": "embedding", "embedding": [0.5, -0.01234568, 3.0], "index": 1}
    singles = struct.pack("<2f", 0.5, -1.0)
    based = ai_pb2.Embedding(object="embedding", index=0, float32_values=singles)
    assert _json(based) == {"object": "embedding", "embedding": base64.b64encode(singles).decode(), "index": 0}
    assert codec.from_dict(_json(floats)) == floats and codec.from_dict(_json(based)) == based
    odd = ai_pb2.Embedding(float64_values=struct.pack("<2d", math.nan, -math.inf))
    assert _json(odd)["embedding"] == ["NaN", "-Infinity"]


def test_chunk_choice_finish_reason_is_null_until_set() -> None:
    choice = ai_pb2.ChatCompletionChunkChoice(index=0, delta=ai_pb2.ChatCompletionDelta(content="x"))
    assert _json(choice) == {"index": 0, "delta": {"content": "x"}, "finish_reason": None}
    choice.finish_reason = "stop"
    choice.delta.Clear()
    assert _json(choice) == {"index": 0, "delta": {}, "finish_reason": "stop"}


def _message_with_rule(name: str, label: int, proto3_optional: bool, rule: str) -> Any:
    """A one-field message in a private pool file, its field carrying one rule."""
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"chorus_testing/ai_{name}.proto",
        package=f"chorus_testing.ai_{name}",
        syntax="proto3",
        dependency=["chorus/api/v1/annotations.proto"],
    )
    message = proto.message_type.add(name="Probe")
    field = message.field.add(name="value", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING)
    field.label = label
    if proto3_optional:
        field.proto3_optional = True
        field.oneof_index = 0
        message.oneof_decl.add(name="_value")
    setattr(field.options.Extensions[annotations_pb2.field], rule, True)
    pool = descriptor_pool.Default()
    try:
        pool.FindFileByName(proto.name)
    except KeyError:
        pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"chorus_testing.ai_{name}.Probe"))


def test_rules_on_the_wrong_kind_of_field_are_refused() -> None:
    singular = _message_with_rule("omit", descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, False, "omit_empty")
    with pytest.raises(TypeError, match="omit_empty needs a repeated or map field"):
        codec_for(singular).to_json(singular())
    plain = _message_with_rule("null", descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL, False, "null_when_unset")
    with pytest.raises(TypeError, match="null_when_unset needs a field with presence"):
        codec_for(plain).to_json(plain())
    repeated = _message_with_rule("list", descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED, False, "omit_empty")
    assert codec_for(repeated).to_json(repeated()) == b"{}"
    assert codec_for(repeated).to_json(repeated(value=["a"])) == b'{"value":["a"]}'


def test_openapi_shows_nullable_and_omitted_fields_and_the_openai_error() -> None:
    doc = json.loads(OPENAPI.read_text())
    schemas = doc["components"]["schemas"]
    finish = schemas["chittyos.ai.v1.ChatCompletionChunkChoice"]["properties"]["finish_reason"]
    assert finish["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert "`null` when unset." in finish["description"]
    calls = schemas["chittyos.ai.v1.AssistantMessage"]["properties"]["tool_calls"]
    assert calls["type"] == "array" and "Omitted when empty." in calls["description"]
    assert doc["paths"]["/v1/chat/completions"]["post"]["responses"]["default"] == {
        "$ref": "#/components/responses/Error"
    }
    error_ref = doc["components"]["responses"]["Error"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref == "#/components/schemas/OpenAIError"
    assert schemas["OpenAIError"]["properties"]["error"]["required"] == ["message", "type", "param", "code"]
