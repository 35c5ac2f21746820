"""The services' Prometheus metrics, each service in a registry of its own (so two services
in one process, as in tests, count apart)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, generate_latest

__all__ = ["OUTCOMES", "GenerationMetrics", "ServiceMetrics"]

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


# Generating takes tens of milliseconds (a few tokens of a tiny model) to minutes (long answers, many tries).
_GENERATION_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
#: The outcomes of a generation request in ``codekiln_generations_total``.
OUTCOMES = ("met", "not_met", "refused", "unverified", "error")


class GenerationMetrics:
    """``codekiln serve``'s metrics, by model, language and arm (``a``/``b`` in an A/B test, ``fallback``,
    or ``""``). Rates are ratios of counters: the success rate is ``outcome="met"`` over all outcomes, the
    compile rate ``codekiln_generation_compiled_total`` over the verified outcomes (met, not_met, refused),
    the average quality ``codekiln_generation_quality_sum / _count``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["model", "language", "arm"]
        self.generations = Counter("codekiln_generations", "Generation requests answered or failed, by outcome: "
                                   + ", ".join(OUTCOMES) + ".", [*labels, "outcome"], registry=self.registry)
        self.compiled = Counter("codekiln_generation_compiled", "Verified generations whose code compiled.",
                                labels, registry=self.registry)
        self.quality = Summary("codekiln_generation_quality", "Quality score of the returned code (0-1).",
                               labels, registry=self.registry)
        self.seconds = Histogram("codekiln_generation_seconds", "Time to answer a generation request.",
                                 labels, buckets=_GENERATION_SECONDS, registry=self.registry)
        self.model_failures = Counter("codekiln_model_failures", "Model calls that raised or timed out, by kind.",
                                      ["model", "kind"], registry=self.registry)
        self.queue_depth = Gauge("codekiln_generation_queue_depth", "Generation requests admitted and not done.",
                                 registry=self.registry)
        self.rejected = Counter("codekiln_rejected_requests", "Requests refused before generation, by reason.",
                                ["reason"], registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
