"""MCoS chat messages for gRPC clients: `content` is a Value (a string or content parts)."""

from __future__ import annotations

from chorus_contracts.mcos.v1 import chat_pb2, resources_pb2
from google.protobuf import struct_pb2


def user_says(text: str) -> chat_pb2.ChatTurnMessage:
    return chat_pb2.ChatTurnMessage(role=resources_pb2.ROLE_USER, content=struct_pb2.Value(string_value=text))
