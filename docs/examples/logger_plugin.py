"""A logger plugin: every step's metrics as rows of ``RUN_DIR/metrics.csv``.

Shown in docs/howto/logger-plugin.md. Loggers implement lifecycle hooks and declare only the arguments
they use.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from codekiln import hookimpl

FILENAME = "metrics.csv"


def _append(run_dir: Path, rows: list[list[object]]) -> None:
    # Opened per write, so a run killed mid-way keeps every row it logged.
    with open(Path(run_dir) / FILENAME, "a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@hookimpl
def codekiln_training_started(run_dir: Path) -> None:
    (Path(run_dir) / FILENAME).unlink(missing_ok=True)
    _append(run_dir, [["step", "metric", "value"]])


@hookimpl
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    # One row per metric rather than one column: SFT and GRPO steps report different metrics.
    _append(run_dir, [[step, name, value] for name, value in sorted(metrics.items())])
