"""``adaptive``: prefer the pass-rate band, retire mastered tasks, park hopeless ones and revisit them."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from codekiln.builtin.curricula import AdaptiveCurriculum
from codekiln.curricula import Outcome

from .simulate import Student, keys, make_tasks, run


def counts(curriculum):
    metrics = curriculum.metrics()
    return {name.removeprefix("curriculum/"): value for name, value in metrics.items()}


def test_retire_park_and_revisit_step_by_step():
    curriculum = AdaptiveCurriculum(make_tasks([1, 2, 3]), window=4, min_attempts=2, revisit_after=3)
    assert counts(curriculum) == {"active": 3, "in_band": 3, "unseen": 3, "retired": 0, "parked": 0}
    step = [Outcome("p0", "python", 1.0), Outcome("p1", "python", 0.5), Outcome("p2", "python", 0.0)]
    curriculum.update(step)  # one attempt each: too few to judge, p0 and p2 are merely off the band
    assert counts(curriculum) == {"active": 3, "in_band": 1, "unseen": 0, "retired": 0, "parked": 0}
    curriculum.update(step)  # step 2: p0 mastered, p2 hopeless
    assert counts(curriculum) == {"active": 1, "in_band": 1, "unseen": 0, "retired": 1, "parked": 1}
    assert {task.key for task in curriculum.select(10)} == {"p1/python"}
    curriculum.update([])
    curriculum.update([])  # step 4: parked two steps ago
    assert counts(curriculum)["parked"] == 1
    curriculum.update([])  # step 5: back, with its history forgotten
    assert counts(curriculum) == {"active": 2, "in_band": 2, "unseen": 1, "retired": 1, "parked": 0}
    assert curriculum.rate("p2/python") is None
    assert curriculum.describe() == "2 active (2 in band, 1 unseen), 1 retired, 0 parked"


def test_the_rate_is_sample_weighted_over_the_window():
    curriculum = AdaptiveCurriculum(make_tasks([1]), window=2, min_attempts=1)
    curriculum.update([Outcome("p0", "python", 0.9, samples=4)])
    curriculum.update([Outcome("p0", "python", 1.0, samples=1), Outcome("p0", "python", 0.0, samples=3)])
    assert curriculum.rate("p0/python") == 0.25  # the 0.9 has left the window of 2


def test_in_band_tasks_get_the_slots_and_off_band_ones_their_share():
    # Four tasks in the band (0.5), four above it but short of mastery (0.9).
    tasks = make_tasks([1] * 8)
    student = Student({t.key: 0.5 if i < 4 else 0.9 for i, t in enumerate(tasks)}, exact=True)
    curriculum = AdaptiveCurriculum(tasks, seed=2, off_band=0.1)
    run(curriculum, student, steps=10, n=2)  # every task tried once
    assert counts(curriculum)["unseen"] == 0
    picks = Counter(keys(run(curriculum, student, steps=2000, n=2)))
    off_band_share = sum(picks[f"p{i}/python"] for i in range(4, 8)) / 4000
    assert off_band_share == pytest.approx(0.1, abs=0.03)
    assert all(picks[f"p{i}/python"] > 700 for i in range(4))  # each in-band task about 900


def test_a_simulated_run_retires_parks_and_revisits():
    tasks = make_tasks([1] * 16)
    table = {t.key: [1.0, 0.0, 0.5, 0.3][i % 4] for i, t in enumerate(tasks)}  # mastered, hopeless, learning x2
    curriculum = AdaptiveCurriculum(tasks, seed=1, revisit_after=40)
    student = Student(table, seed=1)
    retired_at: dict[str, int] = {}
    parked_steps: dict[str, list[int]] = {}
    picks_after_retirement = Counter()
    for step in range(1, 201):
        chosen = curriculum.select(4)
        picks_after_retirement.update(t.key for t in chosen if t.key in retired_at)
        curriculum.update(student.attempt(chosen))
        for task in tasks:
            if curriculum.status(task.key) == "retired":
                retired_at.setdefault(task.key, step)
            if curriculum.status(task.key) == "parked":
                parked_steps.setdefault(task.key, []).append(step)
    mastered = {t.key for t in tasks if table[t.key] == 1.0}
    hopeless = {t.key for t in tasks if table[t.key] == 0.0}
    assert set(retired_at) == mastered
    assert not picks_after_retirement  # active tasks remained, so retired ones were never drawn again
    assert set(parked_steps) == hopeless
    for steps in parked_steps.values():
        # Parked for revisit_after steps at a time, then tried again and parked again.
        stretches = _stretches(steps)
        assert len(stretches) >= 3
        assert all(length == 40 for length in stretches[:-1])
    assert counts(curriculum)["active"] >= 8  # the learning tasks are never retired or parked


def _stretches(steps):
    """Lengths of runs of consecutive step numbers."""
    lengths = [1]
    for previous, current in pairwise(steps):
        if current == previous + 1:
            lengths[-1] += 1
        else:
            lengths.append(1)
    return lengths


def test_never_starves_when_everything_is_retired_or_off_the_band():
    tasks = make_tasks([1, 2, 3])
    mastered = AdaptiveCurriculum(tasks, min_attempts=1)
    mastered.update(Student({t.key: 1.0 for t in tasks}, exact=True).attempt(tasks))
    assert counts(mastered)["retired"] == 3
    assert len(mastered.select(5)) == 5
    assert {t.key for t in mastered.select(3)} == {t.key for t in tasks}

    above = AdaptiveCurriculum(tasks, min_attempts=1)
    above.update(Student({t.key: 0.9 for t in tasks}, exact=True).attempt(tasks))
    assert counts(above) == {"active": 3, "in_band": 0, "unseen": 0, "retired": 0, "parked": 0}
    assert {t.key for t in above.select(3)} == {t.key for t in tasks}


def test_retiring_and_parking_can_be_switched_off():
    tasks = make_tasks([1, 2])
    curriculum = AdaptiveCurriculum(tasks, min_attempts=1, retire_at=None, park_at=None)
    student = Student({"p0/python": 1.0, "p1/python": 0.0}, exact=True)
    for _ in range(10):
        curriculum.update(student.attempt(tasks))
    assert counts(curriculum) == {"active": 2, "in_band": 0, "unseen": 0, "retired": 0, "parked": 0}
