"""pass@k, the rates, the grouping and the A/B statistics against hand computation."""

from __future__ import annotations

from math import comb
from pathlib import Path

import pytest

from codekiln.errors import DataError
from codekiln.evaluation.compare import compare_paired, compare_unpaired
from codekiln.evaluation.metrics import Outcome, flatten, pass_at_k, summarize
from codekiln.evaluation.stats import fisher_exact, mcnemar_exact, paired_bootstrap, unpaired_bootstrap

DOCS = Path(__file__).resolve().parents[2] / "docs"


def outcome(task: str, passed: bool, *, sample: int = 0, language: str = "python", difficulty: int = 1,
            status: str | None = None, masked: bool = False, **fields) -> Outcome:
    status = status or ("passed" if passed else "wrong_answer")
    return Outcome(task, language, status, passed, compiled=status not in ("syntax_error", "compile_error"),
                   masked=masked, difficulty=difficulty, sample=sample, **fields)


def test_pass_at_k_by_hand_for_n5_c2():
    # 1 - C(3, k) / C(5, k): k=1: 1 - 3/5; k=2: 1 - 3/10; k=3: 1 - 1/10; k >= 4: C(3, k) = 0.
    assert [pass_at_k(5, 2, k) for k in range(1, 6)] == pytest.approx([0.4, 0.7, 0.9, 1.0, 1.0])
    assert pass_at_k(5, 0, 5) == 0.0 and pass_at_k(200, 3, 100) == pytest.approx(1 - comb(197, 100) / comb(200, 100))
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(2, 1, 3)


def test_summary_groups_by_language_and_difficulty_and_leaves_masked_out():
    outcomes = [
        *(outcome("a", passed, sample=i) for i, passed in enumerate([True, True, False, False, False])),
        *(outcome("b", passed, sample=i, difficulty=3, latency_s=0.1 * (i + 1), tokens=10 * (i + 1))
          for i, passed in enumerate([True, True, True, True, False])),
        outcome("a", False, sample=0, language="java", status="syntax_error", scores={"quality": None}),
        outcome("a", False, sample=1, language="java", status="infra_error", masked=True, scores={"quality": 0.2}),
        outcome("a", True, sample=2, language="java", scores={"quality": 0.5, "security": 1.0}),
    ]
    summary = summarize(outcomes, [1, 2])
    python = summary["languages"]["python"]
    # a: c=2 of 5; b: c=4 of 5 -> pass@1 (0.4 + 0.8) / 2, pass@2 (0.7 + 1) / 2.
    assert python["pass@1"] == pytest.approx(0.6) and python["pass@2"] == pytest.approx(0.85)
    assert summary["difficulties"]["3"]["pass@2"] == 1.0 and summary["difficulties"]["3"]["problems"] == 1
    assert summary["difficulties"]["3"]["mean_latency_s"] == pytest.approx(0.3)
    assert summary["difficulties"]["3"]["p95_latency_s"] == pytest.approx(0.48)  # 0.4 + 0.8 * (0.5 - 0.4)
    assert summary["difficulties"]["3"]["mean_tokens"] == 30
    java = summary["languages"]["java"]
    # The masked sample leaves the rates, pass@k and the scores: 1 of the 2 judged passed (n=2, c=1, so
    # pass@2 = 1 - C(1,2)/C(2,2) = 1).
    assert java["pass@1"] == 0.5 and java["pass@2"] == 1.0 and java["pass_rate"] == 0.5
    assert java["syntax_error_rate"] == 0.5 and java["masked_fraction"] == pytest.approx(1 / 3)
    assert java["mean_quality"] == 0.5 and java["mean_security"] == 1.0 and "mean_efficiency" not in java
    assert summary["overall"]["problems"] == 3 and summary["overall"]["samples"] == 13
    flat = flatten(summary)
    assert flat["pass@2/java"] == 1.0 and flat["pass@1/difficulty_3"] == pytest.approx(0.8)
    assert flat["pass@1"] == pytest.approx((0.4 + 0.8 + 0.5) / 3)


def test_mcnemar_exact_by_hand():
    # b=1, c=8: 2 * (C(9,0) + C(9,1)) / 2^9 = 2 * 10 / 512.
    assert mcnemar_exact(1, 8) == 0.0390625 == mcnemar_exact(8, 1)
    assert mcnemar_exact(0, 5) == 2 / 32
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0


