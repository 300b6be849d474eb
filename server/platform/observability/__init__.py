"""The operator's view: Prometheus metrics, probes, structured logs and traces."""
