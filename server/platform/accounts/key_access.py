"""What a typed API key may call, decided by the method rules.

A method's rule names the permission it needs (`access: {permission: "read"}`,
or "write"); a key type either holds permissions (a readonly key holds
"read") or is scoped: it may call only the endpoints its key lists, named as
the surface's document writes them ("POST /query"). A key that may not make
the call is FORBIDDEN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from server.platform.accounts.api_keys import KeyGrant
from server.platform.admission.call import CallInfo
from server.platform.errors import ChorusError, permission_denied


@dataclass(frozen=True, slots=True)
class KeyType:
    """`permissions` it holds; or `scoped`: only the endpoints listed on the key."""

    permissions: frozenset[str] = frozenset()
    scoped: bool = False


class KeyTypes:
    def __init__(self, types: Mapping[str, KeyType], endpoints: Mapping[str, tuple[str, ...]]) -> None:
        """`endpoints`: gRPC method path -> the endpoints ("VERB /path") it serves."""
        self._types = dict(types)
        self._endpoints = dict(endpoints)
        self.known_endpoints = frozenset(e for names in endpoints.values() for e in names)

    def permissions(self) -> frozenset[str]:
        """Every permission some type holds: the ones a rule may demand."""
        return frozenset(p for t in self._types.values() for p in t.permissions)

    def is_scoped(self, key_type: str) -> bool:
        return self._types[key_type].scoped

    def endpoints_of(self, method: str) -> tuple[str, ...]:
        return self._endpoints.get(method, ())

    def check(self, call: CallInfo, grant: KeyGrant) -> None:
        """Raises FORBIDDEN when `grant`'s key may not make `call`."""
        needed = call.rule.access.permission
        key_type = self._types.get(grant.key_type)
        if key_type is None:
            raise _forbidden(f"API key type {grant.key_type!r} is not accepted here")
        if key_type.scoped:
            if not any(e in grant.scopes for e in self.endpoints_of(call.method)):
                endpoint = next(iter(self.endpoints_of(call.method)), call.method)
                raise _forbidden(f"This {grant.key_type} API key may not call {endpoint}")
        elif needed and needed not in key_type.permissions:
            raise _forbidden(f"A {grant.key_type} API key lacks the {needed!r} permission this endpoint needs")


def _forbidden(message: str) -> ChorusError:
    return permission_denied(message, reason="FORBIDDEN")
