"""``uniform``: every task equally often."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codekiln.curricula import Curriculum, Task


class UniformCurriculum(Curriculum):
    """Every task equally often: a fresh random order each epoch, drawn without replacement. Outcomes
    change nothing.

    >>> from codekiln.problem import Problem
    >>> tasks = [Task(Problem(id=str(i), description=""), "python") for i in range(3)]
    >>> sorted(t.key for t in UniformCurriculum(tasks, seed=1).select(3))
    ['0/python', '1/python', '2/python']
    """

    name = "uniform"

    def __init__(self, tasks: Sequence[Task], *, seed: int = 0) -> None:
        super().__init__(tasks, seed=seed)
        self._order: list[str] = []  # keys left in the current epoch, drawn from the end
        self._epoch = 0

    def select(self, n: int) -> list[Task]:
        chosen = []
        for _ in range(n):
            if not self._order:
                self._order = [task.key for task in self.tasks]
                self.rng.shuffle(self._order)
                self._epoch += 1
            chosen.append(self.by_key[self._order.pop()])
        return chosen

    def metrics(self) -> dict[str, float]:
        return {"curriculum/epoch": self._epoch}

    def describe(self) -> str:
        return f"epoch {self._epoch}, {len(self._order)}/{len(self.tasks)} tasks left in it"

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "order": list(self._order), "epoch": self._epoch}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self._order = list(state["order"])
        self._epoch = state["epoch"]
