"""chaozcode.v2.AgentService: the caller's agent runs."""

from __future__ import annotations

import grpc
from chorus_contracts.chaozcode.v2 import agents_pb2, agents_pb2_grpc

from server.platform.clock import Clock
from server.surfaces.chaozcode.agents.runs import AgentRun, AgentRuns
from server.surfaces.chaozcode.servicers.common import grant, timestamp


class ChaozCodeAgentService(agents_pb2_grpc.AgentServiceServicer):
    def __init__(self, runs: AgentRuns, clock: Clock) -> None:
        self._runs = runs
        self._clock = clock

    def _agent(self, run: AgentRun) -> agents_pb2.Agent:
        end = run.finished_at_ms if run.finished_at_ms is not None else self._clock.now_ms()
        message = agents_pb2.Agent(
            agent_id=run.id,
            type=run.type,
            status=run.status,
            usage=agents_pb2.AgentUsage(tokens=run.tokens, cost=run.cost),
            duration=round((end - run.created_at_ms) / 1000, 3),
            model=run.model,
            created_at=timestamp(run.created_at_ms),
            error=run.error,
        )
        if run.result is not None:
            message.result.CopyFrom(
                agents_pb2.AgentResult(
                    summary=run.result["summary"], files=run.result["files"], confidence=run.result["confidence"]
                )
            )
        return message

    async def SpawnAgent(
        self, request: agents_pb2.SpawnAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.SpawnAgentResponse:
        run = await self._runs.spawn(grant().user_id, request.type, request.prompt, request.model, request.timeout)
        return agents_pb2.SpawnAgentResponse(
            agent_id=run.id, type=run.type, status=run.status, created_at=timestamp(run.created_at_ms)
        )

    async def ListAgentTypes(
        self, request: agents_pb2.ListAgentTypesRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.ListAgentTypesResponse:
        return agents_pb2.ListAgentTypesResponse(
            types=[
                agents_pb2.AgentType(type=t.name, description=t.description, capabilities=t.capabilities, tools=t.tools)
                for t in self._runs.types()
            ]
        )

    async def GetAgent(
        self, request: agents_pb2.GetAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.GetAgentResponse:
        return agents_pb2.GetAgentResponse(agent=self._agent(await self._runs.get(grant().user_id, request.agent_id)))

    async def CancelAgent(
        self, request: agents_pb2.CancelAgentRequest, context: grpc.aio.ServicerContext
    ) -> agents_pb2.CancelAgentResponse:
        run = await self._runs.cancel(grant().user_id, request.agent_id)
        return agents_pb2.CancelAgentResponse(agent=self._agent(run))
