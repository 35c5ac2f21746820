"""The built-in TensorBoard logger: event files under ``RUN_DIR/tensorboard/``.

Every step's metrics become scalars at that step; an evaluation's metrics become ``eval/<name>/<metric>``
at the last step logged; the run's summary metrics become ``final/<metric>``; the config is shown as text.
Events are flushed after every call, so a killed run keeps what it logged. View with
``tensorboard --logdir RUN_DIR/tensorboard``. Needs ``tensorboard`` (in the ``train`` extra); without it
this logger says so once and does nothing. Block it with ``--block builtin.tensorboard``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codekiln import hookimpl
from codekiln.builtin.loggers.support import config_dict, numeric, warn_once

PLUGIN = "builtin.tensorboard"
SUBDIR = "tensorboard"

# One writer per run directory (a process may train several runs, e.g. in tests), with its last step.
_writers: dict[Path, Any] = {}
_last_step: dict[Path, int] = {}


def _writer(run_dir: Path, purge_step: int | None = None) -> Any | None:
    """The run's writer; ``purge_step`` (a resumed run's first step) drops the events a stopped run wrote from
    that step on, as the other logs drop their rows."""
    key = Path(run_dir).resolve()
    if key not in _writers:
        try:
            from torch.utils.tensorboard import SummaryWriter  # imports tensorboard; torch is loaded by now
        except ImportError as exc:
            warn_once(PLUGIN, f"no TensorBoard events are written ({exc}); pip install tensorboard")
            return None
        _writers[key] = SummaryWriter(log_dir=str(key / SUBDIR), purge_step=purge_step)
        _last_step.setdefault(key, 0)
    return _writers[key]


def _scalars(run_dir: Path, metrics: Mapping[str, Any], step: int, prefix: str = "") -> None:
    writer = _writer(run_dir)
    if writer is None:
        return
    for name, value in numeric(metrics).items():
        writer.add_scalar(f"{prefix}{name}", value, step)
    writer.flush()


@hookimpl
def codekiln_training_started(run_dir: Path, config: Any, start_step: int) -> None:
    writer = _writer(run_dir, purge_step=start_step if start_step > 1 else None)
    if writer is not None:
        text = json.dumps(config_dict(config), indent=2, sort_keys=True, default=str)
        # Indented four spaces: a code block in TensorBoard's markdown text view.
        writer.add_text("config", "\n".join(f"    {line}" for line in text.splitlines()), 0)
        writer.flush()


@hookimpl
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    _scalars(run_dir, metrics, step)
    _last_step[Path(run_dir).resolve()] = step


@hookimpl
def codekiln_evaluation_finished(run_dir: Path | None, name: str, metrics: Mapping[str, float]) -> None:
    if run_dir is not None:
        _scalars(run_dir, metrics, _last_step.get(Path(run_dir).resolve(), 0), prefix=f"eval/{name}/")


@hookimpl
def codekiln_training_finished(run_dir: Path, metrics: Mapping[str, float]) -> None:
    key = Path(run_dir).resolve()
    _scalars(run_dir, metrics, _last_step.get(key, 0), prefix="final/")
    writer = _writers.pop(key, None)
    if writer is not None:
        writer.close()
