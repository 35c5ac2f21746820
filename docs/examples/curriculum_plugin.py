"""A curriculum plugin: start with the easiest problems, move up once they are mostly solved.

Shown in docs/howto/curriculum-plugin.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import mean
from typing import Any

from codekiln import hookimpl
from codekiln.curricula import Curriculum, Outcome, Task


class EasyFirstCurriculum(Curriculum):
    """Draws only tasks up to the current difficulty; a step whose mean pass rate reaches ``promote_at``
    opens the next difficulty.

    >>> from codekiln.problem import Problem
    >>> tasks = [Task(Problem(id="easy", description="", difficulty=1), "python"),
    ...          Task(Problem(id="hard", description="", difficulty=3), "python")]
    >>> curriculum = EasyFirstCurriculum(tasks, promote_at=0.5)
    >>> sorted({task.key for task in curriculum.select(20)})
    ['easy/python']
    >>> curriculum.update([Outcome("easy", "python", pass_rate=0.75)])
    >>> curriculum.describe()
    'difficulty ≤ 3'
    >>> sorted({task.key for task in curriculum.select(20)})
    ['easy/python', 'hard/python']
    """

    name = "easy_first"

    def __init__(self, tasks: Sequence[Task], *, seed: int = 0, promote_at: float = 0.8) -> None:
        super().__init__(tasks, seed=seed)
        if not 0 <= promote_at <= 1:
            # One line naming the curriculum and the parameter: "curriculum 'easy_first': promote_at: ..."
            raise self.param_error("promote_at", f"must be between 0 and 1, got {promote_at}")
        self.promote_at = promote_at
        self.level = min(task.problem.difficulty for task in self.tasks)

    def select(self, n: int) -> list[Task]:
        pool = [task for task in self.tasks if task.problem.difficulty <= self.level]
        return [self.rng.choice(pool) for _ in range(n)]

    def update(self, outcomes: Sequence[Outcome]) -> None:
        outcomes = self.relevant_outcomes(outcomes)
        if outcomes and mean(o.pass_rate for o in outcomes) >= self.promote_at:
            harder = [task.problem.difficulty for task in self.tasks if task.problem.difficulty > self.level]
            self.level = min(harder, default=self.level)

    def metrics(self) -> dict[str, float]:
        return {"curriculum/level": self.level}

    def describe(self) -> str:
        return f"difficulty ≤ {self.level}"

    # The level is part of the state: a resumed run must draw from the same pool as before.
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "level": self.level}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.level = state["level"]


@hookimpl
def codekiln_register_curricula(registry):
    registry.register(EasyFirstCurriculum)
