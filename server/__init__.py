"""Chorus server: grpc.aio services, domain logic, storage and model providers."""
