"""Checkpoints: everything a killed run needs to continue as if it had never stopped.

A checkpoint is a directory ``RUN_DIR/checkpoints/step-NNNNNN/`` holding the model and tokenizer in Hugging
Face format, the optimiser and learning-rate scheduler states, the random number generators, and
``state.json`` (phase, step counters, the curriculum's state, evaluations so far). It is written under a
temporary name and renamed when complete, so a run killed mid-write leaves no half checkpoint behind: the
newest directory that exists is always whole.
"""

from __future__ import annotations

import json
import pickle
import random
import shutil
from pathlib import Path
from typing import Any

from ..errors import DataError
from .policy import save_policy

__all__ = ["latest_checkpoint", "load_checkpoint", "save_checkpoint"]

_PREFIX = "step-"
_KEEP = 2  # older checkpoints are pruned; the final model is saved separately


def save_checkpoint(run_dir: Path, step: int, *, policy: Any, prompt_format: str, optimizer: Any, scheduler: Any,
                    state: dict[str, Any]) -> Path:
    """Write ``checkpoints/step-NNNNNN``: the model as :func:`save_policy` saves it (so that ``model.path`` and
    ``codekiln eval`` prompt it in ``prompt_format``, as the run does), the optimiser, scheduler and RNGs."""
    import torch

    folder = Path(run_dir) / "checkpoints"
    final = folder / f"{_PREFIX}{step:06d}"
    partial = folder / f".partial-{step:06d}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        save_policy(policy, partial / "model", prompt_format=prompt_format)
        torch.save({"optimizer": optimizer.state_dict() if optimizer is not None else None,
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "rng": _rng_state()}, partial / "training.pt")
        (partial / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    except BaseException:  # a run stopped mid-write (SIGINT, SIGTERM) leaves no temporary files either
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    for old in _checkpoints(folder)[:-_KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = _checkpoints(Path(run_dir) / "checkpoints")
    return found[-1] if found else None


def load_checkpoint(path: Path, *, optimizer: Any, scheduler: Any) -> dict[str, Any]:
    """Restore the optimiser and scheduler (either may be None: not saved or not wanted) and the RNGs in
    place; return ``state.json``. The model weights are
    loaded by the caller from ``path / "model"`` (it builds the model from them)."""
    import torch

    # weights_only: a checkpoint may come from someone else, and a full unpickle runs whatever code it names.
    file = path / "training.pt"
    try:
        saved = torch.load(file, weights_only=True)
        optimizer_state, scheduler_state, rng = saved["optimizer"], saved["scheduler"], saved["rng"]
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, LookupError, TypeError) as exc:
        reason = str(exc).strip().splitlines()[0].split(". ")[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, pickle.UnpicklingError):  # torch's message advises weights_only=False: not for us
            reason = "damaged, or holds objects other than tensors, which codekiln does not unpickle"
        raise DataError(f"{file}: cannot load the checkpoint ({reason}); delete {path} to resume from the "
                        "checkpoint before it") from None
    if optimizer is not None and optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    if scheduler is not None and scheduler_state is not None:
        scheduler.load_state_dict(scheduler_state)
    _set_rng_state(rng)
    return json.loads((path / "state.json").read_text(encoding="utf-8"))


def _checkpoints(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(_PREFIX))


def _rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    import torch

    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
