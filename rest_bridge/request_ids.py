"""Fresh request ids: random (version 4) UUIDs as text.

`str(uuid.uuid4())` builds a UUID object, checks it and formats it field by
field: about twice the cost of formatting the same 16 random bytes directly,
and every request without an id of its own pays it (the bridge's and the
gRPC pipeline's).
"""

from __future__ import annotations

import os

# The version (4) and variant (RFC 4122) bits of a random UUID.
_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_SET = (0x4000 << 64) | (0x8000 << 48)


def new_request_id() -> str:
    """Like `str(uuid.uuid4())`: the same randomness (os.urandom), format and bits."""
    h = f"{int.from_bytes(os.urandom(16), 'big') & _KEEP | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
