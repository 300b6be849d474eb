"""Cross-cutting call policies, run the same way for every transport.

A gRPC interceptor runs them today; an in-process bridge transport can call
`Pipeline.admit` directly with the same metadata and get the same result.
"""
