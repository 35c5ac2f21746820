"""Pass-rate evaluation of the policy: generate for each task, verify, report rates per language.

With one sample per task at temperature 0 this is greedy pass@1; with ``samples`` > 1 (and a temperature)
it also reports the unbiased pass@k for k = 1 and k = ``samples``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..curricula import Task
from ..errors import ConfigError
from ..verifier import Verifier
from .completions import Generator
from .metrics import pass_at_k_by_language, verdict_rates
from .rollout import Rollout, SamplingSettings, generate_and_verify

__all__ = ["evaluate", "evaluation_metrics"]


def evaluate(tasks: Sequence[Task], prompts: Sequence[str], stops: Sequence[Sequence[str]], *,
             generator: Generator, verifier: Verifier, samples: int, temperature: float, max_new_tokens: int,
             seed: int) -> tuple[dict[str, float], list[list[Rollout]]]:
    if samples > 1 and temperature == 0:
        raise ConfigError("eval.samples > 1 needs eval.temperature > 0 (greedy samples would all be the same)")
    sampling = SamplingSettings(temperature=temperature, top_p=1.0, top_k=0, max_new_tokens=max_new_tokens)
    groups, _ = generate_and_verify(tasks, prompts, stops, generator=generator, verifier=verifier, n=samples,
                                    sampling=sampling, seed=seed)
    return evaluation_metrics(groups, samples), groups


def evaluation_metrics(groups: Sequence[Sequence[Rollout]], samples: int) -> dict[str, float]:
    """The rates over every verdict, pass@k for k = 1 and ``samples`` from each task's group, and the number
    of tasks. Data-parallel training calls it again on every rank's groups gathered together."""
    metrics = verdict_rates([r.verdict for group in groups for r in group])
    if samples > 1:
        passes = {(group[0].task.problem.id, group[0].task.language):
                  [r.verdict.passed for r in group if not r.verdict.masked] for group in groups}
        metrics.update(pass_at_k_by_language(passes, sorted({1, samples})))
    metrics["problems"] = float(len(groups))
    return metrics
