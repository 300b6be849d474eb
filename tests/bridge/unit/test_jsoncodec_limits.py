"""The codec's input bounds (nesting, free-form values) and its unknown-key modes."""

from __future__ import annotations

from typing import Any

import pytest
from chorus_contracts.crispy.v1 import chat_pb2
from google.protobuf import struct_pb2

from rest_bridge.dialects.base import split_path
from rest_bridge.dialects.openai import openai_param
from rest_bridge.jsoncodec import MAX_DEPTH, MAX_FREE_FORM_VALUES, JsonMappingError, UnknownKey, codec_for


def nest(levels: int, kind: str = "object") -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value} if kind == "object" else [value]
    return value


def issues(message_class: Any, data: Any, **options: Any) -> list[Any]:
    with pytest.raises(JsonMappingError) as info:
        codec_for(message_class).merge_dict(message_class(), data, **options)
    return info.value.issues


@pytest.mark.parametrize("kind", ["object", "array"])
def test_struct_nests_up_to_the_limit(kind: str) -> None:
    # The Struct itself is level 1: MAX_DEPTH - 1 more containers fit.
    message = struct_pb2.Struct()
    codec_for(struct_pb2.Struct).merge_dict(message, {"x": nest(MAX_DEPTH - 1, kind)})
    struct_pb2.Struct.FromString(message.SerializeToString())  # protobuf's decoder takes it too
    [issue] = issues(struct_pb2.Struct, {"x": nest(MAX_DEPTH, kind)})
    assert len(issue.path) == MAX_DEPTH and "32 levels" in issue.message


def test_very_deep_json_is_one_issue_not_a_recursion_error() -> None:
    [issue] = issues(struct_pb2.Struct, {"x": nest(5000, "array")})
    assert "levels" in issue.message


def test_free_form_values_are_counted_per_request() -> None:
    found = issues(struct_pb2.Struct, {"a": [1] * MAX_FREE_FORM_VALUES, "b": [[1]] * 10})
    expected = f"Free-form JSON holds more than {MAX_FREE_FORM_VALUES} values in one request"
    assert [i.message for i in found] == [expected]
    codec_for(struct_pb2.Struct).merge_dict(struct_pb2.Struct(), {"a": [1] * (MAX_FREE_FORM_VALUES - 10)})


def test_unknown_keys_are_their_own_issue_and_can_be_ignored() -> None:
    data = {"sessionId": "s", "message": "m", "model": "x", "³": 1}
    found = issues(chat_pb2.ChatRequest, data)
    assert {type(i) for i in found} == {UnknownKey}
    message = chat_pb2.ChatRequest()
    codec_for(chat_pb2.ChatRequest).merge_dict(message, data, ignore_unknown=True)
    assert message.message == "m"
    # Other issues still count when unknown keys are ignored.
    [issue] = issues(chat_pb2.ChatRequest, {**data, "message": 5}, ignore_unknown=True)
    assert issue.path == ("message",)


def test_unknown_query_parameters_can_be_ignored() -> None:
    codec = codec_for(chat_pb2.GetSessionHistoryRequest)
    with pytest.raises(JsonMappingError):
        codec.bind_query(chat_pb2.GetSessionHistoryRequest(), [("_", "1")])
    codec.bind_query(chat_pb2.GetSessionHistoryRequest(), [("_", "1"), ("a.b", "2")], ignore_unknown=True)


@pytest.mark.parametrize("key", ["³", "٣", "1" * 25, "007"])
def test_issue_paths_keep_non_index_digits_as_keys(key: str) -> None:
    assert split_path(f"metadata.{key}.0") == ["metadata", key, 0]
    assert openai_param(f"metadata.{key}.0") == f"metadata.{key}[0]"
