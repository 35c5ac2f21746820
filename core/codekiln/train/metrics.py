"""Metrics from verdicts: pass, compile, syntax-error and timeout rates per language, and pass@k.

Masked verdicts (a failure of ours) are left out of every rate: they say nothing about the model.

>>> from codekiln.verdict import Stage, StageResult, Verdict, VerdictStatus
>>> ok = Verdict(VerdictStatus.PASSED, "python", stages=(StageResult(Stage.COMPILE, True),))
>>> bad = Verdict(VerdictStatus.SYNTAX_ERROR, "python", stages=(StageResult(Stage.SYNTAX, False),))
>>> masked = Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)
>>> rates = verdict_rates([ok, bad, masked])
>>> rates["pass_rate/python"], rates["syntax_error_rate/python"], rates["masked_fraction"]
(0.5, 0.5, 0.3333333333333333)
>>> round(pass_at_k(n=4, c=1, k=2), 4)  # 1 - C(3,2)/C(4,2)
0.5
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from ..verdict import Stage, Verdict, VerdictStatus

__all__ = ["mean", "pass_at_k", "verdict_rates"]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def verdict_rates(verdicts: Sequence[Verdict]) -> dict[str, float]:
    """``pass_rate``, ``compile_rate``, ``syntax_error_rate``, ``timeout_rate`` overall and per language
    (``pass_rate/python``), plus ``masked_fraction`` over all verdicts."""
    by_language: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        if not verdict.masked:
            by_language[verdict.language].append(verdict)
    judged = [v for group in by_language.values() for v in group]
    rates = _rates(judged, "")
    for language, group in sorted(by_language.items()):
        rates.update(_rates(group, f"/{language}"))
    rates["masked_fraction"] = (len(verdicts) - len(judged)) / len(verdicts) if verdicts else 0.0
    return rates


def _rates(verdicts: Sequence[Verdict], suffix: str) -> dict[str, float]:
    if not verdicts:
        return {}
    total = len(verdicts)
    return {
        f"pass_rate{suffix}": sum(v.passed for v in verdicts) / total,
        f"compile_rate{suffix}": sum(_compiled(v) for v in verdicts) / total,
        f"syntax_error_rate{suffix}": sum(v.status is VerdictStatus.SYNTAX_ERROR for v in verdicts) / total,
        f"timeout_rate{suffix}": sum(v.status is VerdictStatus.TIMEOUT for v in verdicts) / total,
    }


def _compiled(verdict: Verdict) -> bool:
    # A language without a compile stage "compiles" when it got as far as running.
    result = verdict.stage(Stage.COMPILE) or verdict.stage(Stage.RUN)
    return (result is not None and result.ok) or verdict.passed


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator of the Codex paper: 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def pass_at_k_by_language(passes: Mapping[tuple[str, str], list[bool]], ks: Sequence[int]) -> dict[str, float]:
    """``pass@k`` and ``pass@k/<language>`` averaged over problems, from each (problem, language)'s samples."""
    out: dict[str, float] = {}
    for k in ks:
        per_language: dict[str, list[float]] = defaultdict(list)
        for (_, language), results in passes.items():
            if len(results) >= k:
                per_language[language].append(pass_at_k(len(results), sum(results), k))
        every = [value for values in per_language.values() for value in values]
        if every:
            out[f"pass@{k}"] = mean(every)
            for language, values in sorted(per_language.items()):
                out[f"pass@{k}/{language}"] = mean(values)
    return out
