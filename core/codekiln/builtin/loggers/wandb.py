"""The built-in Weights & Biases logger: on when ``wandb`` is installed and ``WANDB_PROJECT`` is set.

It starts one W&B run per training run (named after the run directory; files under ``WANDB_DIR``, else the
run directory) with the config, logs every step's metrics at that step, puts evaluations in the
run summary as ``eval/<name>/<metric>`` and the run's summary metrics in it too, then finishes the run.
The usual W&B variables apply (``WANDB_ENTITY``, ``WANDB_MODE=offline``, ``WANDB_API_KEY``). With
``WANDB_PROJECT`` unset this plugin does nothing; block it outright with ``--block builtin.wandb``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codekiln import hookimpl
from codekiln.builtin.loggers.support import config_dict, first_line, numeric, warn_once

PLUGIN = "builtin.wandb"
SWITCH = "WANDB_PROJECT"

_runs: dict[Path, Any] = {}  # run directory -> its W&B run, or None when it could not start


def _run(run_dir: Path, config: Any = None) -> Any | None:
    key = Path(run_dir).resolve()
    if key in _runs:
        return _runs[key]
    if not os.environ.get(SWITCH):
        return None
    try:
        import wandb
    except ImportError:
        warn_once(PLUGIN, f"{SWITCH} is set but wandb is not installed (pip install wandb); not logging to W&B")
        return None
    try:
        run = wandb.init(
            project=os.environ[SWITCH],
            name=key.name,
            dir=os.environ.get("WANDB_DIR", str(key)),
            config=config_dict(config),
        )
    except Exception as exc:  # not logged in, no network in online mode...: say it once, not every step
        warn_once(PLUGIN, f"could not start a W&B run, not logging to W&B: {first_line(exc)}")
        run = None
    _runs[key] = run
    return run


@hookimpl
def codekiln_training_started(run_dir: Path, config: Any) -> None:
    _run(run_dir, config)


@hookimpl
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    run = _run(run_dir)
    if run is not None:
        run.log(numeric(metrics), step=step)


@hookimpl
def codekiln_evaluation_finished(run_dir: Path | None, name: str, metrics: Mapping[str, float]) -> None:
    run = _run(run_dir) if run_dir is not None else None
    if run is not None:
        run.summary.update({f"eval/{name}/{metric}": value for metric, value in numeric(metrics).items()})


@hookimpl
def codekiln_training_finished(run_dir: Path, metrics: Mapping[str, float]) -> None:
    run = _runs.pop(Path(run_dir).resolve(), None)
    if run is not None:
        run.summary.update(numeric(metrics))
        run.finish()
