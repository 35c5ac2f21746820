"""What an evaluation or a comparison leaves for people and programs: markdown, JSON and PNG charts.

``codekiln eval --out DIR`` writes ``summary.json`` (the facts and the metrics overall, per language and per
difficulty), ``outcomes.jsonl`` (one row per sample), ``report.md``, ``pass_at_k.png`` and ``rates.png``;
``codekiln ab --out DIR`` writes ``comparison.json``, ``report.md`` and ``ab.png``. Charts use matplotlib's
object API on the Agg canvas (no display, no global backend switch).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..train.report import _table as markdown_table
from .compare import Comparison
from .metrics import SCORES, Outcome

__all__ = ["ab_markdown", "eval_markdown", "write_ab", "write_eval"]

#: The columns of the evaluation tables after pass@k, in order; a column no group has is left out.
_EVAL_COLUMNS = ("pass_rate", "compile_rate", "syntax_error_rate", "timeout_rate", "masked_fraction",
                 *(f"mean_{name}" for name in SCORES), "mean_latency_s", "p95_latency_s", "mean_tokens")
_PERCENT = ("pass@", "pass_rate", "compile_rate", "syntax_error_rate", "timeout_rate", "masked_fraction")


def _format(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    if name.startswith(_PERCENT):
        return f"{100 * value:.1f}%"
    if name in ("problems", "samples"):
        return str(int(value))
    return f"{value:.3g}"


def _metric_table(groups: Mapping[str, Mapping[str, float]], first: str) -> list[str]:
    present = {name for metrics in groups.values() for name in metrics}
    passes = sorted((name for name in present if name.startswith("pass@")), key=lambda name: int(name[5:]))
    columns = ["problems", "samples", *passes, *(name for name in _EVAL_COLUMNS if name in present)]
    rows = [[group, *(_format(name, metrics.get(name)) for name in columns)] for group, metrics in groups.items()]
    return markdown_table([first, *columns], rows)


def eval_markdown(summary: Mapping[str, Any]) -> str:
    """The evaluation as markdown: its facts, then the metrics overall, per language and per difficulty."""
    lines = ["# codekiln evaluation", "", *markdown_table(["", ""], list(summary["facts"].items())), "",
             "## Overall", "", *_metric_table({"all": summary["overall"]}, ""), "",
             "## Per language", "", *_metric_table(summary["languages"], "language"), "",
             "## Per difficulty", "", *_metric_table(summary["difficulties"], "difficulty"), "",
             "pass@k is the unbiased estimator of Chen et al. (2021), averaged over the tasks with at least k "
             "judged samples. Masked samples (a failure of the verifier, not the model) count only in "
             "masked_fraction. Scores are the means of the quality, efficiency and security rewards where "
             "they did not abstain; latency is the wall time of generating a task's samples."]
    return "\n".join(lines) + "\n"


def write_eval(out: Path, summary: Mapping[str, Any], outcomes: Sequence[Outcome]) -> Path:
    """Write the evaluation's files into ``out``; returns the report's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    with open(out / "outcomes.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(outcome.to_json()) + "\n" for outcome in outcomes)
    _eval_charts(summary, out)
    report = out / "report.md"
    report.write_text(eval_markdown(summary) + "\n![pass@k](pass_at_k.png)\n\n![rates and scores](rates.png)\n",
                      encoding="utf-8")
    return report


def _figure(panels: int, width: float = 8) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, 3.2 * panels), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(panels, 1, squeeze=False)[:, 0]


def _bars(axes: Any, groups: Mapping[str, Mapping[str, float]], names: Sequence[str], title: str) -> None:
    """Grouped bars: one group per entry of ``groups``, one bar per metric name it has."""
    names = [name for name in names if any(name in metrics for metrics in groups.values())]
    width = 0.8 / max(1, len(names))
    for index, name in enumerate(names):
        positions = [g + (index - (len(names) - 1) / 2) * width for g in range(len(groups))]
        axes.bar(positions, [metrics.get(name, 0.0) for metrics in groups.values()], width, label=name)
    axes.set_xticks(range(len(groups)), list(groups))
    axes.set_title(title)
    axes.set_ylim(0, 1.05)
    axes.grid(axis="y", alpha=0.3)
    if names:
        axes.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))  # beside, never over, a bar


