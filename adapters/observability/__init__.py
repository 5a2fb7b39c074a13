"""Observability: Prometheus metrics and the request ids stamped on every log line."""
