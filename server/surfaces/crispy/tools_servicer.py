"""crispy.v1.ToolService: the platform's tool registry, run for the calling tenant."""

from __future__ import annotations

import grpc
from chorus_contracts.crispy.v1 import tools_pb2, tools_pb2_grpc

from server.platform.admission.call import current_call
from server.platform.scope import Scope
from server.platform.struct_values import dict_to_struct, python_to_value, struct_to_dict
from server.platform.tools.registry import ToolRegistry


class CrispyToolService(tools_pb2_grpc.ToolServiceServicer):
    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    async def ExecuteTool(
        self, request: tools_pb2.ExecuteToolRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.ExecuteToolResponse:
        call = current_call()
        assert call.caller is not None
        scope = Scope(tenant_id=call.caller.tenant.id, owner_id=call.caller.user_id or "")
        outcome = await self._registry.execute(scope, request.tool, struct_to_dict(request.args))
        return tools_pb2.ExecuteToolResponse(
            result=python_to_value(outcome.result),
            tool_name=outcome.name,
            execution_time=round(outcome.elapsed_ms),
            request_id=call.request_id,
        )

    async def ListTools(
        self, request: tools_pb2.ListToolsRequest, context: grpc.aio.ServicerContext
    ) -> tools_pb2.ListToolsResponse:
        return tools_pb2.ListToolsResponse(
            tools=[
                tools_pb2.ToolDescription(
                    name=tool.name, description=tool.description, parameters=dict_to_struct(tool.schema())
                )
                for tool in self._registry.tools
            ],
            request_id=current_call().request_id,
        )
