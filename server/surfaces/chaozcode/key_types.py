"""ChaozCode's API key types (spec 001, "API Key Types") and what each may call.

Methods state what they need in their rules: reads `permission: "read"`,
changes `permission: "write"`. Development and production keys hold both,
readonly keys only "read" (so anything but a GET is 403 FORBIDDEN), and
restricted keys may call only the endpoints listed on them. Development keys
are `cc_test_…`, every other type `cc_live_…`.
"""

from __future__ import annotations

from server.platform.accounts.endpoints import surface_endpoints
from server.platform.accounts.key_access import KeyType, KeyTypes

READ, WRITE = "read", "write"
DEVELOPMENT, PRODUCTION, READONLY, RESTRICTED = "development", "production", "readonly", "restricted"
# Power order for issuing: a key issues keys of its own rank or lower.
RANK = {PRODUCTION: 3, DEVELOPMENT: 2, READONLY: 1, RESTRICTED: 1}
LABELS = {DEVELOPMENT: "cc_test_", PRODUCTION: "cc_live_", READONLY: "cc_live_", RESTRICTED: "cc_live_"}


def chaozcode_key_types(surface: str) -> KeyTypes:
    both = frozenset({READ, WRITE})
    return KeyTypes(
        {
            DEVELOPMENT: KeyType(both),
            PRODUCTION: KeyType(both),
            READONLY: KeyType(frozenset({READ})),
            RESTRICTED: KeyType(scoped=True),
        },
        surface_endpoints(surface),
    )
