"""What every ChaozCode servicer reads of a call: the key's grant, and time stamps."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from server.platform.accounts.api_keys import KeyGrant
from server.platform.admission.call import current_call


def grant() -> KeyGrant:
    """The API key the current call was admitted with."""
    caller = current_call().caller
    assert caller is not None and caller.key is not None, "ChaozCodeAdmission runs first"
    return caller.key


def timestamp(ms: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp
