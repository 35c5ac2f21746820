"""The statistics of an A/B comparison: bootstrap confidence intervals, the exact McNemar test (paired
outcomes) and Fisher's exact test (unpaired outcomes).

Standard library only and seeded, so a report is the same on every machine for the same seed.

>>> mcnemar_exact(1, 8)  # 2 * (C(9,0) + C(9,1)) / 2**9
0.0390625
>>> round(fisher_exact(8, 2, 1, 5), 6)  # the tea-tasting style table [[8, 2], [1, 5]]
0.034965
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

__all__ = ["fisher_exact", "mcnemar_exact", "paired_bootstrap", "unpaired_bootstrap"]

#: Resamples of the bootstrap: the percentile interval's ends move by well under 0.01 between seeds.
RESAMPLES = 10_000
# Probabilities that differ by less than this relative amount count as equal in the two-sided exact tests
# (what R and SciPy do), so that ties in a symmetric distribution are not lost to rounding.
_RELATIVE_TIE = 1e-7


def mcnemar_exact(b: int, c: int) -> float:
    """The two-sided exact McNemar p-value for ``b`` pairs where only the first arm passed and ``c`` where only
    the second did: under no difference each discordant pair is a fair coin, so ``p = min(1, 2 P(X <=
    min(b, c)))`` with ``X ~ Binomial(b + c, 1/2)``; 1.0 without discordant pairs."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def fisher_exact(a_pass: int, a_fail: int, b_pass: int, b_fail: int) -> float:
    """The two-sided p-value of Fisher's exact test on the 2x2 table [[a_pass, a_fail], [b_pass, b_fail]]: the
    sum of the hypergeometric probabilities of every table with the same margins that is no more likely than
    the observed one."""
    if min(a_pass, a_fail, b_pass, b_fail) < 0:
        raise ValueError("the table's counts must be >= 0")
    a_total, b_total, passes = a_pass + a_fail, b_pass + b_fail, a_pass + b_pass
    denominator = math.comb(a_total + b_total, passes)

    def probability(x: int) -> float:
        return math.comb(a_total, x) * math.comb(b_total, passes - x) / denominator

    observed = probability(a_pass)
    tables = range(max(0, passes - b_total), min(passes, a_total) + 1)
    return min(1.0, math.fsum(p for x in tables if (p := probability(x)) <= observed * (1 + _RELATIVE_TIE)))


def paired_bootstrap(differences: Sequence[float], *, alpha: float, seed: int,
                     resamples: int = RESAMPLES) -> tuple[float, float]:
    """The ``1 - alpha`` percentile interval of the mean of per-item ``differences`` (one per problem: arm A's
    value minus arm B's), resampling items with replacement so each keeps its pair together."""
    if not differences:
        raise ValueError("the bootstrap needs at least one paired item")
    rng = random.Random(seed)
    size = len(differences)
    means = sorted(math.fsum(rng.choices(differences, k=size)) / size for _ in range(resamples))
    return _percentile_interval(means, alpha)


def unpaired_bootstrap(a: Sequence[float], b: Sequence[float], *, alpha: float, seed: int,
                       resamples: int = RESAMPLES) -> tuple[float, float]:
    """The ``1 - alpha`` percentile interval of ``mean(a) - mean(b)``, resampling each arm on its own."""
    if not a or not b:
        raise ValueError("the bootstrap needs at least one value in each arm")
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(a, k=len(a))) / len(a) - math.fsum(rng.choices(b, k=len(b))) / len(b)
                   for _ in range(resamples))
    return _percentile_interval(means, alpha)


def _percentile_interval(ordered: Sequence[float], alpha: float) -> tuple[float, float]:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    last = len(ordered) - 1
    return ordered[round(last * alpha / 2)], ordered[round(last * (1 - alpha / 2))]
