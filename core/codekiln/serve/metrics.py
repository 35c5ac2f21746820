"""The verification service's Prometheus metrics, in a registry of its own (one per service, so two services
in one process, as in tests, count apart)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ServiceMetrics"]

# Verification of one sample takes milliseconds (a warm Python worker) to the sandbox's wall limit.
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.verdicts = Counter("codekiln_verdicts", "Verdicts returned, by status and language.",
                                ["status", "language"], registry=self.registry)
        self.request_seconds = Histogram("codekiln_request_seconds", "Time to answer a verification request.",
                                         ["endpoint"], buckets=_SECONDS, registry=self.registry)
        self.sample_seconds = Histogram("codekiln_sample_seconds",
                                        "Time the verifier's stages took for one sample, by language.",
                                        ["language"], buckets=_SECONDS, registry=self.registry)
        self.queue_depth = Gauge("codekiln_queue_depth", "Samples admitted and not yet verified.",
                                 registry=self.registry)
        self.rejected = Counter("codekiln_rejected_requests", "Requests refused before verification, by reason.",
                                ["reason"], registry=self.registry)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
