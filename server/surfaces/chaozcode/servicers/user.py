"""chaozcode.v2.UserService: the caller's profile, usage and API keys."""

from __future__ import annotations

import grpc
from chorus_contracts.chaozcode.v2 import user_pb2, user_pb2_grpc

from server.platform.accounts.api_keys import AccountKey
from server.platform.accounts.users import Account
from server.platform.admission.call import current_tenant_id
from server.platform.document_enums import DocumentEnum
from server.surfaces.chaozcode.accounts import ChaozCodeAccounts, DailyUsage
from server.surfaces.chaozcode.servicers.common import grant, timestamp
from server.surfaces.chaozcode.usage_report import Counts, UsageReports

PLAN = DocumentEnum(user_pb2.Plan)
KEY_TYPE = DocumentEnum(user_pb2.KeyType)


def _user(account: Account, usage: DailyUsage) -> user_pb2.User:
    return user_pb2.User(
        id=account.id,
        email=account.email,
        name=account.name,
        plan=PLAN.number(account.plan),
        usage=user_pb2.AccountUsage(
            api_calls=usage.api_calls, limit=usage.limit, reset_at=timestamp(usage.reset_at_ms)
        ),
        created_at=timestamp(account.created_at_ms),
    )


def _api_key(key: AccountKey) -> user_pb2.ApiKey:
    return user_pb2.ApiKey(
        id=key.id,
        name=key.name,
        type=KEY_TYPE.number(key.key_type),
        masked_key=key.masked,
        scopes=key.scopes,
        created_at=timestamp(key.created_at_ms),
        last_used_at=timestamp(key.last_used_at_ms) if key.last_used_at_ms is not None else None,
    )


def _counts(counts: Counts) -> user_pb2.UsageCounts:
    return user_pb2.UsageCounts(
        calls=counts.calls,
        prompt_tokens=counts.prompt_tokens,
        completion_tokens=counts.completion_tokens,
        total_tokens=counts.total_tokens,
        cost=round(counts.cost, 6),
    )


class ChaozCodeUserService(user_pb2_grpc.UserServiceServicer):
    def __init__(self, accounts: ChaozCodeAccounts, reports: UsageReports) -> None:
        self._accounts = accounts
        self._reports = reports

    async def GetUsage(
        self, request: user_pb2.GetUsageRequest, context: grpc.aio.ServicerContext
    ) -> user_pb2.GetUsageResponse:
        report = await self._reports.report(current_tenant_id(), grant().user_id, request.days)
        return user_pb2.GetUsageResponse(
            period=user_pb2.UsagePeriod(start=report.start, end=report.end),
            totals=_counts(report.totals),
            days=[user_pb2.DayUsage(date=d, usage=_counts(c)) for d, c in sorted(report.days.items())],
            endpoints=[user_pb2.EndpointUsage(endpoint=e, calls=n) for e, n in sorted(report.endpoints.items())],
            models=[user_pb2.ModelUsage(model=m, usage=_counts(c)) for m, c in sorted(report.models.items())],
        )

    async def GetMe(self, request: user_pb2.GetMeRequest, context: grpc.aio.ServicerContext) -> user_pb2.GetMeResponse:
        return user_pb2.GetMeResponse(user=_user(*await self._accounts.me(grant().user_id)))

    async def UpdateMe(
        self, request: user_pb2.UpdateMeRequest, context: grpc.aio.ServicerContext
    ) -> user_pb2.UpdateMeResponse:
        name = request.name if request.HasField("name") else None
        email = request.email if request.HasField("email") else None
        return user_pb2.UpdateMeResponse(user=_user(*await self._accounts.update_me(grant().user_id, name, email)))

    async def ListApiKeys(
        self, request: user_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> user_pb2.ListApiKeysResponse:
        keys = await self._accounts.keys(grant().user_id)
        return user_pb2.ListApiKeysResponse(api_keys=[_api_key(k) for k in keys])

    async def CreateApiKey(
        self, request: user_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> user_pb2.CreateApiKeyResponse:
        issued = await self._accounts.issue_key(grant(), KEY_TYPE.text(request.type), request.name, request.scopes)
        key = issued.key
        return user_pb2.CreateApiKeyResponse(
            api_key=user_pb2.CreatedApiKey(
                id=key.id,
                key=issued.secret,
                name=key.name,
                type=KEY_TYPE.number(key.key_type),
                masked_key=key.masked,
                scopes=key.scopes,
                created_at=timestamp(key.created_at_ms),
            )
        )

    async def DeleteApiKey(
        self, request: user_pb2.DeleteApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> user_pb2.DeleteApiKeyResponse:
        revoked_at = await self._accounts.revoke_key(grant().user_id, request.key_id)
        return user_pb2.DeleteApiKeyResponse(id=request.key_id, revoked=True, revoked_at=timestamp(revoked_at))
