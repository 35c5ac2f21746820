"""The configurations shown in docs/curricula.md do what the page says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from codekiln.config import load_config
from codekiln.plugins import make_plugins

from .simulate import Student, make_tasks, run

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.fixture(scope="module")
def curricula():
    return make_plugins(autoload=False, warn=lambda line: None).curricula()


def test_ordered_example(curricula):
    config = load_config(EXAMPLES / "curriculum_ordered.yaml")
    tasks = make_tasks([1, 2, 3, 4, 5] * 4, config.data.languages)
    curriculum = curricula.create(config.curriculum.name, tasks=tasks, seed=0, **config.curriculum.params)
    assert curriculum.describe().startswith("stage 1/3 (difficulty ≤ 1)")
    student = Student(lambda task: 1.0 if task.problem.difficulty <= 3 else 0.3, seed=0)
    seen = [max(t.problem.difficulty for t in step) for step in run(curriculum, student, steps=40, n=8)]
    assert max(seen[:10]) == 1  # min_steps: ten steps on the first stage however well it goes
    assert max(seen[10:20]) == 3  # then difficulties 2 and 3 together
    assert curriculum.metrics()["curriculum/stage"] == 3


def test_language_mix_example(curricula):
    config = load_config(EXAMPLES / "curriculum_language_mix.yaml")
    tasks = make_tasks([1, 2, 3] * 4, config.data.languages)
    curriculum = curricula.create(config.curriculum.name, tasks=tasks, seed=0, **config.curriculum.params)
    student = Student(lambda task: 0.5, seed=0)
    picks = Counter(task.language for step in run(curriculum, student, steps=300, n=8) for task in step)
    assert set(picks) == {"cpp", "python"}  # java weighs 0
    assert picks["python"] / picks.total() == pytest.approx(2 / 3, abs=0.04)
    assert curriculum.bases["python"].name == "adaptive"
    assert curriculum.bases["python"].revisit_after == 50
