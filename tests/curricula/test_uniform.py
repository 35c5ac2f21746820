"""``uniform``: every task once per epoch, whatever the outcomes."""

from __future__ import annotations

from codekiln.builtin.curricula import UniformCurriculum

from .simulate import Student, keys, make_tasks


def test_every_task_once_per_epoch_across_step_boundaries():
    tasks = make_tasks(range(1, 6), ("python", "cpp"))  # 10 tasks
    curriculum = UniformCurriculum(tasks, seed=5)
    steps = [curriculum.select(4) for _ in range(15)]  # 60 picks: six epochs
    picked = keys(steps)
    for epoch in range(6):
        assert sorted(picked[epoch * 10 : epoch * 10 + 10]) == sorted(t.key for t in tasks)
    assert curriculum.metrics() == {"curriculum/epoch": 6}
    assert curriculum.describe() == "epoch 6, 0/10 tasks left in it"
    # Epochs are shuffled afresh, not replayed.
    assert picked[:10] != picked[10:20]


def test_outcomes_change_nothing():
    tasks = make_tasks([1, 2, 3, 4])
    taught, untaught = UniformCurriculum(tasks, seed=1), UniformCurriculum(tasks, seed=1)
    student = Student({t.key: 0.5 for t in tasks})
    for _ in range(20):
        chosen = taught.select(3)
        assert untaught.select(3) == chosen
        taught.update(student.attempt(chosen))
