"""The grpc.aio server: interceptors, reflection, health and graceful drain."""