def test_fisher_exact_by_hand():
    # Margins 4/4 and 4/4: P(x) = C(4,x) C(4,4-x) / C(8,4) = 1, 16, 36, 16, 1 over 70; observed x=3 (16/70):
    # the tables no likelier than it are x = 0, 1, 3, 4.
    assert fisher_exact(3, 1, 1, 3) == pytest.approx(34 / 70)
    assert fisher_exact(4, 0, 0, 4) == pytest.approx(2 / 70)
    assert fisher_exact(2, 2, 2, 2) == pytest.approx(1.0)


def test_bootstraps_are_seeded_and_bracket_the_mean():
    differences = [1.0, 0.0, 1.0, -1.0, 0.0, 1.0, 0.5, 0.0]
    low, high = paired_bootstrap(differences, alpha=0.05, seed=3)
    assert (low, high) == paired_bootstrap(differences, alpha=0.05, seed=3)
    assert low < sum(differences) / len(differences) < high and low >= -1 and high <= 1
    narrow = paired_bootstrap(differences, alpha=0.5, seed=3)
    assert low <= narrow[0] <= narrow[1] <= high
    assert paired_bootstrap([0.25] * 5, alpha=0.05, seed=0) == (0.25, 0.25)
    assert unpaired_bootstrap([1.0] * 4, [0.0] * 6, alpha=0.05, seed=0) == (1.0, 1.0)


def test_paired_comparison_counts_discordant_pairs_and_says_which_is_better():
    # 12 problems: both pass 2, only A 1, only B 8, neither 1 (McNemar b=1, c=8).
    pattern = [(True, True)] * 2 + [(True, False)] + [(False, True)] * 8 + [(False, False)]
    a = [outcome(f"p{i}", pa, latency_s=1.0) for i, (pa, _) in enumerate(pattern)]
    b = [outcome(f"p{i}", pb, latency_s=3.0) for i, (_, pb) in enumerate(pattern)]
    comparison = compare_paired(a, b, labels=("old.jsonl", "new.jsonl"), alpha=0.05, seed=0)
    assert comparison.counts == {"a_only": 1, "b_only": 8, "both": 2, "neither": 1}
    assert comparison.p_value == 0.0390625 and comparison.significant
    assert comparison.pass1 == (3 / 12, 10 / 12) and comparison.difference == pytest.approx(-7 / 12)
    assert comparison.interval[0] < comparison.difference < comparison.interval[1] < 0
    assert comparison.sentence.startswith("new.jsonl is better than old.jsonl (significant at alpha = 0.05; ")
    # docs/ab.md shows this very report (the interval is seeded).
    assert f"**{comparison.sentence}**" in (DOCS / "ab.md").read_text()
    assert comparison.side_by_side["mean_latency_s"] == (1.0, 3.0)
    strict = compare_paired(a, b, labels=("old.jsonl", "new.jsonl"), alpha=0.01, seed=0)
    assert strict.sentence.startswith("No significant difference between old.jsonl and new.jsonl at alpha = 0.01")


def test_a_test_and_a_difference_that_point_different_ways_name_no_winner():
    """Five problems of one sample each that B alone passes, and one of twenty samples that A alone passes:
    McNemar (20 pairs against 5) favours A, the per-problem pass@1 difference (1/6 against 5/6) favours B. No arm
    may be called better."""
    a = [outcome(f"p{i}", False) for i in range(5)] + [outcome("p5", True, sample=j) for j in range(20)]
    b = [outcome(f"p{i}", True) for i in range(5)] + [outcome("p5", False, sample=j) for j in range(20)]
    comparison = compare_paired(a, b, labels=("a.jsonl", "b.jsonl"), alpha=0.05, seed=0)
    assert comparison.counts["a_only"] == 20 and comparison.counts["b_only"] == 5 and comparison.p_value < 0.05
    assert comparison.difference == pytest.approx(1 / 6 - 5 / 6)
    assert not comparison.significant and comparison.test_favours == 1
    assert comparison.sentence.startswith("No consistent difference between a.jsonl and b.jsonl: the exact McNemar "
                                          "test favours a.jsonl, the pass@1 difference does not")
    assert comparison.to_json()["significant"] is False


def test_paired_comparison_needs_a_common_task():
    with pytest.raises(DataError, match="no task in common"):
        compare_paired([outcome("x", True)], [outcome("y", True)])


def test_unpaired_comparison_uses_fisher():
    a = [outcome(f"a{i}", i < 3) for i in range(4)]
    b = [outcome(f"b{i}", i < 1) for i in range(4)]
    comparison = compare_unpaired(a, b)
    assert comparison.test == "Fisher's exact" and comparison.p_value == pytest.approx(34 / 70)
    assert comparison.counts == {"a_pass": 3, "a_fail": 1, "b_pass": 1, "b_fail": 3}
    assert comparison.pass1 == (0.75, 0.25) and not comparison.significant
