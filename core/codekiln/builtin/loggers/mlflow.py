"""The built-in MLflow logger: on when ``mlflow`` (or ``mlflow-skinny``) is installed and
``MLFLOW_TRACKING_URI`` is set.

It creates one MLflow run per training run in the experiment ``MLFLOW_EXPERIMENT_NAME`` (default
``codekiln``), named after the run directory, with the config as dotted parameters; logs every step's
metrics at that step, evaluations as ``eval/<name>/<metric>`` and the run's summary metrics as
``final/<metric>`` at the last step; then marks the run finished. MLflow allows only letters, digits and
``_ - . / : space`` in names, so ``pass@1`` is logged as ``pass_at_1``. With ``MLFLOW_TRACKING_URI`` unset
this plugin does nothing; block it outright with ``--block builtin.mlflow``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from codekiln import hookimpl
from codekiln.builtin.loggers.support import config_dict, first_line, flatten, numeric, warn_once

PLUGIN = "builtin.mlflow"
SWITCH = "MLFLOW_TRACKING_URI"
DEFAULT_EXPERIMENT = "codekiln"
# MLflow's own limits on one log_batch call and on a parameter's value.
_MAX_PARAMS_PER_BATCH = 100
_MAX_METRICS_PER_BATCH = 1000
_MAX_PARAM_LENGTH = 6000


@attrs.define
class _Run:
    client: Any
    run_id: str
    last_step: int = 0


_runs: dict[Path, _Run | None] = {}  # run directory -> its MLflow run, or None when it could not start


def mlflow_name(name: str) -> str:
    """``name`` with the characters MLflow refuses replaced: ``pass@1/python`` -> ``pass_at_1/python``."""
    return re.sub(r"[^\w./\- :]", "_", name.replace("@", "_at_"))


def _run(run_dir: Path, config: Any = None) -> _Run | None:
    key = Path(run_dir).resolve()
    if key in _runs:
        return _runs[key]
    if not os.environ.get(SWITCH):
        return None
    try:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient
    except ImportError:
        warn_once(PLUGIN, f"{SWITCH} is set but mlflow is not installed (pip install mlflow-skinny); not logging")
        return None
    try:
        client = MlflowClient()  # reads MLFLOW_TRACKING_URI
        experiment_name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
        experiment = client.get_experiment_by_name(experiment_name)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(experiment_name)
        run_id = client.create_run(experiment_id, run_name=key.name, tags={"codekiln.run_dir": str(key)}).info.run_id
        params = [
            Param(mlflow_name(name), str(value)[:_MAX_PARAM_LENGTH])
            for name, value in flatten(config_dict(config)).items()
        ]
        for start in range(0, len(params), _MAX_PARAMS_PER_BATCH):
            client.log_batch(run_id, params=params[start : start + _MAX_PARAMS_PER_BATCH])
    except Exception as exc:  # server unreachable, store refused...: say it once, not every step
        warn_once(PLUGIN, f"could not start an MLflow run, not logging to MLflow: {first_line(exc)}")
        _runs[key] = None
    else:
        _runs[key] = _Run(client, run_id)
    return _runs[key]


def _log(run: _Run, metrics: Mapping[str, Any], step: int, prefix: str = "") -> None:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    rows = [Metric(mlflow_name(prefix + name), value, now, step) for name, value in numeric(metrics).items()]
    for start in range(0, len(rows), _MAX_METRICS_PER_BATCH):
        run.client.log_batch(run.run_id, metrics=rows[start : start + _MAX_METRICS_PER_BATCH])


@hookimpl
def codekiln_training_started(run_dir: Path, config: Any) -> None:
    _run(run_dir, config)


@hookimpl
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    run = _run(run_dir)
    if run is not None:
        _log(run, metrics, step)
        run.last_step = step


@hookimpl
def codekiln_evaluation_finished(run_dir: Path | None, name: str, metrics: Mapping[str, float]) -> None:
    run = _run(run_dir) if run_dir is not None else None
    if run is not None:
        _log(run, metrics, run.last_step, prefix=f"eval/{name}/")


@hookimpl
def codekiln_training_finished(run_dir: Path, metrics: Mapping[str, float]) -> None:
    run = _runs.pop(Path(run_dir).resolve(), None)
    if run is not None:
        _log(run, metrics, run.last_step, prefix="final/")
        run.client.set_terminated(run.run_id, "FINISHED")