def _eval_charts(summary: Mapping[str, Any], out: Path) -> None:
    passes = sorted((name for name in summary["overall"] if name.startswith("pass@")), key=lambda name: int(name[5:]))
    figure, (by_language, by_difficulty) = _figure(2)
    _bars(by_language, summary["languages"], passes, "pass@k per language")
    _bars(by_difficulty, {f"difficulty {d}": m for d, m in summary["difficulties"].items()}, passes,
          "pass@k per difficulty")
    figure.savefig(out / "pass_at_k.png", dpi=100)
    figure, (rates,) = _figure(1, width=10)
    _bars(rates, summary["languages"], ["compile_rate", "syntax_error_rate", "timeout_rate", "masked_fraction",
                                        *(f"mean_{name}" for name in SCORES)], "rates and mean scores per language")
    figure.savefig(out / "rates.png", dpi=100)


# ---------------------------------------------------------------------------------------------------------
# A/B
# ---------------------------------------------------------------------------------------------------------


def ab_markdown(comparison: Comparison) -> str:
    """The comparison as markdown: the sentence, the method, the result, side by side, ratings, per problem."""
    label_a, label_b = comparison.labels
    low, high = comparison.interval
    counts = ", ".join(f"{name} {count}" for name, count in comparison.counts.items())
    lines = [
        "# codekiln A/B comparison", "", f"**{comparison.sentence}**", "", f"Method: {comparison.method_note}.",
        "", "## Result", "",
        *markdown_table(["", f"A: {label_a}", f"B: {label_b}"],
                        [["pass@1", *(f"{100 * value:.1f}%" for value in comparison.pass1)]]), "",
        f"- difference in pass@1 (A - B): {comparison.difference:+.4f}, {1 - comparison.alpha:.0%} bootstrap "
        f"interval {low:+.4f} to {high:+.4f} (seed {comparison.seed})",
        f"- {comparison.test} test: p = {comparison.p_value:.6g} ({counts})", "",
        "## Side by side", "",
        *markdown_table(["metric", "A", "B"], [[name, _format(name, a), _format(name, b)]
                                               for name, (a, b) in comparison.side_by_side.items()]), "",
    ]
    if comparison.ratings:
        lines += ["## Human ratings", "",
                  *markdown_table(["model", "ratings", "readability", "correctness"],
                                  [[model, int(r["ratings"]), f"{r['readability']:.2f}", f"{r['correctness']:.2f}"]
                                   for model, r in comparison.ratings.items()]), ""]
    lines += ["## Per problem", "",
              *markdown_table(["task", "language", "A passed", "B passed"],
                              [[row["task"], row["language"], f"{row['passed_a']}/{row['samples_a']}",
                                f"{row['passed_b']}/{row['samples_b']}"] for row in comparison.problems])]
    return "\n".join(lines) + "\n"


def write_ab(out: Path, comparison: Comparison) -> Path:
    """Write ``comparison.json``, ``ab.png`` and ``report.md`` into ``out``; returns the report's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.json").write_text(json.dumps(comparison.to_json(), indent=2) + "\n", encoding="utf-8")
    _ab_chart(comparison, out / "ab.png")
    report = out / "report.md"
    report.write_text(ab_markdown(comparison) + "\n![A/B](ab.png)\n", encoding="utf-8")
    return report


def _ab_chart(comparison: Comparison, path: Path) -> None:
    label_a, label_b = comparison.labels
    figure, (result, side) = _figure(2)
    error = [[comparison.difference - comparison.interval[0]], [comparison.interval[1] - comparison.difference]]
    result.bar([0, 1], comparison.pass1, color=["tab:blue", "tab:orange"])
    result.errorbar([2], [comparison.difference], yerr=error, fmt="o", color="black", capsize=6)
    result.axhline(0, color="grey", linewidth=0.8)
    result.set_xticks([0, 1, 2], [f"A: {label_a}", f"B: {label_b}", "A - B"])
    result.set_title(f"pass@1 and its difference ({1 - comparison.alpha:.0%} CI); {comparison.test} "
                     f"p = {comparison.p_value:.3g}")
    result.grid(axis="y", alpha=0.3)
    fractions = {name: values for name, values in comparison.side_by_side.items()
                 if name.startswith(("pass_rate", "compile_rate", "mean_")) and "latency" not in name
                 and name != "mean_tokens"}
    _bars(side, {"A": {n: v[0] for n, v in fractions.items() if v[0] is not None},
                 "B": {n: v[1] for n, v in fractions.items() if v[1] is not None}}, list(fractions),
          "side by side")
    figure.savefig(path, dpi=100)
