"""The built-in JSONL logger: appends each step's metrics to ``RUN_DIR/metrics.jsonl`` and each
evaluation's to ``RUN_DIR/evaluations.jsonl``. Files are opened per write so a killed run loses nothing
it had logged."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

from codekiln import hookimpl


def _append(path: Path, row: Mapping) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row, sort_keys=True) + "\n")


@hookimpl
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    _append(Path(run_dir) / "metrics.jsonl", {"step": step, "time": time.time(), **metrics})


@hookimpl
def codekiln_evaluation_finished(run_dir: Path | None, name: str, metrics: Mapping[str, float]) -> None:
    if run_dir is not None:
        _append(Path(run_dir) / "evaluations.jsonl", {"name": name, "time": time.time(), **metrics})
