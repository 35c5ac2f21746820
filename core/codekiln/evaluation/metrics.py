"""Metrics over judged samples: pass@k (the unbiased estimator), the verdict rates, mean scores, latency and
tokens, overall, per language and per difficulty.

Every evaluation reads :class:`Outcome` records: ``codekiln eval`` and ``codekiln ab`` build them from
verdicts and reward breakdowns, the trainer from its rollouts, ``ab --from-store`` from stored generations.
Masked samples (a failure of ours) are left out of every rate, pass@k and score and counted in
``masked_fraction`` only: they say nothing about the model.

>>> outcomes = [Outcome("p", "python", "passed", passed=True, compiled=True),
...             Outcome("p", "python", "syntax_error", passed=False, compiled=False, sample=1),
...             Outcome("p", "python", "infra_error", passed=False, compiled=False, masked=True, sample=2)]
>>> rates = outcome_rates(outcomes)
>>> rates["pass_rate"], rates["syntax_error_rate"], rates["masked_fraction"]
(0.5, 0.5, 0.3333333333333333)
>>> round(pass_at_k(n=4, c=1, k=2), 4)  # 1 - C(3,2)/C(4,2)
0.5
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ..verdict import RewardBreakdown, Stage, Verdict, VerdictStatus

__all__ = ["SCORES", "Outcome", "flatten", "group_metrics", "outcome_rates", "pass_at_k", "summarize",
           "verdict_compiled"]

#: The built-in rewards whose mean an evaluation reports (each abstains where it has nothing to say).
SCORES = ("quality", "efficiency", "security")


@attrs.frozen
class Outcome:
    """One judged sample: its task, what verification said, its scores, and what generating it cost."""

    #: The problem id (``ab --from-store``: the prompt's problem id, else a digest of the prompt).
    task: str
    language: str
    #: A :class:`~codekiln.verdict.VerdictStatus` value.
    status: str
    passed: bool
    compiled: bool
    masked: bool = False
    difficulty: int | None = None
    #: The sample's index among its task's samples: samples with the same index were drawn with the same seed.
    sample: int = 0
    #: ``quality``, ``efficiency``, ``security``: None where the reward abstained.
    scores: Mapping[str, float | None] = attrs.field(factory=dict)
    #: Seconds from asking the model to having this completion; None when not measured.
    latency_s: float | None = None
    #: Generated tokens; None when not known.
    tokens: int | None = None

    @classmethod
    def from_verdict(cls, task: str, verdict: Verdict, *, difficulty: int | None = None, sample: int = 0,
                     breakdown: RewardBreakdown | None = None, latency_s: float | None = None,
                     tokens: int | None = None) -> Outcome:
        scores = {} if breakdown is None else {name: breakdown.components.get(name) for name in SCORES
                                               if name in breakdown.components}
        return cls(task, verdict.language, verdict.status.value, verdict.passed, verdict_compiled(verdict),
                   verdict.masked, difficulty, sample, scores, latency_s, tokens)

    @property
    def key(self) -> tuple[str, str]:
        """The task in its language: what pass@k and paired comparisons group by."""
        return self.task, self.language

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def verdict_compiled(verdict: Verdict) -> bool:
    """Whether the code compiled; a language without a compile stage "compiles" when it got as far as running."""
    result = verdict.stage(Stage.COMPILE) or verdict.stage(Stage.RUN)
    return (result is not None and result.ok) or verdict.passed


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator of the Codex paper (Chen et al., 2021): ``1 - C(n-c, k) / C(n, k)``, the
    chance that at least one of ``k`` samples drawn without replacement from ``n``, ``c`` of them correct,
    is correct. Computed as a product, so large ``n`` does not overflow."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n; got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def outcome_rates(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """``pass_rate``, ``compile_rate``, ``syntax_error_rate`` and ``timeout_rate`` over the judged (unmasked)
    samples, when there are any, and ``masked_fraction`` over all of them."""
    judged = [o for o in outcomes if not o.masked]
    rates: dict[str, float] = {}
    if judged:
        total = len(judged)
        rates = {
            "pass_rate": sum(o.passed for o in judged) / total,
            "compile_rate": sum(o.compiled for o in judged) / total,
            "syntax_error_rate": sum(o.status == VerdictStatus.SYNTAX_ERROR.value for o in judged) / total,
            "timeout_rate": sum(o.status == VerdictStatus.TIMEOUT.value for o in judged) / total,
        }
    rates["masked_fraction"] = (len(outcomes) - len(judged)) / len(outcomes) if outcomes else 0.0
    return rates


def group_metrics(outcomes: Sequence[Outcome], ks: Sequence[int]) -> dict[str, float]:
    """One group's metrics: ``problems`` and ``samples``; ``pass@k`` for each k, averaged over the tasks with
    at least k judged samples; the rates of :func:`outcome_rates`; ``mean_<score>`` for each of
    :data:`SCORES` that has a value; ``mean_latency_s``, ``p95_latency_s`` and ``mean_tokens`` where measured."""
    by_task: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for outcome in outcomes:
        by_task.setdefault(outcome.key, [])
        if not outcome.masked:
            by_task[outcome.key].append(outcome.passed)
    metrics: dict[str, float] = {"problems": float(len(by_task)), "samples": float(len(outcomes))}
    for k in ks:
        values = [pass_at_k(len(r), sum(r), k) for r in by_task.values() if len(r) >= k]
        if values:
            metrics[f"pass@{k}"] = math.fsum(values) / len(values)
    metrics.update(outcome_rates(outcomes))
    judged = [o for o in outcomes if not o.masked]
    for name in SCORES:
        values = [v for o in judged if (v := o.scores.get(name)) is not None]
        if values:
            metrics[f"mean_{name}"] = math.fsum(values) / len(values)
    latencies = sorted(o.latency_s for o in outcomes if o.latency_s is not None)
    if latencies:
        metrics["mean_latency_s"] = math.fsum(latencies) / len(latencies)
        metrics["p95_latency_s"] = percentile(latencies, 95)
    tokens = [o.tokens for o in outcomes if o.tokens is not None]
    if tokens:
        metrics["mean_tokens"] = sum(tokens) / len(tokens)
    return metrics


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of sorted values, interpolating linearly between ranks (numpy's default).

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.5, 3.85)
    """
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(outcomes: Sequence[Outcome], ks: Sequence[int]) -> dict[str, Any]:
    """:func:`group_metrics` over everything (``overall``), per language (``languages``) and per difficulty
    (``difficulties``, keyed by the difficulty as text; ``unrated`` where a sample has none)."""
    def grouped(key: Callable[[Outcome], str]) -> dict[str, dict[str, float]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in outcomes:
            groups[key(outcome)].append(outcome)
        return {name: group_metrics(groups[name], ks) for name in sorted(groups)}

    return {"overall": group_metrics(outcomes, ks),
            "languages": grouped(lambda o: o.language),
            "difficulties": grouped(lambda o: "unrated" if o.difficulty is None else str(o.difficulty))}


def flatten(summary: Mapping[str, Any]) -> dict[str, float]:
    """A :func:`summarize` result as one flat mapping, the shape hooks and loggers take: ``pass@1``,
    ``pass@1/python``, ``pass@1/difficulty_2``.

    >>> flatten({"overall": {"pass@1": 0.5}, "languages": {"java": {"pass@1": 0.25}},
    ...          "difficulties": {"2": {"pass@1": 0.5}}})
    {'pass@1': 0.5, 'pass@1/java': 0.25, 'pass@1/difficulty_2': 0.5}
    """
    flat = dict(summary["overall"])
    for language, metrics in summary["languages"].items():
        flat.update({f"{name}/{language}": value for name, value in metrics.items()})
    for difficulty, metrics in summary["difficulties"].items():
        flat.update({f"{name}/difficulty_{difficulty}": value for name, value in metrics.items()})
    return flat
