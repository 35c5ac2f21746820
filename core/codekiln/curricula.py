"""The base class of curriculum schedulers, and the two values they trade in: tasks and outcomes.

A scheduler picks which tasks (a problem in one language) the next training step works on, learns from
their outcomes, and saves its state with each checkpoint so that a resumed run chooses exactly as the
uninterrupted one would. The trainer builds one :class:`Task` per problem and configured language, creates
the scheduler with all of them, and then, every step, calls :meth:`Curriculum.select`, samples a group of
completions per selected task, and hands the results back through :meth:`Curriculum.update`.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from .errors import ConfigError, DataError
from .problem import Problem

__all__ = ["Curriculum", "Outcome", "Task"]


@attrs.frozen
class Task:
    """One problem in one language: what a curriculum selects.

    >>> Task(Problem(id="add", description="Add two numbers."), "python").key
    'add/python'
    """

    problem: Problem
    #: The canonical language name (``cpp``, not ``c++``).
    language: str

    @property
    def key(self) -> str:
        """A stable identifier, used in saved state and in logs."""
        return f"{self.problem.id}/{self.language}"


@attrs.frozen
class Outcome:
    """How one task fared in one step: the fraction of its ``samples`` that passed, and optionally their
    mean total reward. A task selected twice in a step may report two outcomes."""

    problem_id: str
    language: str
    pass_rate: float
    samples: int = 1
    mean_reward: float | None = None

    @property
    def key(self) -> str:
        """The :attr:`Task.key` of the task this outcome is about."""
        return f"{self.problem_id}/{self.language}"


class Curriculum:
    """Subclass, set ``name``, implement :meth:`select`; override :meth:`update` to learn from outcomes.

    Subclasses take their own parameters as keyword arguments after ``seed`` (the config's
    ``curriculum.params``), and draw every random choice from ``self.rng`` so that the seed and the
    sequence of :meth:`update` calls determine every selection.
    """

    name: ClassVar[str]

    def __init__(self, tasks: Sequence[Task], *, seed: int = 0) -> None:
        if not tasks:
            raise DataError(f"curriculum '{self.name}': no tasks to choose from (no problem in any language)")
        self.tasks = list(tasks)
        self.by_key = {task.key: task for task in self.tasks}
        if len(self.by_key) != len(self.tasks):
            duplicate = next(key for key, count in Counter(t.key for t in self.tasks).items() if count > 1)
            raise DataError(f"curriculum '{self.name}': task '{duplicate}' appears twice (duplicate problem id?)")
        self.rng = random.Random(seed)

    # --- what subclasses implement --------------------------------------------------------------------

    def select(self, n: int) -> list[Task]:
        """The ``n`` tasks for the next step; the same task may appear more than once."""
        raise NotImplementedError

    def update(self, outcomes: Sequence[Outcome]) -> None:
        """Called after every step with that step's outcomes."""

    def metrics(self) -> dict[str, float]:
        """Numbers to log after each step, named ``curriculum/...``."""
        return {}

    def describe(self) -> str:
        """A one-line human summary of where the curriculum stands."""
        return f"{self.name}: {len(self.tasks)} tasks"

    # --- checkpoints ------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything :meth:`select` depends on, as JSON-serialisable values. Subclasses extend it:
        ``{**super().state_dict(), "mine": ...}``."""
        return {"rng": self.rng.getstate(), "tasks": self._tasks_fingerprint()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (possibly after a JSON round trip)."""
        if state.get("tasks") != self._tasks_fingerprint():
            raise DataError(
                f"curriculum '{self.name}': the checkpoint was saved for a different set of tasks; resume with "
                "the dataset and data.languages it was trained with"
            )
        version, internal, gauss = state["rng"]
        self.rng.setstate((version, tuple(internal), gauss))

    # --- helpers for subclasses -------------------------------------------------------------------------

    def param_error(self, param: str, problem: str) -> ConfigError:
        """The error to raise for a bad parameter: one line naming the curriculum and the parameter."""
        return ConfigError(f"curriculum '{self.name}': {param}: {problem}")

    def relevant_outcomes(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """The ``outcomes`` that say something about this curriculum's tasks: outcomes of other tasks (a
        language it does not schedule) and outcomes of no sample (all masked) are dropped."""
        return [outcome for outcome in outcomes if outcome.key in self.by_key and outcome.samples > 0]

    def _tasks_fingerprint(self) -> str:
        keys = "\n".join(sorted(self.by_key))
        return f"{len(self.tasks)}:{hashlib.sha256(keys.encode()).hexdigest()[:16]}"
