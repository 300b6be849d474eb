"""The shape of the generated rules table: what each method demands of a call.

Codegen (`rest_bridge/codegen`) writes `chorus_contracts.method_rules.RULES` from
every method's `(chorus.api.v1.method)` option: its access, the quotas it spends
or checks, whether it honours `Idempotency-Key`, its rate limit, and the HTTP
verbs its routes answer. The server's admission pipeline decides by it; the
bridge checks at start-up that each route it serves has a rule. A method
missing from the table has no rule and is refused (deny by default).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

RULES_MODULE = "chorus_contracts.method_rules"


@dataclass(frozen=True, slots=True)
class Access:
    """Exactly one of: public, authenticated, or a named permission."""

    public: bool = False
    authenticated: bool = False
    permission: str = ""

    def __str__(self) -> str:
        if self.permission:
            return f"permission {self.permission!r}"
        return "public" if self.public else "authenticated"


PUBLIC = Access(public=True)
AUTHENTICATED = Access(authenticated=True)


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    # A top-level request field whose value keys the count; "" keys it by the caller.
    key_field: str = ""


@dataclass(frozen=True, slots=True)
class MethodRule:
    service: str  # full name, e.g. "mcos.v1.TaskService"
    method: str
    surface: str
    access: Access
    spends_quotas: tuple[str, ...] = ()
    checks_quotas: tuple[str, ...] = ()
    honours_idempotency_key: bool = False
    rate_limit: RateLimitRule | None = None
    # The verbs of the method's HTTP routes (GET for HEAD); () when it has none.
    http_verbs: tuple[str, ...] = ()

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.method}"


def load_method_rules(module: str = RULES_MODULE) -> Mapping[str, MethodRule]:
    """The generated table: full gRPC method path -> its rule."""
    rules: Mapping[str, MethodRule] = importlib.import_module(module).RULES
    return rules


def unruled(paths: list[str], rules: Mapping[str, MethodRule]) -> list[str]:
    """The method paths among `paths` that have no rule, sorted."""
    return sorted(path for path in paths if path not in rules)
