"""chittyos.id.v1.IdService: the ChittyID service over the ChittyID domain."""

from __future__ import annotations

import grpc
from chorus_contracts.chittyos.id.v1 import id_pb2, id_pb2_grpc

from server.platform.admission.call import current_tenant_id
from server.platform.struct_values import dict_to_struct, struct_to_dict
from server.platform.times import rfc3339_ms
from server.surfaces.chittyos.id.chitty_ids import FORMAT, INVALID_FORMAT, ChittyIdService

SERVICE_NAME = "chitty-id"
VERSION = "2.1.0"


class ChittyIdServicer(id_pb2_grpc.IdServiceServicer):
    def __init__(self, ids: ChittyIdService) -> None:
        self._ids = ids

    async def GetHealth(
        self, request: id_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> id_pb2.GetHealthResponse:
        return id_pb2.GetHealthResponse(service=SERVICE_NAME, status="healthy", mode=self._ids.mode, version=VERSION)

    async def GenerateChittyId(
        self, request: id_pb2.GenerateChittyIdRequest, context: grpc.aio.ServicerContext
    ) -> id_pb2.GenerateChittyIdResponse:
        issued = await self._ids.generate(
            current_tenant_id(), struct_to_dict(request.metadata), struct_to_dict(request.session_context)
        )
        record = issued.record
        return id_pb2.GenerateChittyIdResponse(
            chitty_id=record.chitty_id,
            source=record.source,
            pipeline=issued.pipeline,
            note=issued.note,
            metadata=dict_to_struct(record.metadata),
            created=rfc3339_ms(record.created_ms),
        )

    async def ValidateChittyId(
        self, request: id_pb2.ValidateChittyIdRequest, context: grpc.aio.ServicerContext
    ) -> id_pb2.ValidateChittyIdResponse:
        verdict = await self._ids.validate(current_tenant_id(), request.chitty_id)
        if not verdict.valid:
            return id_pb2.ValidateChittyIdResponse(valid=False, error=INVALID_FORMAT)
        return id_pb2.ValidateChittyIdResponse(
            valid=True, chitty_id=request.chitty_id, has_metadata=verdict.has_metadata, format=FORMAT
        )

    async def GetChittyIdMetadata(
        self, request: id_pb2.GetChittyIdMetadataRequest, context: grpc.aio.ServicerContext
    ) -> id_pb2.GetChittyIdMetadataResponse:
        record = await self._ids.metadata(current_tenant_id(), request.chitty_id)
        return id_pb2.GetChittyIdMetadataResponse(
            metadata=dict_to_struct(record.metadata),
            session_context=dict_to_struct(record.session_context),
            created=rfc3339_ms(record.created_ms),
            source=record.source,
        )
