"""What every built-in curriculum promises: registration, determinism, save/restore through JSON, metrics,
and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest

from codekiln.builtin import curricula as builtin_curricula
from codekiln.curricula import Outcome, Task
from codekiln.errors import ConfigError, DataError, RegistryError
from codekiln.plugins import make_plugins
from codekiln.problem import Problem
from codekiln.registry import CurriculumRegistry

from .simulate import Student, keys, make_tasks, run

LANGUAGES = ("cpp", "python")
# Every scheduler, with parameters small enough that its state changes within a short simulation.
SCHEDULERS = {
    "uniform": {},
    "ordered": {"window": 6, "min_steps": 2, "promote_at": 0.5},
    "adaptive": {"window": 4, "min_attempts": 2, "revisit_after": 5},
    "language_mix": {"weights": {"python": 2}, "base": "adaptive", "base_params": {"min_attempts": 2, "window": 3}},
    "language_mix/ordered": {"base": "ordered", "base_params": {"window": 4, "min_steps": 1}},
}


@pytest.fixture(scope="module")
def curricula():
    """The registry the trainer creates curricula from, filled by the built-in plugin's hook."""
    registry = CurriculumRegistry()
    builtin_curricula.codekiln_register_curricula(registry)
    return registry


@pytest.fixture
def tasks():
    return make_tasks([1, 1, 1, 2, 2, 3, 3, 4, 5, 5], LANGUAGES)


def student_for(tasks, seed=0):
    # Easy problems are mostly solved, hard ones rarely; some tasks always or never pass.
    table = {t.key: [1.0, 0.9, 0.5, 0.2, 0.0][t.problem.difficulty - 1] for t in tasks}
    return Student(table, learn=0.02, seed=seed)


def create(curricula, scheduler, tasks, seed=0):
    name = scheduler.split("/")[0]
    return curricula.create(name, tasks=tasks, seed=seed, **SCHEDULERS[scheduler])


def test_the_builtins_are_registered():
    curricula = make_plugins(autoload=False, warn=lambda line: None).curricula()
    assert {"uniform", "ordered", "adaptive", "language_mix"} <= set(curricula.names())
    assert curricula.owner("adaptive") == "builtin.curricula"


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_selection_is_determined_by_seed_and_updates(curricula, scheduler, tasks):
    first = run(create(curricula, scheduler, tasks, seed=7), student_for(tasks), steps=30, n=5)
    second = run(create(curricula, scheduler, tasks, seed=7), student_for(tasks), steps=30, n=5)
    other_seed = run(create(curricula, scheduler, tasks, seed=8), student_for(tasks), steps=30, n=5)
    assert keys(first) == keys(second)
    assert keys(first) != keys(other_seed)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("steps_before", [0, 1, 17, 40])
