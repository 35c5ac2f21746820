"""Evaluation of the policy: generate for each task, verify, and compute the metrics ``codekiln eval`` reports
(:mod:`codekiln.evaluation.metrics`), overall, per language and per difficulty.

With one sample per task at temperature 0 this is greedy pass@1; with ``samples`` > 1 (and a temperature)
it also reports the unbiased pass@k for k = ``samples``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..curricula import Task
from ..errors import ConfigError
from ..evaluation.metrics import Outcome, flatten, summarize
from ..verdict import RewardBreakdown
from ..verifier import Verifier
from .completions import Generator
from .rollout import Rollout, SamplingSettings, generate_and_verify

__all__ = ["evaluate", "evaluation_metrics", "rollout_outcomes"]


def evaluate(tasks: Sequence[Task], prompts: Sequence[str], stops: Sequence[Sequence[str]], *,
             generator: Generator, verifier: Verifier, samples: int, temperature: float, max_new_tokens: int,
             seed: int, chunks: int = 2) -> tuple[dict[str, float], list[list[Rollout]]]:
    """``samples`` completions per task, verified; ``chunks`` as in
    :func:`~codekiln.train.rollout.generate_and_verify`."""
    if samples > 1 and temperature == 0:
        raise ConfigError("eval.samples > 1 needs eval.temperature > 0 (greedy samples would all be the same)")
    sampling = SamplingSettings(temperature=temperature, top_p=1.0, top_k=0, max_new_tokens=max_new_tokens)
    groups, _ = generate_and_verify(tasks, prompts, stops, generator=generator, verifier=verifier, n=samples,
                                    sampling=sampling, seed=seed, chunks=chunks)
    return evaluation_metrics(groups, samples), groups


def evaluation_metrics(groups: Sequence[Sequence[Rollout]], samples: int) -> dict[str, float]:
    """The metrics of :func:`codekiln.evaluation.metrics.summarize` as one flat mapping (``pass_rate``,
    ``pass@1/python``, ``compile_rate/difficulty_2``, ``problems``), pass@k for k = 1 and ``samples``.
    Data-parallel training calls it again on every rank's groups gathered together."""
    return flatten(summarize(rollout_outcomes(groups), sorted({1, samples})))


def rollout_outcomes(groups: Sequence[Sequence[Rollout]], *,
                     breakdowns: Mapping[tuple[int, int], RewardBreakdown] | None = None,
                     latencies: Sequence[float] | None = None) -> list[Outcome]:
    """One :class:`Outcome` per rollout, in order; ``breakdowns`` by (group, sample) index gives the scores,
    ``latencies`` (one per group) the seconds its generation took."""
    return [Outcome.from_verdict(r.task.problem.id, r.verdict, difficulty=r.task.problem.difficulty, sample=j,
                                 breakdown=(breakdowns or {}).get((i, j)), tokens=len(r.completion.token_ids),
                                 latency_s=None if latencies is None else latencies[i])
            for i, group in enumerate(groups) for j, r in enumerate(group)]
