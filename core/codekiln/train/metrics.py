"""Step metrics from verdicts: pass, compile, syntax-error and timeout rates overall and per language, from
the one definition every evaluation uses (:mod:`codekiln.evaluation.metrics`).

Masked verdicts (a failure of ours) are left out of every rate: they say nothing about the model.

>>> from codekiln.verdict import Stage, StageResult, Verdict, VerdictStatus
>>> ok = Verdict(VerdictStatus.PASSED, "python", stages=(StageResult(Stage.COMPILE, True),))
>>> bad = Verdict(VerdictStatus.SYNTAX_ERROR, "python", stages=(StageResult(Stage.SYNTAX, False),))
>>> masked = Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)
>>> rates = verdict_rates([ok, bad, masked])
>>> rates["pass_rate/python"], rates["syntax_error_rate/python"], rates["masked_fraction"]
(0.5, 0.5, 0.3333333333333333)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ..evaluation.metrics import Outcome, outcome_rates
from ..verdict import Verdict

__all__ = ["mean", "verdict_rates"]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def verdict_rates(verdicts: Sequence[Verdict]) -> dict[str, float]:
    """``pass_rate``, ``compile_rate``, ``syntax_error_rate``, ``timeout_rate`` overall and per language
    (``pass_rate/python``), plus ``masked_fraction`` over all verdicts."""
    outcomes = [Outcome.from_verdict("", verdict) for verdict in verdicts]
    by_language: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if not outcome.masked:
            by_language[outcome.language].append(outcome)
    rates = outcome_rates(outcomes)
    for language, group in sorted(by_language.items()):
        rates.update({f"{name}/{language}": value for name, value in outcome_rates(group).items()
                      if name != "masked_fraction"})
    return rates
