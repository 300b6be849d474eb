"""ChaozCode's rules for accounts and keys, on the platform's user accounts and typed keys.

- A user's plan is one of free, pro, team, enterprise.
- A key issues keys of no more power than its own (production > development >
  readonly, restricted); a restricted key issues only restricted keys within
  its own scopes. Restricted keys need scopes, each an endpoint the API has;
  other types take none.
- `usage` is today's calls (UTC) of every key of the user, from the persisted
  counters, against the plan's daily limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.platform.accounts.api_keys import AccountKey, AccountKeys, IssuedKey, KeyGrant
from server.platform.accounts.key_access import KeyTypes
from server.platform.accounts.users import Account, UserAccounts
from server.platform.clock import Clock
from server.platform.errors import FieldViolation, invalid_argument, permission_denied
from server.surfaces.chaozcode.key_types import DEVELOPMENT, RANK, RESTRICTED
from server.surfaces.chaozcode.plan_limits import PlanLimiter
from server.surfaces.chaozcode.settings import PLANS
from server.surfaces.chaozcode.usage import UsageStore, day_of, next_midnight_ms

MAX_KEY_NAME = 200


@dataclass(frozen=True, slots=True)
class DailyUsage:
    api_calls: int
    limit: int | None
    reset_at_ms: int


def check_plan(plan: str) -> str:
    if plan not in PLANS:
        raise invalid_argument(f"plan must be one of {', '.join(PLANS)}", (FieldViolation("plan", "invalid"),))
    return plan


async def add_user(
    users: UserAccounts, keys: AccountKeys, tenant_id: str, email: str, name: str, plan: str, key_type: str
) -> tuple[Account, IssuedKey]:
    """A new user and their first key (`chorus chaozcode users add`: there is no dashboard)."""
    account = await users.create(tenant_id, email, name, check_plan(plan))
    issued = await keys.issue(tenant_id, account.id, key_type, "first key")
    return account, issued


class ChaozCodeAccounts:
    def __init__(
        self,
        tenant_id: str,
        users: UserAccounts,
        keys: AccountKeys,
        key_types: KeyTypes,
        limits: PlanLimiter,
        usage: UsageStore,
        clock: Clock,
    ) -> None:
        self._tenant_id = tenant_id
        self._users = users
        self._keys = keys
        self._key_types = key_types
        self._limits = limits
        self._usage = usage
        self._clock = clock

    async def me(self, user_id: str) -> tuple[Account, DailyUsage]:
        account = await self._users.get(self._tenant_id, user_id)
        return account, await self._daily_usage(account)

    async def update_me(self, user_id: str, name: str | None, email: str | None) -> tuple[Account, DailyUsage]:
        account = await self._users.update(self._tenant_id, user_id, name=name, email=email)
        return account, await self._daily_usage(account)

    async def _daily_usage(self, account: Account) -> DailyUsage:
        now = self._clock.now_ms()
        calls = await self._usage.calls_on(self._tenant_id, account.id, day_of(now))
        return DailyUsage(calls, self._limits.daily_limit(account.plan), next_midnight_ms(now))

    async def keys(self, user_id: str) -> list[AccountKey]:
        return await self._keys.list(self._tenant_id, user_id)

    async def issue_key(self, grant: KeyGrant, key_type: str, name: str, scopes: Sequence[str]) -> IssuedKey:
        key_type = key_type or DEVELOPMENT
        problems: list[FieldViolation] = []
        if len(name) > MAX_KEY_NAME:
            problems.append(FieldViolation("name", "too_long"))
        wanted = set(scopes)
        if self._key_types.is_scoped(key_type):
            if not wanted:
                problems.append(FieldViolation("scopes", "required"))
            unknown = sorted(wanted - self._key_types.known_endpoints)
            if unknown:
                problems.append(FieldViolation("scopes", "unknown_endpoint"))
        elif wanted:
            problems.append(FieldViolation("scopes", "only_for_restricted_keys"))
        if problems:
            described = {
                "too_long": f"name must be at most {MAX_KEY_NAME} characters",
                "required": "a restricted key needs scopes: the endpoints it may call, e.g. 'GET /user/me'",
                "unknown_endpoint": "scopes name endpoints the API does not have",
                "only_for_restricted_keys": "only restricted keys take scopes",
            }
            raise invalid_argument(described[problems[0].description], problems)
        if RANK[key_type] > RANK[grant.key_type] or (
            grant.key_type == RESTRICTED and (key_type != RESTRICTED or not wanted <= grant.scopes)
        ):
            raise permission_denied(f"A {grant.key_type} API key cannot issue this {key_type} key", reason="FORBIDDEN")
        return await self._keys.issue(self._tenant_id, grant.user_id, key_type, name, sorted(wanted))

    async def revoke_key(self, user_id: str, key_id: str) -> int:
        return await self._keys.revoke(self._tenant_id, user_id, key_id)
