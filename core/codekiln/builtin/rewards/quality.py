"""The ``quality`` reward: how readable the code is, measured on its tree-sitter tree.

Six metrics, each mapped to [0, 1] (formulas in ``docs/rewards/quality.md``); the reward is their weighted
mean, equal weights by default. A metric with nothing to measure (function length in code without
functions) is left out of the mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codekiln import hookimpl
from codekiln.code_profile import CodeAnalysis

from ._code import CodeReward

__all__ = ["METRICS", "QualityReward", "metric_scores"]

#: The metrics, in the order they are reported.
METRICS = ("complexity", "nesting", "function_length", "line_length", "naming", "documentation")


def _falling(value: float, good: float, bad: float) -> float:
    """1.0 up to ``good``, 0.0 from ``bad`` on, linear in between."""
    return min(1.0, max(0.0, (bad - value) / (bad - good)))


def metric_scores(analysis: CodeAnalysis) -> dict[str, float]:
    """Each metric's score in [0, 1]; metrics with nothing to measure are absent.

    >>> analysis = CodeAnalysis(complexity=10, nesting=4, longest_function=55, lines=8, long_lines=2,
    ...                         names=4, well_named=3, functions=2, documented=1, untyped=None)
    >>> metric_scores(analysis)
    {'complexity': 0.5, 'nesting': 0.6666666666666666, 'function_length': 0.5, 'line_length': 0.75, \
'naming': 0.75, 'documentation': 0.5}
    """
    scores = {
        "complexity": _falling(analysis.complexity, 5, 15),
        "nesting": _falling(analysis.nesting, 3, 6),
        "function_length": None if analysis.longest_function is None else _falling(analysis.longest_function, 30, 80),
        "line_length": 1.0 - analysis.long_lines / analysis.lines if analysis.lines else None,
        "naming": analysis.well_named / analysis.names if analysis.names else None,
        "documentation": analysis.documented / analysis.functions if analysis.functions else None,
    }
    return {metric: score for metric, score in scores.items() if score is not None}


class QualityReward(CodeReward):
    """Readability of the code in [0, 1]: the weighted mean of the metric scores (:func:`metric_scores`).

    Abstains on a masked verdict, a language whose backend has no code profile, and code that is empty
    or does not parse (its structure would be a guess). ``last_details`` holds each metric's score as
    ``quality/<metric>``.

    >>> from codekiln.plugins import make_plugins
    >>> from codekiln.problem import Problem
    >>> from codekiln.verdict import Verdict, VerdictStatus
    >>> code = "def twice(x):\\n    '''Double x.'''\\n    return 2 * x\\n"
    >>> reward = QualityReward()
    >>> reward.bind_plugins(make_plugins())
    >>> reward([code, "def ("], problems=[Problem("p", "")] * 2, languages=["python"] * 2, codes=[code, "def ("],
    ...        verdicts=[Verdict(VerdictStatus.PASSED, "python"), Verdict(VerdictStatus.SYNTAX_ERROR, "python")])
    [1.0, None]
    >>> reward.last_details[0]["quality/documentation"]
    1.0
    """

    name = "quality"

    def __init__(self, weights: Mapping[str, float] | None = None) -> None:
        weights = dict.fromkeys(METRICS, 1.0) if weights is None else dict(weights)
        unknown = sorted(set(weights) - set(METRICS))
        if unknown:
            raise ValueError(f"weights: unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
        for metric, weight in weights.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise ValueError(f"weights.{metric} must be a number >= 0, got {weight!r}")
        if not any(weights.values()):
            raise ValueError("weights: at least one metric needs a weight above 0")
        self.weights = {metric: float(weights.get(metric, 0.0)) for metric in METRICS}

    def __call__(self, completions: Sequence[str], **columns: Any) -> list[float | None]:
        values: list[float | None] = []
        self.last_details: list[dict[str, float]] = []
        for sample in self.samples(completions, columns):
            analyzer = None if sample.program is None else self.analyzer(sample.language)
            analysis = None if analyzer is None else analyzer.analyze(sample.program)
            scores = {} if analysis is None else metric_scores(analysis)
            counted = {m: s for m, s in scores.items() if self.weights[m] > 0}
            total_weight = sum(self.weights[m] for m in counted)
            if analyzer is not None and analysis is None:
                values.append(sample.unreadable())
            else:
                values.append(sum(self.weights[m] * s for m, s in counted.items()) / total_weight if counted else None)
            self.last_details.append({f"quality/{metric}": score for metric, score in scores.items()})
        return values


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(QualityReward)
