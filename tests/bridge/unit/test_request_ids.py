"""Fresh request ids are random version-4 UUIDs in the usual text form."""

from __future__ import annotations

import uuid

from rest_bridge.request_ids import new_request_id


def test_fresh_request_ids_are_distinct_version_4_uuids() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lower-case hex, 8-4-4-4-12
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # Every random bit is used: across many ids, each hex digit but the fixed ones takes many values.
    for position in range(36):
        if position in (8, 13, 14, 18, 23):  # dashes and the version digit
            continue
        assert len({text[position] for text in ids}) >= 4, position
