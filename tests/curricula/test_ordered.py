"""``ordered``: stages by difficulty, promotion on a full window of good outcomes after min_steps."""

from __future__ import annotations

import pytest

from codekiln.builtin.curricula import OrderedCurriculum
from codekiln.curricula import Outcome
from codekiln.errors import ConfigError

from .simulate import Student, make_tasks


def outcomes(*pairs):
    return [Outcome(problem_id, "python", rate) for problem_id, rate in pairs]


def difficulties(curriculum, n=200):
    return {task.problem.difficulty for task in curriculum.select(n)}


def test_promotion_needs_min_steps_a_full_window_and_its_mean():
    curriculum = OrderedCurriculum(make_tasks([1, 1, 2, 2, 3]), window=4, min_steps=3, promote_at=0.75)
    assert curriculum.stages == [1, 2, 3]
    assert difficulties(curriculum) == {1}
    curriculum.update(outcomes(("p0", 1.0), ("p1", 1.0)))  # window 2/4
    curriculum.update(outcomes(("p0", 0.5), ("p1", 1.0)))  # window full, mean 0.875, but only 2 steps
    assert curriculum.metrics() == {
        "curriculum/stage": 1,
        "curriculum/unlocked": 2,
        "curriculum/stage_pass_rate": 0.875,
    }
    curriculum.update(outcomes(("p0", 0.0)))  # [1, .5, 1, 0]: 0.625
    curriculum.update(outcomes(("p1", 1.0)))  # [.5, 1, 0, 1]: 0.625
    assert curriculum.metrics()["curriculum/stage"] == 1
    assert difficulties(curriculum) == {1}
    curriculum.update(outcomes(("p0", 1.0), ("p1", 1.0)))  # [0, 1, 1, 1]: 0.75 -> stage 2
    assert curriculum.describe() == "stage 2/3 (difficulty ≤ 2), 4/5 tasks unlocked"
    assert difficulties(curriculum) == {1, 2}

    # Outcomes of older stages' tasks do not count towards the next promotion.
    curriculum.update(outcomes(("p0", 1.0), ("p1", 1.0), ("p0", 1.0), ("p1", 1.0)))
    assert curriculum.metrics() == {"curriculum/stage": 2, "curriculum/unlocked": 4}
    curriculum.update(outcomes(("p2", 1.0), ("p3", 1.0)))
    assert curriculum.describe() == (
        "stage 2/3 (difficulty ≤ 2), 4/5 tasks unlocked, pass rate 1.00 over 2/4 recent outcomes"
    )
    curriculum.update(outcomes(("p2", 1.0), ("p3", 1.0)))  # third step in the stage, window full
    assert curriculum.metrics()["curriculum/stage"] == 3
    # The last stage is final.
    for _ in range(5):
        curriculum.update(outcomes(("p4", 1.0)))
    assert curriculum.metrics()["curriculum/stage"] == 3
    assert difficulties(curriculum) == {1, 2, 3}


def test_configured_stages_unlock_ranges_of_difficulty():
    curriculum = OrderedCurriculum(make_tasks([1, 2, 3, 5]), stages=[2, 5], window=1, min_steps=0)
    assert difficulties(curriculum) == {1, 2}
    curriculum.update(outcomes(("p3", 1.0)))  # not a task of this stage: no promotion
    assert difficulties(curriculum) == {1, 2}
    curriculum.update(outcomes(("p1", 0.6)))
    assert difficulties(curriculum) == {1, 2, 3, 5}


def test_stages_without_tasks_are_passed_through():
    curriculum = OrderedCurriculum(make_tasks([1, 3]), stages=[1, 2, 3, 4], window=1, min_steps=0)
    curriculum.update(outcomes(("p0", 1.0)))
    assert curriculum.describe() == "stage 3/4 (difficulty ≤ 3), 2/2 tasks unlocked"
    # ...and the first stage is the first that has tasks.
    later = OrderedCurriculum(make_tasks([2, 3]), stages=[1, 3])
    assert later.describe() == "stage 2/2 (difficulty ≤ 3), 2/2 tasks unlocked"


@pytest.mark.parametrize(("focus", "expected_new_share"), [(1.0, 1.0), (0.0, 0.25), (0.5, 0.625)])
def test_focus_is_the_share_of_slots_reserved_for_the_new_stage(focus, expected_new_share):
    # Stage 2 adds two tasks to six: a slot draws a new task with probability focus + (1 - focus) * 2/8.
    curriculum = OrderedCurriculum(make_tasks([1] * 6 + [2] * 2), focus=focus, window=1, min_steps=0, promote_at=0)
    curriculum.update(outcomes(("p0", 0.0)))
    picks = [curriculum.select(1)[0].problem.difficulty for _ in range(4000)]
    assert picks.count(2) / len(picks) == pytest.approx(expected_new_share, abs=0.03)


def test_a_step_repeats_no_task_while_others_are_unlocked():
    curriculum = OrderedCurriculum(make_tasks([1] * 6 + [2] * 3), seed=4)
    assert len({task.key for task in curriculum.select(6)}) == 6
    assert {task.key for task in curriculum.select(8)} == {f"p{i}/python" for i in range(6)}


def test_a_learning_student_climbs_every_stage_in_order():
    tasks = make_tasks([d for d in range(1, 6) for _ in range(4)], ("python", "cpp"))
    table = {1: 0.6, 2: 0.4, 3: 0.2, 4: 0.1, 5: 0.0}
    student = Student(lambda task: table[task.problem.difficulty], learn=0.05, seed=3)
    curriculum = OrderedCurriculum(tasks, seed=3, window=16, min_steps=5, promote_at=0.6)
    stages = []
    for _ in range(300):
        stage = curriculum.metrics()["curriculum/stage"]
        chosen = curriculum.select(8)
        assert max(task.problem.difficulty for task in chosen) <= stage  # nothing beyond the unlocked stage
        curriculum.update(student.attempt(chosen))
        stages.append(stage)
    assert stages == sorted(stages)  # never demoted
    assert set(stages) == {1, 2, 3, 4, 5}
    assert stages.count(1) >= 5  # at least min_steps in each stage before the last
    assert all(stages.count(stage) >= 5 for stage in (2, 3, 4))


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([2, 1], r"stages: difficulties must increase and lie in 1-5, got \[2, 1\]"),
        ([1, 6], r"stages: difficulties must increase and lie in 1-5"),
        ([0, 1], r"stages: must be at least 1, got 0"),
        ("1,2", r"stages: expected a non-empty list of difficulties"),
        ([], r"stages: expected a non-empty list of difficulties"),
        ([1], r"stages: no stage unlocks any task \(the easiest task has difficulty 2\)"),
    ],
)
def test_bad_stages(stages, message):
    with pytest.raises(ConfigError, match=rf"^curriculum 'ordered': {message}"):
        OrderedCurriculum(make_tasks([2, 3]), stages=stages)
