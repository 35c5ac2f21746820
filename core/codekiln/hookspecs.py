"""Every hook codekiln calls, grouped by phase.

Each docstring has the same shape, which ``docs/reference/hooks.md`` is generated from:

    One-line summary.

    Called: when the core calls it.
    Arguments:
        name: meaning.
    Returns: what the core does with the result.
    First result: whether the first non-None result stops the call.
    Implement: who should implement it.

Registration hooks hand a typed registry to each plugin; the core then calls the registered objects
itself, outside pluggy, so one failing backend is isolated and reported by name. Lifecycle hooks are
plain, cheap pluggy calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from . import PROJECT_NAME

if TYPE_CHECKING:
    from .registry import CurriculumRegistry, DatasetRegistry, LanguageRegistry, RewardRegistry

__all__ = [
    "codekiln_checkpoint_saved",
    "codekiln_evaluation_finished",
    "codekiln_register_curricula",
    "codekiln_register_datasets",
    "codekiln_register_languages",
    "codekiln_register_rewards",
    "codekiln_step_finished",
    "codekiln_training_finished",
    "codekiln_training_started",
    "hookspec",
]

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# ---------------------------------------------------------------------------------------------------------
# Registration: plugins add what they provide to typed registries
# ---------------------------------------------------------------------------------------------------------


@hookspec
def codekiln_register_languages(registry: LanguageRegistry) -> None:
    """Register language backends.

    Called: once per registry build, when a command first needs the languages.
    Arguments:
        registry: call ``registry.register(backend)`` with an instance of a
            ``codekiln.languages.LanguageBackend`` subclass.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: language plugins (``codekiln-python``, ``codekiln-java``, ...).
    """


@hookspec
def codekiln_register_rewards(registry: RewardRegistry) -> None:
    """Register reward metrics.

    Called: once per registry build, when a command first needs the rewards.
    Arguments:
        registry: call ``registry.register(RewardClass)`` with a ``codekiln.rewards.Reward`` subclass;
            the config's parameters for it are passed to its constructor.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: reward plugins, and codekiln's built-in ``builtin.rewards``.
    """


@hookspec
def codekiln_register_curricula(registry: CurriculumRegistry) -> None:
    """Register curriculum schedulers.

    Called: once per registry build, when a command first needs the curricula.
    Arguments:
        registry: call ``registry.register(SchedulerClass)`` with a ``codekiln.curricula.Curriculum``
            subclass.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: curriculum plugins, and codekiln's built-in ``builtin.curricula``.
    """


@hookspec
def codekiln_register_datasets(registry: DatasetRegistry) -> None:
    """Register dataset loaders.

    Called: once per registry build, when a command first needs the datasets.
    Arguments:
        registry: call ``registry.register(LoaderClass)`` with a ``codekiln.datasets.DatasetLoader``
            subclass; a loader with ``needs_path = True`` is named ``FORMAT:PATH`` by users.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: dataset plugins, and codekiln's built-in ``builtin.datasets``.
    """


# ---------------------------------------------------------------------------------------------------------
# Training lifecycle: loggers and monitors listen here
# ---------------------------------------------------------------------------------------------------------


@hookspec
def codekiln_training_started(run_dir: Path, config: Any, start_step: int) -> None:
    """A training run has started, or a stopped run has resumed.

    Called: once per session of a run, after the run directory and the effective config are written, before
        the first step.
    Arguments:
        run_dir: the run's directory; a logger may write its files here.
        config: the effective ``codekiln.config.Config``.
        start_step: the first step this session logs: 1 for a new run; after a resume, the step after the
            checkpoint's. A logger that appends to files drops what a stopped run logged from there on.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: loggers and monitors (TensorBoard, JSONL, Weights & Biases, ...).
    """


@hookspec
def codekiln_step_finished(run_dir: Path, step: int, metrics: Mapping[str, float]) -> None:
    """A training step has finished.

    Called: after every optimiser step of SFT and GRPO, with that step's metrics.
    Arguments:
        run_dir: the run's directory.
        step: the global step number, counting from 1.
        metrics: metric name to value, e.g. ``reward/total``, ``pass_rate/python``, ``time/verify``.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: loggers and monitors; keep it cheap, it runs in the training loop.
    """


@hookspec
def codekiln_checkpoint_saved(run_dir: Path, step: int, path: Path) -> None:
    """A checkpoint has been written.

    Called: after a checkpoint directory is complete on disk.
    Arguments:
        run_dir: the run's directory.
        step: the step the checkpoint was taken at.
        path: the checkpoint directory.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: plugins that upload or prune checkpoints.
    """


@hookspec
def codekiln_training_finished(run_dir: Path, metrics: Mapping[str, float]) -> None:
    """A training run has finished.

    Called: once, after the final model is saved (also after an interrupted run saved what it had).
    Arguments:
        run_dir: the run's directory.
        metrics: summary metrics of the whole run.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: loggers that close files or runs, notifiers.
    """


# ---------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------


@hookspec
def codekiln_evaluation_finished(run_dir: Path | None, name: str, metrics: Mapping[str, float]) -> None:
    """An evaluation has finished.

    Called: after ``codekiln eval`` or an evaluation inside training computed its metrics.
    Arguments:
        run_dir: the run's directory, or None for a standalone evaluation without one.
        name: what was evaluated, e.g. ``"after_sft"`` or the model path.
        metrics: metric name to value, e.g. ``pass@1/python``, ``compile_rate/java``.
    Returns: nothing; the return value is ignored.
    First result: no, every implementation is called.
    Implement: loggers and dashboards.
    """
