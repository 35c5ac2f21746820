"""What a training run leaves for a person to read: ``plot.png`` (reward, pass rate per language and, when it
was computed, KL over the GRPO steps) and ``summary.md`` (pass rates per evaluation, whether the reward rose,
where the time went, and the run's facts).

Both read the step metrics as logged (one mapping per step, keys such as ``reward/total``,
``pass_rate/python``, ``kl``, ``time/verify``; a key may be missing from some rows).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["reward_trend", "write_plot", "write_summary"]

PLOT_NAME = "plot.png"
# The panels of the plot: title, y label, which metrics go in it, and whether the panel is drawn (saying "not
# logged") when none of them was. KL is logged only when it is computed (grpo.kl_coef > 0).
_PANELS = (
    ("Reward", "reward", lambda key: key.startswith("reward/"), True),
    ("Pass rate per language", "pass rate", lambda key: key.startswith("pass_rate/"), True),
    ("KL to the reference", "k3 KL", lambda key: key == "kl", False),
)
#: The x axis: the GRPO step counter (the trainer's global step also counts SFT steps), else ``step``.
_X_KEYS = ("grpo/step", "step")


def _value(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if isinstance(value, numbers.Real) and not math.isnan(value):
        return float(value)
    return None


def write_plot(metrics_rows: Sequence[Mapping[str, float]], path: Path) -> Path | None:
    """Draw the reward, pass-rate and (when logged) KL panels against the GRPO step into the PNG ``path``.

    Returns ``path``, or None (and writes nothing) when there are no rows. The reward and pass-rate panels
    say "not logged" rather than disappearing; the KL panel is drawn only when KL was computed.
    """
    x_key = next((key for key in _X_KEYS if any(key in row for row in metrics_rows)), None)
    rows = [row for row in metrics_rows if x_key is not None and x_key in row]
    if not rows:
        return None
    # The object API with the Agg canvas: no pyplot, no global backend switch in the caller's process.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # The total first and thicker than its components.
    keys = sorted({key for row in rows for key in row}, key=lambda key: (key != "reward/total", key))
    panels = [(title, ylabel, wanted) for title, ylabel, wanted, always in _PANELS
              if always or any(_value(row, key) is not None for row in rows for key in filter(wanted, keys))]
    figure = Figure(figsize=(7, 3 * len(panels)), layout="constrained")
    FigureCanvasAgg(figure)
    for axes, (title, ylabel, wanted) in zip(figure.subplots(len(panels), 1, sharex=True), panels):
        axes.set_title(title)
        axes.set_ylabel(ylabel)
        plotted = False
        for key in filter(wanted, keys):
            points = [(row[x_key], v) for row in rows if (v := _value(row, key)) is not None]
            if points:
                steps, values = zip(*points)
                axes.plot(steps, values, marker="." if len(points) < 30 else None, label=key,
                          linewidth=2.5 if key == "reward/total" else 1.5)
                plotted = True
        if plotted:
            axes.legend(fontsize="small")
        else:
            axes.text(0.5, 0.5, "not logged", ha="center", va="center", transform=axes.transAxes)
        axes.grid(alpha=0.3)
    axes.set_xlabel("GRPO step" if x_key == "grpo/step" else "step")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def reward_trend(metrics_rows: Sequence[Mapping[str, float]], key: str = "reward/total") -> tuple[float, float, int]:
    """Mean ``key`` over the first and over the last ``k`` steps that logged it, and ``k``.

    ``k = max(1, min(5, n // 4))`` for ``n`` such steps: a few steps smooth the noise of one batch, and the
    two windows never overlap once there are two steps. Raises ``ValueError`` when no step logged ``key``.
    """
    values = [v for row in metrics_rows if (v := _value(row, key)) is not None]
    if not values:
        raise ValueError(f"no step logged {key}")
    window = max(1, min(5, len(values) // 4))
    return sum(values[:window]) / window, sum(values[-window:]) / window, window


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    elif isinstance(value, float):
        value = f"{value:.4g}"
    return str(value).replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows),
    ]


_SPLIT = "pass_rate/split/"
#: The usual splits in the order a run meets them; others follow by name.
_SPLIT_ORDER = ("train", "sft", "rl", "validation", "heldout", "heldout_families")


def _split_order(split: str) -> tuple[int, str]:
    return (_SPLIT_ORDER.index(split) if split in _SPLIT_ORDER else len(_SPLIT_ORDER), split)


def _pass_rate_section(evaluations: Mapping[str, Mapping[str, float]]) -> list[str]:
    if not evaluations:
        return ["No evaluation was run."]
    # Evaluations also break the rates down per difficulty (pass_rate/difficulty_2): not a language.
    languages = sorted({key.split("/", 1)[1] for metrics in evaluations.values() for key in metrics
                        if key.startswith("pass_rate/") and not key.startswith(("pass_rate/difficulty_", _SPLIT))})
    splits = {key.removeprefix(_SPLIT) for metrics in evaluations.values() for key in metrics if key.startswith(_SPLIT)}
    columns = [("all", "pass_rate"), *((language, f"pass_rate/{language}") for language in languages)]
    # The trainer also reports each split of the tasks apart: the ones it trained on and the held-out ones.
    columns += [(f"split {split}", f"{_SPLIT}{split}") for split in sorted(splits, key=_split_order)]

    def percent(metrics: Mapping[str, float], key: str) -> str:
        value = _value(metrics, key)
        return "–" if value is None else f"{100 * value:.1f}%"

    rows = [[name, *(percent(metrics, key) for _, key in columns)] for name, metrics in evaluations.items()]
    return _table(["evaluation", *(label for label, _ in columns)], rows)


def _reward_section(metrics_rows: Sequence[Mapping[str, float]]) -> list[str]:
    try:
        start, end, window = reward_trend(metrics_rows)
    except ValueError:
        return ["No GRPO step logged `reward/total`."]
    steps = "step" if window == 1 else f"{window} steps"
    verdict = f"rose by {end - start:.4g}" if end > start else f"did not rise (change {end - start:+.4g})"
    return [f"Mean `reward/total` over the first {steps}: {start:.4g}; over the last {steps}: {end:.4g}. "
            f"The reward {verdict}."]


def _time_section(metrics_rows: Sequence[Mapping[str, float]]) -> list[str]:
    totals: dict[str, float] = {}
    for row in metrics_rows:
        for key in row:
            if key.startswith("time/") and (value := _value(row, key)) is not None:
                totals[key] = totals.get(key, 0.0) + value
    if not totals:
        return ["No step logged its timings."]
    overall = sum(totals.values())
    rows = [[key.removeprefix("time/"), f"{seconds:.1f}", f"{100 * seconds / overall:.0f}%" if overall else "–"]
            for key, seconds in totals.items()]
    return _table(["phase", "seconds", "share"], rows)


def write_summary(
    path: Path,
    *,
    evaluations: Mapping[str, Mapping[str, float]],
    metrics_rows: Sequence[Mapping[str, float]],
    facts: Mapping[str, Any],
) -> Path:
    """Write the run's markdown summary to ``path`` and return it.

    Sections: pass rate per language for each evaluation in the order given (``pass_rate`` as "all",
    ``pass_rate/<language>`` per language, and ``pass_rate/split/<split>`` per split of the tasks when given,
    as percentages); the GRPO reward at the start versus the end
    (:func:`reward_trend`); the ``time/*`` metrics summed over the steps; the ``facts`` as a table; and the
    plot, when ``plot.png`` lies next to ``path``.
    """
    path = Path(path)
    lines = ["# codekiln run summary", "", "## Pass rate", "", *_pass_rate_section(evaluations), "",
             "## GRPO reward", "", *_reward_section(metrics_rows), "",
             "## Time", "", *_time_section(metrics_rows), ""]
    if facts:
        lines += ["## Run", "", *_table(["fact", "value"], list(facts.items())), ""]
    if (path.parent / PLOT_NAME).exists():
        lines += [f"![Reward, pass rate and KL over the GRPO steps]({PLOT_NAME})", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
