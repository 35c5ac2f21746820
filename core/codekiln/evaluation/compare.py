"""A/B comparison of two models' outcomes: per-problem results, the difference in pass@1 with a bootstrap
confidence interval, an exact test, quality and latency side by side, and one plain sentence.

Paired (:func:`compare_paired`): both arms answered the same problems, their i-th samples drawn with the same
seed. pass@1 per problem is the fraction of its judged samples that passed; the interval resamples problems
(so several samples of one problem stay together); the exact McNemar test counts the sample pairs on which
exactly one arm passed. Unpaired (:func:`compare_unpaired`): the arms answered different requests (online
traffic); pass@1 is each arm's fraction of passing samples, the interval resamples each arm on its own, and
the test is Fisher's exact test on the 2x2 table of passes and failures.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..errors import DataError
from .metrics import Outcome, group_metrics
from .stats import fisher_exact, mcnemar_exact, paired_bootstrap, unpaired_bootstrap

__all__ = ["Comparison", "compare_paired", "compare_store", "compare_unpaired", "ratings_by_model"]

#: Statuses of a verification that failed on our side: such a stored generation says nothing about its model.
MASKED_STATUSES = frozenset({"infra_error", "toolchain_missing"})
#: What the report puts side by side, when both arms measured it.
SIDE_BY_SIDE = ("pass_rate", "compile_rate", "mean_quality", "mean_efficiency", "mean_security", "mean_latency_s",
                "p95_latency_s", "mean_tokens")


@attrs.frozen
class Comparison:
    labels: tuple[str, str]
    #: "paired" or "unpaired", and why (shown in the report).
    method: str
    method_note: str
    alpha: float
    seed: int
    #: Per problem: task, language, passes and judged samples of each arm, pass@1 of each.
    problems: list[dict[str, Any]]
    pass1: tuple[float, float]
    #: pass@1 of A minus pass@1 of B, and its 1 - alpha bootstrap interval.
    difference: float
    interval: tuple[float, float]
    #: "exact McNemar" or "Fisher's exact", the counts it was computed from, and its two-sided p-value.
    test: str
    counts: dict[str, int]
    p_value: float
    side_by_side: dict[str, tuple[float | None, float | None]]
    #: Human ratings per model (mean readability and correctness, how many), when there are any.
    ratings: dict[str, dict[str, float]] = attrs.field(factory=dict)

    @property
    def test_favours(self) -> int:
        """Which arm the test's counts favour: 1 for A, -1 for B, 0 for neither. McNemar counts the sample pairs
        one arm alone passed, which can point against the per-problem difference when problems have different
        numbers of samples (or some were masked)."""
        if self.method == "paired":
            return (self.counts["a_only"] > self.counts["b_only"]) - (self.counts["a_only"] < self.counts["b_only"])
        return (self.difference > 0) - (self.difference < 0)

    @property
    def significant(self) -> bool:
        """The test rejects equality at ``alpha``, and favours the arm the difference in pass@1 favours."""
        return self.p_value < self.alpha and self.test_favours == (self.difference > 0) - (self.difference < 0) != 0

    @property
    def sentence(self) -> str:
        """Which model is better, or that the difference is not significant at ``alpha``."""
        (label_a, label_b), (pass_a, pass_b) = self.labels, self.pass1
        low, high = self.interval
        evidence = (f"pass@1 {pass_a:.3f} vs {pass_b:.3f}, difference {self.difference:+.3f} "
                    f"({1 - self.alpha:.0%} CI {low:+.3f} to {high:+.3f}), {self.test} p = {self.p_value:.4g}")
        if self.p_value < self.alpha and not self.significant:
            return (f"No consistent difference between {label_a} and {label_b}: the {self.test} test favours "
                    f"{label_a if self.test_favours > 0 else label_b}, the pass@1 difference does not ({evidence}; "
                    "problems with different numbers of samples weigh differently in the two).")
        if not self.significant:
            return f"No significant difference between {label_a} and {label_b} at alpha = {self.alpha:g} ({evidence})."
        better, worse = (label_a, label_b) if self.difference > 0 else (label_b, label_a)
        return f"{better} is better than {worse} (significant at alpha = {self.alpha:g}; {evidence})."

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data.update(significant=self.significant, sentence=self.sentence)
        return data


def compare_paired(a: Sequence[Outcome], b: Sequence[Outcome], *, labels: tuple[str, str] = ("A", "B"),
                   alpha: float = 0.05, seed: int = 0, method_note: str = "") -> Comparison:
    """Compare two arms on the tasks both answered (see the module docstring). A task whose samples were all
    masked in either arm is left out; DataError when no task is left."""
    by_a, by_b = _by_task(a), _by_task(b)
    rows, differences, pairs = [], [], {"a_only": 0, "b_only": 0, "both": 0, "neither": 0}
    for key in sorted(by_a.keys() & by_b.keys()):
        judged_a = {o.sample: o.passed for o in by_a[key] if not o.masked}
        judged_b = {o.sample: o.passed for o in by_b[key] if not o.masked}
        if not judged_a or not judged_b:
            continue
        rows.append(_problem_row(key, list(judged_a.values()), list(judged_b.values())))
        differences.append(rows[-1]["pass1_a"] - rows[-1]["pass1_b"])
        for sample in judged_a.keys() & judged_b.keys():
            pairs[{(True, False): "a_only", (False, True): "b_only", (True, True): "both",
                   (False, False): "neither"}[judged_a[sample], judged_b[sample]]] += 1
    if not rows:
        raise DataError(f"{labels[0]} and {labels[1]} have no task in common with judged samples in both; "
                        "compare outcomes on the same dataset and languages")
    pass_a = math.fsum(r["pass1_a"] for r in rows) / len(rows)
    pass_b = math.fsum(r["pass1_b"] for r in rows) / len(rows)
    compared = {(r["task"], r["language"]) for r in rows}
    note = method_note or (f"paired: {len(rows)} problem(s) answered by both, samples matched by seed; the "
                           "interval resamples problems")
    return Comparison(
        labels, "paired", note, alpha, seed, rows, (pass_a, pass_b), pass_a - pass_b,
        paired_bootstrap(differences, alpha=alpha, seed=seed), "exact McNemar", pairs,
        mcnemar_exact(pairs["a_only"], pairs["b_only"]),
        _side_by_side([o for o in a if o.key in compared], [o for o in b if o.key in compared]))


def compare_unpaired(a: Sequence[Outcome], b: Sequence[Outcome], *, labels: tuple[str, str] = ("A", "B"),
                     alpha: float = 0.05, seed: int = 0, method_note: str = "") -> Comparison:
    """Compare two arms that answered different requests (see the module docstring); DataError when an arm
    has no judged sample."""
    passes_a = [float(o.passed) for o in a if not o.masked]
    passes_b = [float(o.passed) for o in b if not o.masked]
    if not passes_a or not passes_b:
        empty = labels[0] if not passes_a else labels[1]
        raise DataError(f"{empty} has no judged outcome to compare")
    by_a, by_b = _by_task(a), _by_task(b)
    rows = [_problem_row(key, [o.passed for o in by_a.get(key, []) if not o.masked],
                         [o.passed for o in by_b.get(key, []) if not o.masked])
            for key in sorted(by_a.keys() | by_b.keys())]
    pass_a, pass_b = math.fsum(passes_a) / len(passes_a), math.fsum(passes_b) / len(passes_b)
    counts = {"a_pass": int(sum(passes_a)), "a_fail": len(passes_a) - int(sum(passes_a)),
              "b_pass": int(sum(passes_b)), "b_fail": len(passes_b) - int(sum(passes_b))}
    note = method_note or "unpaired: the arms answered different requests; the interval resamples each arm"
    return Comparison(
        labels, "unpaired", note, alpha, seed, rows, (pass_a, pass_b), pass_a - pass_b,
        unpaired_bootstrap(passes_a, passes_b, alpha=alpha, seed=seed), "Fisher's exact", counts,
        fisher_exact(counts["a_pass"], counts["a_fail"], counts["b_pass"], counts["b_fail"]), _side_by_side(a, b))


def _by_task(outcomes: Sequence[Outcome]) -> dict[tuple[str, str], list[Outcome]]:
    grouped: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        grouped[outcome.key].append(outcome)
    return grouped


def _problem_row(key: tuple[str, str], passes_a: Sequence[bool], passes_b: Sequence[bool]) -> dict[str, Any]:
    def pass1(passes: Sequence[bool]) -> float | None:
        return sum(passes) / len(passes) if passes else None

    return {"task": key[0], "language": key[1], "passed_a": sum(passes_a), "samples_a": len(passes_a),
            "passed_b": sum(passes_b), "samples_b": len(passes_b), "pass1_a": pass1(passes_a),
            "pass1_b": pass1(passes_b)}


def _side_by_side(a: Sequence[Outcome], b: Sequence[Outcome]) -> dict[str, tuple[float | None, float | None]]:
    metrics_a, metrics_b = group_metrics(a, [1]), group_metrics(b, [1])
    return {name: (metrics_a.get(name), metrics_b.get(name)) for name in SIDE_BY_SIDE
            if name in metrics_a or name in metrics_b}


def ratings_by_model(ratings: Sequence[Any], model_of: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Mean readability and correctness and the number of ratings per model, from ratings that each name a
    generation (``generation_id``) and the model that made each generation."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for rating in ratings:
        model = model_of.get(rating.generation_id)
        if model is not None:
            grouped[model].append(rating)
    return {model: {"ratings": float(len(rows)),
                    "readability": math.fsum(r.readability for r in rows) / len(rows),
                    "correctness": math.fsum(r.correctness for r in rows) / len(rows)}
            for model, rows in sorted(grouped.items())}


def compare_store(generations: Sequence[Any], ratings: Sequence[Any], *, alpha: float = 0.05,
                  seed: int = 0) -> Comparison:
    """Compare the online A/B arms ``a`` and ``b`` of stored generations (:class:`codekiln.serve.store.Generation`),
    with the human ratings of any stored generation per model.

    Paired by prompt (text and language) when at least half of the prompts reached both arms, on those
    prompts; unpaired otherwise. Unverified generations, failures of ours and fallback answers are left out."""
    arms: dict[str, list[Outcome]] = {"a": [], "b": []}
    models: dict[str, set[str]] = {"a": set(), "b": set()}
    seen: Counter[tuple[str, str, str]] = Counter()
    for g in sorted(generations, key=lambda g: g.created):
        if g.arm not in arms or not g.status:
            continue
        digest = hashlib.sha256(g.prompt.encode("utf-8")).hexdigest()[:8]
        task = f"{g.problem_id} ({digest})" if g.problem_id else f"prompt {digest}"
        arms[g.arm].append(Outcome(task, g.language, g.status, g.passed, g.compiled,
                                   masked=g.status in MASKED_STATUSES, sample=seen[g.arm, task, g.language],
                                   scores={"quality": g.quality}, latency_s=g.latency_s, tokens=g.tokens))
        seen[g.arm, task, g.language] += 1
        models[g.arm].add(g.model)
    for arm, outcomes in arms.items():
        if not any(not o.masked for o in outcomes):
            raise DataError(f"the store holds no verified generation of A/B arm '{arm}' (codekiln serve "
                            "--model-b splits traffic into arms a and b)")
    labels = (f"a ({', '.join(sorted(models['a']))})", f"b ({', '.join(sorted(models['b']))})")
    keys_a, keys_b = {o.key for o in arms["a"]}, {o.key for o in arms["b"]}
    both, every = keys_a & keys_b, keys_a | keys_b
    if 2 * len(both) >= len(every):
        note = (f"paired by prompt: {len(both)} of {len(every)} prompts reached both arms; a prompt's generations "
                "are matched in time order and the interval resamples prompts")
        comparison = compare_paired(arms["a"], arms["b"], labels=labels, alpha=alpha, seed=seed, method_note=note)
    else:
        note = (f"unpaired: only {len(both)} of {len(every)} prompts reached both arms (each client sticks to one "
                "arm); the interval resamples each arm on its own")
        comparison = compare_unpaired(arms["a"], arms["b"], labels=labels, alpha=alpha, seed=seed,
                                      method_note=note)
    model_of = {g.id: g.model for g in generations}
    return attrs.evolve(comparison, ratings=ratings_by_model(ratings, model_of))
