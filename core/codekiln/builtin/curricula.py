"""Built-in curriculum schedulers: ``uniform``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codekiln import hookimpl
from codekiln.curricula import Curriculum
from codekiln.model import Problem


class UniformCurriculum(Curriculum):
    """Every problem equally often: a fresh random order each epoch, drawn without replacement.

    >>> from codekiln.model import Problem
    >>> problems = [Problem(id=str(i), description="") for i in range(3)]
    >>> sorted(p.id for p in UniformCurriculum(problems, seed=1).select(3))
    ['0', '1', '2']
    """

    name = "uniform"

    def __init__(self, problems, *, seed: int = 0) -> None:
        super().__init__(problems, seed=seed)
        self._order: list[int] = []

    def select(self, n: int) -> list[Problem]:
        chosen = []
        for _ in range(n):
            if not self._order:
                self._order = list(range(len(self.problems)))
                self.rng.shuffle(self._order)
            chosen.append(self.problems[self._order.pop()])
        return chosen

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "order": list(self._order)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self._order = list(state["order"])


@hookimpl
def codekiln_register_curricula(registry):
    registry.register(UniformCurriculum)
