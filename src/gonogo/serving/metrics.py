"""The server's Prometheus metrics: requests by route and status (REST's routes and HTTP
statuses; gRPC's as `grpc:<method>` and the status code's name), their latency, errors by
kind, rows predicted, and which version is served (a label set to 1, as `*_info` metrics are),
read from the data plane at each scrape so a swapped version shows at once."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from gonogo.serving.runtime import Runtime

# From a fast single-row answer to a large batch.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    """One server's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "gonogo_requests", "Requests by route and status.", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "gonogo_request_seconds", "Request latency.", ["route"], buckets=BUCKETS, registry=r
        )
        self.errors = Counter("gonogo_errors", "Errors by kind.", ["kind"], registry=r)
        self.rows = Counter("gonogo_predicted_rows", "Rows predicted.", registry=r)
        self.model = Gauge(
            "gonogo_model_info",
            "The version served.",
            ["model", "version", "role", "candidate", "engine"],
            registry=r,
        )

    def observe(self, route: str, status: str, seconds: float, error: str | None) -> None:
        self.requests.labels(route, status).inc()
        self.latency.labels(route).observe(seconds)
        if error is not None:
            self.errors.labels(error).inc()

    def exposition(self, rt: Runtime) -> bytes:
        """The text format, with the version `rt` as the one served."""
        self.model.clear()
        self.model.labels(rt.model, str(rt.version), rt.role, rt.candidate.name, rt.engine).set(1)
        return generate_latest(self.registry)
