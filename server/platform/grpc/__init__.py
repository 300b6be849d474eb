"""The grpc.aio server and the interceptor that runs the admission pipeline."""
