"""``ordered``: easy tasks first, harder ones unlocked stage by stage as the easier ones get solved."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from itertools import pairwise
from statistics import fmean
from typing import Any

from codekiln.curricula import Curriculum, Outcome, Task

from ._params import draw, integer, number


class OrderedCurriculum(Curriculum):
    """Stages by difficulty: stage ``k`` unlocks the tasks of difficulty ≤ ``stages[k-1]``.

    The tasks a stage adds are its *new* tasks. Each slot of a step draws from the new tasks with
    probability ``focus``, otherwise from every unlocked task, avoiding repeats within the step. The
    curriculum moves to the next stage once it has spent ``min_steps`` steps in this one and the mean
    pass rate of the last ``window`` outcomes of new tasks reaches ``promote_at``. Stages that would add
    no task are passed through.

    >>> from codekiln.problem import Problem
    >>> tasks = [Task(Problem(id=f"d{d}", description="", difficulty=d), "python") for d in (1, 2)]
    >>> ordered = OrderedCurriculum(tasks, window=2, min_steps=1)
    >>> sorted({t.key for t in ordered.select(10)})
    ['d1/python']
    >>> ordered.update([Outcome("d1", "python", 1.0), Outcome("d1", "python", 0.5)])
    >>> ordered.describe()
    'stage 2/2 (difficulty ≤ 2), 2/2 tasks unlocked'
    """

    name = "ordered"

    def __init__(
        self,
        tasks: Sequence[Task],
        *,
        seed: int = 0,
        stages: Sequence[int] | None = None,
        promote_at: float = 0.6,
        window: int = 32,
        min_steps: int = 10,
        focus: float = 0.5,
    ) -> None:
        super().__init__(tasks, seed=seed)
        self.stages = self._check_stages(stages)
        self.promote_at = number(self, "promote_at", promote_at, low=0, high=1)
        self.window = integer(self, "window", window, low=1)
        self.min_steps = integer(self, "min_steps", min_steps, low=0)
        self.focus = number(self, "focus", focus, low=0, high=1)
        first = self._next_stage_with_tasks(0)
        if first is None:
            easiest = min(t.problem.difficulty for t in self.tasks)
            raise self.param_error(
                "stages", f"no stage unlocks any task (the easiest task has difficulty {easiest})"
            )
        self._enter(first)

    # --- selection -------------------------------------------------------------------------------------

    def select(self, n: int) -> list[Task]:
        new, unlocked = self._new_tasks(self._stage), self._unlocked()
        taken: set[str] = set()
        return [draw(self.rng, [new if self.rng.random() < self.focus else unlocked], taken) for _ in range(n)]

    def update(self, outcomes: Sequence[Outcome]) -> None:
        self._steps_in_stage += 1
        new_keys = {task.key for task in self._new_tasks(self._stage)}
        self._recent.extend(o.pass_rate for o in self.relevant_outcomes(outcomes) if o.key in new_keys)
        following = self._next_stage_with_tasks(self._stage + 1)
        if following is not None and self._ready():
            self._enter(following)

    def _ready(self) -> bool:
        return (
            self._steps_in_stage >= self.min_steps
            and len(self._recent) == self.window
            and fmean(self._recent) >= self.promote_at
        )

    # --- stages ----------------------------------------------------------------------------------------

    def _check_stages(self, stages: Sequence[int] | None) -> list[int]:
        if stages is None:
            return sorted({task.problem.difficulty for task in self.tasks})
        if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence) or not stages:
            raise self.param_error("stages", f"expected a non-empty list of difficulties (1-5), got {stages!r}")
        checked = [integer(self, "stages", level, low=1) for level in stages]
        if any(b <= a for a, b in pairwise(checked)) or checked[-1] > 5:
            raise self.param_error("stages", f"difficulties must increase and lie in 1-5, got {list(stages)}")
        return checked

    def _new_tasks(self, stage: int) -> list[Task]:
        floor = self.stages[stage - 1] if stage > 0 else 0
        return [t for t in self.tasks if floor < t.problem.difficulty <= self.stages[stage]]

    def _unlocked(self) -> list[Task]:
        return [t for t in self.tasks if t.problem.difficulty <= self.stages[self._stage]]

    def _next_stage_with_tasks(self, start: int) -> int | None:
        return next((s for s in range(start, len(self.stages)) if self._new_tasks(s)), None)

    def _enter(self, stage: int) -> None:
        self._stage = stage
        self._steps_in_stage = 0
        self._recent: deque[float] = deque(maxlen=self.window)

    # --- reporting and checkpoints -----------------------------------------------------------------------

    def metrics(self) -> dict[str, float]:
        metrics = {"curriculum/stage": self._stage + 1, "curriculum/unlocked": len(self._unlocked())}
        if self._recent:
            metrics["curriculum/stage_pass_rate"] = fmean(self._recent)
        return metrics

    def describe(self) -> str:
        line = (
            f"stage {self._stage + 1}/{len(self.stages)} (difficulty ≤ {self.stages[self._stage]}), "
            f"{len(self._unlocked())}/{len(self.tasks)} tasks unlocked"
        )
        if self._recent and self._next_stage_with_tasks(self._stage + 1) is not None:
            line += f", pass rate {fmean(self._recent):.2f} over {len(self._recent)}/{self.window} recent outcomes"
        return line

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "stages": self.stages,
            "stage": self._stage,
            "steps_in_stage": self._steps_in_stage,
            "recent": list(self._recent),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        if list(state["stages"]) != self.stages:
            raise self.param_error("stages", f"the checkpoint used stages {state['stages']}, this run {self.stages}")
        self._enter(state["stage"])
        self._steps_in_stage = state["steps_in_stage"]
        self._recent.extend(state["recent"])
