"""The base class of curriculum schedulers.

A scheduler picks which problems the next training step works on, learns from their outcomes, and
saves its state with each checkpoint so a resumed run chooses exactly as the uninterrupted one would.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from .model import Problem

__all__ = ["Curriculum", "Outcome"]


@attrs.frozen
class Outcome:
    """How one problem fared in one step: the fraction of its samples that passed, per language."""

    problem_id: str
    language: str
    pass_rate: float


class Curriculum:
    """Subclass, set ``name``, implement :meth:`select`; override :meth:`update` to learn from outcomes."""

    name: ClassVar[str]

    def __init__(self, problems: Sequence[Problem], *, seed: int = 0) -> None:
        if not problems:
            raise ValueError("a curriculum needs at least one problem")
        self.problems = list(problems)
        self.rng = random.Random(seed)

    def select(self, n: int) -> list[Problem]:
        """The ``n`` problems for the next step."""
        raise NotImplementedError

    def update(self, outcomes: Sequence[Outcome]) -> None:
        """Called after every step with that step's outcomes."""

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.getstate()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        version, internal, gauss = state["rng"]
        self.rng.setstate((version, tuple(internal), gauss))
