"""What every Agent Chassis servicer reads of a call: who is calling, and time stamps."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from server.platform.admission.call import current_call


def caller_id() -> str:
    """The principal ChassisIdentity admitted: a user id, or the API key's principal."""
    caller = current_call().caller
    assert caller is not None and caller.user_id, "ChassisIdentity runs first"
    return caller.user_id


def timestamp(ms: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp
