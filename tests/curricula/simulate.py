"""A simulated student for curriculum tests: no model, just a table of how likely each task is to pass."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from codekiln.curricula import Curriculum, Outcome, Task
from codekiln.problem import Problem


def make_tasks(difficulties: Iterable[int], languages: Sequence[str] = ("python",)) -> list[Task]:
    """Problems ``p0, p1, ...`` with the given difficulties, each in every language."""
    problems = [Problem(id=f"p{i}", description="", difficulty=d) for i, d in enumerate(difficulties)]
    return [Task(problem, language) for problem in problems for language in languages]


class Student:
    """Passes each sample of a task with probability ``pass_probability(task)``, raised by ``learn`` for
    every time the task was practised (capped at 1). Its own seeded generator keeps runs reproducible;
    ``exact`` reports the probability itself as the pass rate, without sampling noise."""

    def __init__(
        self,
        pass_probability: Mapping[str, float] | Callable[[Task], float],
        *,
        samples: int = 8,
        learn: float = 0.0,
        seed: int = 0,
        exact: bool = False,
    ) -> None:
        self.table = pass_probability
        self.samples = samples
        self.learn = learn
        self.practice: Counter[str] = Counter()
        self.rng = random.Random(seed)
        self.exact = exact

    def probability(self, task: Task) -> float:
        base = self.table(task) if callable(self.table) else self.table[task.key]
        return min(1.0, base + self.learn * self.practice[task.key])

    def attempt(self, tasks: Sequence[Task]) -> list[Outcome]:
        outcomes = []
        for task in tasks:
            p = self.probability(task)
            rate = p if self.exact else sum(self.rng.random() < p for _ in range(self.samples)) / self.samples
            outcomes.append(Outcome(task.problem.id, task.language, rate, samples=self.samples))
            self.practice[task.key] += 1
        return outcomes


def run(curriculum: Curriculum, student: Student, *, steps: int, n: int) -> list[list[Task]]:
    """``steps`` training steps of ``n`` tasks each; returns what was selected at each step."""
    history = []
    for _ in range(steps):
        chosen = curriculum.select(n)
        assert len(chosen) == n
        curriculum.update(student.attempt(chosen))
        history.append(chosen)
    return history


def keys(steps: Iterable[Iterable[Task]]) -> list[str]:
    return [task.key for step in steps for task in step]
