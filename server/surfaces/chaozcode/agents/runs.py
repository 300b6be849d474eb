"""Agent runs: `spawn` records the run, enqueues its job and emits `agent.started`, in one
transaction; the job runs the platform agent loop with the type's tools and records
the outcome with `agent.completed` or `agent.failed`, again together.

Restarts: the job type is `LeaseLost.FAIL` with one attempt. A run is not
repeated after its process dies (it would spend the model's tokens and call tools
again); the runner fails its job once the lease expires, and the run reads as
`failed` with that reason (recorded, and `agent.failed` emitted, by the first read
after or the periodic `chaozcode.agent_settle` job, whichever comes first). A run
past its `timeout` fails with "timed out after N s"; `DELETE` cancels it: the row
says `cancelled` at once and the job is stopped (here at once, on another replica
within its poll interval).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import grpc
import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.platform.admission.quotas import Quotas
from server.platform.agent.loop import AgentLoop, AgentReply
from server.platform.agent.tool_box import ToolBox
from server.platform.clock import Clock
from server.platform.errors import ChorusError, FieldViolation, invalid_argument, not_found
from server.platform.jobs import FAILED, JobContext, Jobs, JobType, LeaseLost
from server.platform.models.registry import ModelRegistry
from server.platform.models.types import ChatTurn, Usage
from server.platform.scope import Scope
from server.platform.storage.database import Database
from server.platform.storage.tables import JobRow
from server.surfaces.chaozcode.agents.tools import ChaozCodeAgentTools
from server.surfaces.chaozcode.agents.types import AGENT_TYPES, AgentType
from server.surfaces.chaozcode.catalog import CatalogEntry, ModelCatalog
from server.surfaces.chaozcode.events import AGENT_COMPLETED, AGENT_FAILED, AGENT_STARTED, ChaozCodeEvents
from server.surfaces.chaozcode.query import Checks, check_text, missing
from server.surfaces.chaozcode.tables import AgentRunRow
from server.surfaces.chaozcode.usage import UsageStore

RUN = "chaozcode.agent_run"
SETTLE = "chaozcode.agent_settle"
DEFAULT_TIMEOUT, MAX_TIMEOUT = 300, 3600
RUNNING, COMPLETED, FAILED_RUN, CANCELLED = "running", "completed", "failed", "cancelled"
ENDPOINT = "POST /agents/spawn"


@dataclass(frozen=True, slots=True)
class AgentRun:
    id: str
    type: str
    status: str
    model: str
    created_at_ms: int
    finished_at_ms: int | None
    result: dict[str, Any] | None
    error: str | None
    tokens: int
    cost: float


def _run(row: AgentRunRow) -> AgentRun:
    return AgentRun(
        row.id,
        row.type,
        row.status,
        row.model,
        row.created_at_ms,
        row.finished_at_ms,
        orjson.loads(row.result) if row.result else None,
        row.error,
        row.tokens,
        row.cost,
    )


def _invalid(name: str, reason: str, message: str) -> ChorusError:
    return invalid_argument(message, (FieldViolation(name, reason),))


def confidence(reply: AgentReply, failed_tools: int) -> float:
    """How much the answer rests on the user's data: 0.5 with no tool results, up to
    0.95 as more of the tool calls it made returned something."""
    calls = len(reply.invocations) + failed_tools
    if not calls:
        return 0.5
    useful = sum(1 for i in reply.invocations if i.result not in (None, "", [], {}))
    return round(0.5 + 0.45 * useful / calls, 2)


def files_of(reply: AgentReply) -> list[str]:
    """Paths tools reported (`"files": [...]` in a result), in order, once each."""
    found: dict[str, None] = {}
    for invocation in reply.invocations:
        result = invocation.result
        if isinstance(result, dict) and isinstance(result.get("files"), list):
            found.update((str(f), None) for f in result["files"])
    return list(found)


class AgentRuns:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        jobs: Jobs,
        events: ChaozCodeEvents,
        models: ModelRegistry,
        catalog: ModelCatalog,
        tools: ChaozCodeAgentTools,
        quotas: Quotas,
        usage: UsageStore,
        tenant_id: str,
        settle_every: float,
    ) -> None:
        self._db = db
        self._clock = clock
        self._jobs = jobs
        self._events = events
        self._models = models
        self._catalog = catalog
        self._tools = tools
        self._quotas = quotas
        self._usage = usage
        self._tenant_id = tenant_id
        jobs.register(JobType(RUN, self._execute, max_attempts=1, on_lease_lost=LeaseLost.FAIL))
        jobs.register(JobType(SETTLE, self._settle_all, timeout=120.0, max_attempts=1))
        jobs.every(SETTLE, SETTLE, settle_every)

    def types(self) -> list[AgentType]:
        return list(AGENT_TYPES.values())

    async def spawn(self, owner_id: str, agent_type: str, prompt: str, model: str, seconds: int) -> AgentRun:
        """`seconds`: the run's timeout (0: the default)."""
        if not agent_type:
            raise missing("type")
        if not prompt:
            raise missing("prompt")
        checks = Checks()
        if agent_type not in AGENT_TYPES:
            checks.add("type", "invalid", f"type must be one of {', '.join(AGENT_TYPES)}")
        entry = self._catalog.get(model) if model else self._catalog.default
        if entry is None:
            checks.add("model", "unknown_model", f"Unknown model '{model}': see GET /v2/models")
        timeout = seconds or DEFAULT_TIMEOUT
        if not 1 <= timeout <= MAX_TIMEOUT:
            checks.add("timeout", "out_of_range", f"timeout must be 1 to {MAX_TIMEOUT} seconds")
        check_text(checks, "prompt", prompt)
        checks.raise_if_any()
        assert entry is not None
        now = self._clock.now_ms()
        run_id = "agent_" + secrets.token_hex(12)
        async with self._db.write() as conn:
            job_id = await self._jobs.enqueue(conn, RUN, {"run": run_id}, key=owner_id, attempt_timeout=timeout + 30.0)
            await conn.execute(
                insert(AgentRunRow).values(
                    id=run_id,
                    tenant_id=self._tenant_id,
                    owner_id=owner_id,
                    type=agent_type,
                    prompt=prompt,
                    model=entry.id,
                    timeout_s=timeout,
                    job_id=job_id,
                    status=RUNNING,
                    tokens=0,
                    cost=0.0,
                    created_at_ms=now,
                )
            )
            await self._events.emit(conn, owner_id, AGENT_STARTED, {"agentId": run_id, "type": agent_type})
        return AgentRun(run_id, agent_type, RUNNING, entry.id, now, None, None, None, 0, 0.0)

    async def get(self, owner_id: str, run_id: str) -> AgentRun:
        row = await self._row(owner_id, run_id)
        if row.status == RUNNING:
            await self._settle(row)
            row = await self._row(owner_id, run_id)
        return _run(row)

    async def cancel(self, owner_id: str, run_id: str) -> AgentRun:
        row = await self._row(owner_id, run_id)
        if row.status == RUNNING:
            data = {"agentId": row.id, "type": row.type, "status": CANCELLED, "error": "cancelled"}
            async with self._db.write() as conn:
                if await self._end(conn, row.id, CANCELLED, error="cancelled"):
                    await self._events.emit(conn, row.owner_id, AGENT_FAILED, data)
            await self._jobs.cancel(row.job_id)
        return _run(await self._row(owner_id, run_id))

    async def _row(self, owner_id: str, run_id: str) -> AgentRunRow:
        async with self._db.session() as session:
            row = await session.scalar(
                select(AgentRunRow).where(
                    AgentRunRow.id == run_id,
                    AgentRunRow.tenant_id == self._tenant_id,
                    AgentRunRow.owner_id == owner_id,
                )
            )
        if row is None:
            raise not_found(f"Agent '{run_id}' not found")
        return row

    async def _settle(self, row: AgentRunRow) -> None:
        """A run whose job ended without recording it (its process died): failed, with the job's reason."""
        status = await self._jobs.status(row.job_id)
        if status is None or status.state != FAILED:
            return
        reason = status.error or "failed"
        await self._fail(row, reason)

    async def _settle_all(self, _: JobContext) -> None:
        """Every run still `running` whose job failed (its process died): failed, with
        `agent.failed`, whether or not anyone reads it."""
        async with self._db.session() as session:
            rows = (
                await session.scalars(
                    select(AgentRunRow)
                    .join(JobRow, JobRow.id == AgentRunRow.job_id)
                    .where(AgentRunRow.status == RUNNING, JobRow.state == FAILED)
                    .limit(500)
                )
            ).all()
        for row in rows:
            await self._settle(row)

    async def _end(self, conn: AsyncConnection, run_id: str, status: str, **values: Any) -> bool:
        ended = await conn.execute(
            update(AgentRunRow)
            .where(AgentRunRow.id == run_id, AgentRunRow.status == RUNNING)
            .values(status=status, finished_at_ms=self._clock.now_ms(), **values)
        )
        return bool(ended.rowcount)

    async def _fail(self, row: AgentRunRow, reason: str, tokens: int = 0, cost: float = 0.0) -> None:
        data = {"agentId": row.id, "type": row.type, "status": FAILED_RUN, "error": reason}
        async with self._db.write() as conn:
            if await self._end(conn, row.id, FAILED_RUN, error=reason, tokens=tokens, cost=cost):
                await self._events.emit(conn, row.owner_id, AGENT_FAILED, data)

    # --- the job ---

    async def _execute(self, job: JobContext) -> None:
        async with self._db.session() as session:
            row = await session.get(AgentRunRow, job.payload["run"])
        if row is None or row.status != RUNNING:
            return  # cancelled before it started
        entry = self._catalog.get(row.model) or self._catalog.default
        spent = [0, 0]  # prompt, completion tokens

        async def meter(_: Scope, usage: Usage) -> None:
            spent[0] += usage.prompt_tokens
            spent[1] += usage.completion_tokens

        def cost() -> float:
            return round(entry.cost(spent[0], spent[1]), 6)

        reply = AgentReply()
        try:
            async with asyncio.timeout(row.timeout_s):
                await self._loop(row, entry, meter, reply)
        except TimeoutError:
            await self._fail(row, f"timed out after {row.timeout_s} s", sum(spent), cost())
            return
        except ChorusError as exc:
            await self._fail(row, exc.message, sum(spent), cost())
            return
        finally:
            if sum(spent):
                await self._usage.add(
                    row.tenant_id,
                    row.owner_id,
                    self._clock.now_ms(),
                    ENDPOINT,
                    entry.id,
                    prompt_tokens=spent[0],
                    completion_tokens=spent[1],
                )
        result = {"summary": reply.content, "files": files_of(reply), "confidence": confidence(reply, 0)}
        data = {
            "agentId": row.id,
            "type": row.type,
            "status": COMPLETED,
            "result": result,
            "usage": {"tokens": sum(spent), "cost": cost()},
        }
        async with self._db.write() as conn:
            if await self._end(
                conn, row.id, COMPLETED, result=orjson.dumps(result).decode(), tokens=sum(spent), cost=cost()
            ):
                await self._events.emit(conn, row.owner_id, AGENT_COMPLETED, data)

    async def _loop(self, row: AgentRunRow, entry: CatalogEntry, meter: Any, reply: AgentReply) -> None:
        agent_type = AGENT_TYPES[row.type]
        available = self._tools.by_name()
        box = ToolBox([available[name] for name in agent_type.tools], self._quotas)
        loop = AgentLoop(
            self._models,
            box,
            meter=meter,
            model_failure=_model_failure,
            model=entry.route,
            max_tool_rounds=agent_type.max_tool_rounds,
        )
        turns = [ChatTurn("system", agent_type.instructions), ChatTurn("user", row.prompt)]
        async for _ in loop.run(Scope(row.tenant_id, row.owner_id), turns, "auto", reply):
            pass


def _model_failure(message: str) -> ChorusError:
    return ChorusError(grpc.StatusCode.UNAVAILABLE, "SERVICE_UNAVAILABLE", message)
