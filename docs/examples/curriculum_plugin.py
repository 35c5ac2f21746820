"""A curriculum plugin: start with the easiest problems, move up once they are mostly solved.

Shown in docs/howto/curriculum-plugin.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import mean
from typing import Any

from codekiln import hookimpl
from codekiln.curricula import Curriculum, Outcome
from codekiln.model import Problem


class EasyFirstCurriculum(Curriculum):
    """Draws only problems up to the current difficulty; a step whose mean pass rate reaches
    ``promote_at`` opens the next difficulty.

    >>> problems = [Problem(id="easy", description="", difficulty=1),
    ...             Problem(id="hard", description="", difficulty=3)]
    >>> curriculum = EasyFirstCurriculum(problems, promote_at=0.5)
    >>> sorted({p.id for p in curriculum.select(20)})
    ['easy']
    >>> curriculum.update([Outcome("easy", "python", pass_rate=0.75)])
    >>> sorted({p.id for p in curriculum.select(20)})
    ['easy', 'hard']
    """

    name = "easy_first"

    def __init__(self, problems: Sequence[Problem], *, seed: int = 0, promote_at: float = 0.8) -> None:
        super().__init__(problems, seed=seed)
        self.promote_at = promote_at
        self.level = min(p.difficulty for p in self.problems)

    def select(self, n: int) -> list[Problem]:
        pool = [p for p in self.problems if p.difficulty <= self.level]
        return [self.rng.choice(pool) for _ in range(n)]

    def update(self, outcomes: Sequence[Outcome]) -> None:
        if outcomes and mean(o.pass_rate for o in outcomes) >= self.promote_at:
            harder = [p.difficulty for p in self.problems if p.difficulty > self.level]
            self.level = min(harder, default=self.level)

    # The level is part of the state: a resumed run must draw from the same pool as before.
    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "level": self.level}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.level = state["level"]


@hookimpl
def codekiln_register_curricula(registry):
    registry.register(EasyFirstCurriculum)
