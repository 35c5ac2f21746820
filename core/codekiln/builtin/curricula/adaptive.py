"""``adaptive``: train where the model is learning; retire mastered tasks, park hopeless ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codekiln.curricula import Curriculum, Outcome, Task

from ._params import draw, integer, number


class AdaptiveCurriculum(Curriculum):
    """Prefers tasks whose recent pass rate lies in ``[low, high]``, where a group of completions mixes
    passes and failures and so carries a learning signal.

    A task's rate is the sample-weighted pass rate of its last ``window`` outcomes; a task not tried yet
    counts as in the band. Once a task has at least ``min_attempts`` outcomes in its window, a rate
    ≥ ``retire_at`` retires it (mastered) and a rate ≤ ``park_at`` parks it (hopeless for now); a parked
    task comes back, with its history forgotten, ``revisit_after`` steps later. Each slot of a step draws
    from the in-band tasks, or with probability ``off_band`` from the other active tasks, avoiding repeats
    within the step and falling back to the other group when one runs out; retired and parked tasks are
    drawn only when no task is active.

    >>> from codekiln.problem import Problem
    >>> tasks = [Task(Problem(id=name, description=""), "python") for name in ("easy", "fair", "hard")]
    >>> adaptive = AdaptiveCurriculum(tasks, min_attempts=1, revisit_after=2)
    >>> adaptive.update([Outcome("easy", "python", 1.0), Outcome("fair", "python", 0.5),
    ...                  Outcome("hard", "python", 0.0)])
    >>> adaptive.describe()
    '1 active (1 in band, 0 unseen), 1 retired, 1 parked'
    >>> sorted({t.key for t in adaptive.select(4)})
    ['fair/python']
    >>> adaptive.update([]); adaptive.update([]); adaptive.describe()  # two steps later the hard task is back
    '2 active (2 in band, 1 unseen), 1 retired, 0 parked'
    """

    name = "adaptive"

    def __init__(
        self,
        tasks: Sequence[Task],
        *,
        seed: int = 0,
        low: float = 0.2,
        high: float = 0.8,
        window: int = 8,
        min_attempts: int = 4,
        retire_at: float | None = 0.95,
        park_at: float | None = 0.05,
        revisit_after: int = 50,
        off_band: float = 0.1,
    ) -> None:
        super().__init__(tasks, seed=seed)
        self.low = number(self, "low", low, low=0, high=1)
        self.high = number(self, "high", high, low=0, high=1)
        if self.low > self.high:
            raise self.param_error("low", f"the band's low end ({low}) is above its high end ({high})")
        self.window = integer(self, "window", window, low=1)
        self.min_attempts = integer(self, "min_attempts", min_attempts, low=1)
        if self.min_attempts > self.window:
            raise self.param_error("min_attempts", f"{min_attempts} exceeds window ({window}): never reached")
        self.retire_at = None if retire_at is None else number(self, "retire_at", retire_at, low=self.high, high=1)
        self.park_at = None if park_at is None else number(self, "park_at", park_at, low=0, high=self.low)
        self.revisit_after = integer(self, "revisit_after", revisit_after, low=1)
        self.off_band = number(self, "off_band", off_band, low=0, high=1)
        self._step = 0
        self._history: dict[str, list[tuple[float, int]]] = {}  # key -> the window's (pass rate, samples)
        self._retired: set[str] = set()
        self._parked: dict[str, int] = {}  # key -> the step it was parked at

    def rate(self, key: str) -> float | None:
        """The task's sample-weighted pass rate over its window; None before its first outcome."""
        history = self._history.get(key)
        if not history:
            return None
        return sum(rate * samples for rate, samples in history) / sum(samples for _, samples in history)

    def status(self, key: str) -> str:
        """``"retired"``, ``"parked"`` or ``"active"``."""
        if key in self._retired:
            return "retired"
        return "parked" if key in self._parked else "active"

    # --- selection -------------------------------------------------------------------------------------

    def select(self, n: int) -> list[Task]:
        in_band, off_band = self._groups()
        taken: set[str] = set()
        chosen = []
        for _ in range(n):
            pools = [off_band, in_band] if self.rng.random() < self.off_band else [in_band, off_band]
            chosen.append(draw(self.rng, pools if in_band or off_band else [self.tasks], taken))
        return chosen

    def _groups(self) -> tuple[list[Task], list[Task]]:
        """The active tasks (neither retired nor parked), split into in the band and off it."""
        in_band, off_band = [], []
        for task in self.tasks:
            if self.status(task.key) != "active":
                continue
            rate = self.rate(task.key)
            (in_band if rate is None or self.low <= rate <= self.high else off_band).append(task)
        return in_band, off_band

    def update(self, outcomes: Sequence[Outcome]) -> None:
        self._step += 1
        for outcome in self.relevant_outcomes(outcomes):
            history = self._history.setdefault(outcome.key, [])
            history.append((outcome.pass_rate, outcome.samples))
            del history[: -self.window]
        for key, history in self._history.items():
            if self.status(key) != "active" or len(history) < self.min_attempts:
                continue
            rate = self.rate(key)
            if self.retire_at is not None and rate >= self.retire_at:
                self._retired.add(key)
            elif self.park_at is not None and rate <= self.park_at:
                self._parked[key] = self._step
        for key, parked_at in list(self._parked.items()):
            if self._step - parked_at >= self.revisit_after:
                del self._parked[key]
                self._history.pop(key, None)

    # --- reporting and checkpoints -----------------------------------------------------------------------

    def metrics(self) -> dict[str, float]:
        in_band, off_band = self._groups()
        return {
            "curriculum/active": len(in_band) + len(off_band),
            "curriculum/in_band": len(in_band),
            "curriculum/unseen": sum(1 for task in in_band if task.key not in self._history),
            "curriculum/retired": len(self._retired),
            "curriculum/parked": len(self._parked),
        }

    def describe(self) -> str:
        m = self.metrics()
        return (
            f"{m['curriculum/active']} active ({m['curriculum/in_band']} in band, {m['curriculum/unseen']} unseen), "
            f"{m['curriculum/retired']} retired, {m['curriculum/parked']} parked"
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "step": self._step,
            "history": {key: [list(entry) for entry in history] for key, history in self._history.items()},
            "retired": sorted(self._retired),
            "parked": dict(self._parked),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self._step = state["step"]
        self._history = {
            key: [(rate, samples) for rate, samples in history[-self.window :]]  # the window may have shrunk
            for key, history in state["history"].items()
        }
        self._retired = set(state["retired"])
        self._parked = dict(state["parked"])