def test_restored_from_json_selects_what_the_original_would(curricula, scheduler, tasks, steps_before):
    original = create(curricula, scheduler, tasks, seed=3)
    run(original, student_for(tasks, seed=1), steps=steps_before, n=4)
    saved = json.dumps(original.state_dict())  # strict JSON: no tuples-as-keys, sets or objects

    restored = create(curricula, scheduler, tasks, seed=99)
    restored.load_state_dict(json.loads(saved))
    assert restored.describe() == original.describe()
    assert restored.metrics() == original.metrics()
    # The same outcomes from here on must give the same choices, step after step.
    assert keys(run(restored, student_for(tasks, seed=2), steps=25, n=4)) == keys(
        run(original, student_for(tasks, seed=2), steps=25, n=4)
    )
    assert json.dumps(restored.state_dict()) == json.dumps(original.state_dict())


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_select_returns_tasks_of_the_run_even_when_asked_for_more_than_exist(curricula, scheduler):
    tasks = make_tasks([1, 2], LANGUAGES)
    curriculum = create(curricula, scheduler, tasks)
    for _ in range(3):
        chosen = curriculum.select(9)
        assert len(chosen) == 9
        assert all(isinstance(task, Task) and task in tasks for task in chosen)
        curriculum.update(student_for(tasks).attempt(chosen))
    assert curriculum.select(0) == []


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_metrics_are_numbers_and_the_description_one_line(curricula, scheduler, tasks):
    curriculum = create(curricula, scheduler, tasks)
    run(curriculum, student_for(tasks), steps=10, n=4)
    metrics = curriculum.metrics()
    assert metrics and all(name.startswith("curriculum/") for name in metrics)
    assert all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in metrics.values())
    description = curriculum.describe()
    assert description and "\n" not in description


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_outcomes_of_unknown_tasks_and_of_no_samples_are_ignored(curricula, scheduler, tasks):
    plain, noisy = create(curricula, scheduler, tasks), create(curricula, scheduler, tasks)
    student = student_for(tasks)
    for _ in range(20):
        chosen = plain.select(4)
        assert noisy.select(4) == chosen
        outcomes = student.attempt(chosen)
        plain.update(outcomes)
        noisy.update([*outcomes, Outcome("p0", "rust", 1.0), Outcome("nope", "python", 0.0),
                      Outcome("p9", "python", 0.0, samples=0)])
    assert plain.state_dict() == noisy.state_dict()


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_a_checkpoint_for_other_tasks_is_refused(curricula, scheduler, tasks):
    state = json.loads(json.dumps(create(curricula, scheduler, tasks).state_dict()))
    fewer = create(curricula, scheduler, tasks[:-2])
    with pytest.raises(DataError, match=r"checkpoint was saved for a different set of tasks"):
        fewer.load_state_dict(state)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_no_tasks_or_duplicate_tasks_are_data_errors(curricula, scheduler):
    name = scheduler.split("/")[0]
    with pytest.raises(DataError, match=rf"curriculum '{name}': no tasks"):
        create(curricula, scheduler, [])
    problem = Problem(id="twice", description="")
    with pytest.raises(DataError, match=r"task 'twice/python' appears twice"):
        create(curricula, scheduler, [Task(problem, "python"), Task(problem, "python")])


@pytest.mark.parametrize("name", ["uniform", "ordered", "adaptive", "language_mix"])
def test_an_unknown_parameter_is_named(curricula, name, tasks):
    with pytest.raises(RegistryError, match=rf"curriculum '{name}': bad parameters .*'promote_after'"):
        curricula.create(name, tasks=tasks, promote_after=3)


BAD_PARAMS = [
    ("ordered", {"promote_at": 1.5}, r"'ordered': promote_at: must be between 0 and 1, got 1.5"),
    ("ordered", {"window": 0}, r"'ordered': window: must be at least 1, got 0"),
    ("ordered", {"min_steps": "ten"}, r"'ordered': min_steps: expected an integer, got 'ten'"),
    ("ordered", {"focus": True}, r"'ordered': focus: expected a number, got True"),
    ("adaptive", {"low": 0.9, "high": 0.8}, r"'adaptive': low: the band's low end \(0.9\) is above its high end"),
    ("adaptive", {"min_attempts": 9, "window": 8}, r"'adaptive': min_attempts: 9 exceeds window \(8\)"),
    ("adaptive", {"retire_at": 0.5}, r"'adaptive': retire_at: must be between 0.8 and 1, got 0.5"),
    ("adaptive", {"park_at": 0.3}, r"'adaptive': park_at: must be between 0 and 0.2, got 0.3"),
    ("adaptive", {"revisit_after": 0}, r"'adaptive': revisit_after: must be at least 1"),
    ("adaptive", {"off_band": -0.1}, r"'adaptive': off_band: must be between 0 and 1"),
    ("language_mix", {"weights": {"python": -1}}, r"'language_mix': weights.python: must be at least 0, got -1"),
    ("language_mix", {"weights": [1, 2]}, r"'language_mix': weights: expected a mapping"),
]


@pytest.mark.parametrize(("name", "params", "message"), BAD_PARAMS)
def test_a_bad_value_is_one_config_error_naming_curriculum_and_parameter(curricula, name, params, message, tasks):
    with pytest.raises(ConfigError, match=rf"^curriculum {message}") as raised:
        curricula.create(name, tasks=tasks, **params)
    assert "\n" not in str(raised.value)


def test_task_and_outcome_keys_match():
    task = Task(Problem(id="sum/two", description=""), "cpp")
    assert task.key == "sum/two/cpp"
    assert Outcome("sum/two", "cpp", 0.5).key == task.key
    outcome = Outcome("sum/two", "cpp", 0.5)
    assert (outcome.samples, outcome.mean_reward) == (1, None)
