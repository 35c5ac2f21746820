"""``language_mix``: each language's share of the slots follows its weight; each language has its own base."""

from __future__ import annotations

from collections import Counter

import pytest

from codekiln import hookimpl
from codekiln.builtin.curricula import LanguageMixCurriculum, UniformCurriculum
from codekiln.curricula import Outcome
from codekiln.errors import ConfigError, RegistryError

from .simulate import Student, make_tasks, run

LANGUAGES = ("cpp", "java", "python")


def shares(curriculum, picks=6000, n=6):
    counted = Counter(task.language for _ in range(picks // n) for task in curriculum.select(n))
    return {language: count / picks for language, count in counted.items()}


def test_slots_follow_the_weights_and_unlisted_languages_weigh_one():
    tasks = make_tasks([1, 2, 3], LANGUAGES)
    mix = LanguageMixCurriculum(tasks, seed=1, weights={"python": 2})
    assert mix.weights == {"cpp": 1.0, "java": 1.0, "python": 2.0}
    got = shares(mix)
    for language, expected in {"cpp": 0.25, "java": 0.25, "python": 0.5}.items():
        assert got[language] == pytest.approx(expected, abs=0.03)
    assert mix.describe().startswith("cpp 25%: epoch ")


def test_weight_zero_leaves_a_language_out():
    mix = LanguageMixCurriculum(make_tasks([1, 2], LANGUAGES), weights={"java": 0, "cpp": 3})
    got = shares(mix)
    assert set(got) == {"cpp", "python"}
    assert got["cpp"] == pytest.approx(0.75, abs=0.03)
    assert sorted(mix.bases) == ["cpp", "python"]


def test_each_language_is_scheduled_by_its_own_base():
    # Uniform bases: within each language, every task comes up equally often.
    mix = LanguageMixCurriculum(make_tasks([1, 2, 3, 4], LANGUAGES), seed=2)
    per_task = Counter(task.key for _ in range(300) for task in mix.select(4))
    for language in LANGUAGES:
        counts = [per_task[f"p{i}/{language}"] for i in range(4)]
        assert max(counts) - min(counts) <= 1  # drawn an epoch at a time


def test_outcomes_are_routed_to_their_language():
    tasks = make_tasks([1, 1, 2], ("cpp", "python"))
    mix = LanguageMixCurriculum(tasks, base="ordered", base_params={"window": 2, "min_steps": 2})
    for _ in range(2):  # python solves everything, cpp nothing
        mix.update([Outcome("p0", "python", 1.0), Outcome("p1", "python", 1.0),
                    Outcome("p0", "cpp", 0.0), Outcome("p1", "cpp", 0.0)])
    assert mix.metrics() == {
        "curriculum/cpp/stage": 1,
        "curriculum/cpp/unlocked": 2,
        "curriculum/cpp/stage_pass_rate": 0.0,
        "curriculum/python/stage": 2,
        "curriculum/python/unlocked": 3,
    }
    assert {t.key for t in mix.select(200) if t.language == "cpp"} == {"p0/cpp", "p1/cpp"}
    assert "p2/python" in {t.key for t in mix.select(200)}


def test_bases_see_every_step_even_without_outcomes():
    # An adaptive base counts steps to revisit parked tasks, also in steps that had none of its tasks.
    tasks = make_tasks([1, 2], ("cpp", "python"))
    mix = LanguageMixCurriculum(tasks, base="adaptive", base_params={"min_attempts": 1, "revisit_after": 3})
    mix.update([Outcome("p0", "python", 0.0)])  # parked at step 1
    mix.update([Outcome("p0", "cpp", 0.5)])
    mix.update([Outcome("p1", "cpp", 0.5)])
    assert mix.metrics()["curriculum/python/parked"] == 1
    mix.update([])  # step 4: revisited
    assert mix.metrics()["curriculum/python/parked"] == 0


def test_a_simulated_run_with_adaptive_bases_keeps_the_mix():
    tasks = make_tasks([1] * 10, ("cpp", "python"))
    student = Student(lambda task: 1.0 if task.problem.id in {"p0", "p1"} else 0.5, seed=4)
    mix = LanguageMixCurriculum(tasks, seed=4, weights={"python": 3, "cpp": 1}, base="adaptive",
                                base_params={"min_attempts": 2})
    picks = Counter(task.language for step in run(mix, student, steps=500, n=4) for task in step)
    assert picks["python"] / 2000 == pytest.approx(0.75, abs=0.03)
    assert mix.metrics()["curriculum/python/retired"] == 2
    assert mix.metrics()["curriculum/cpp/retired"] == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"weights": {"rust": 1}}, r"weights: no task is in language 'rust' \(this run's languages: cpp, python\)"),
        ({"weights": {"cpp": 0, "python": 0}}, r"weights: every language has weight 0"),
        ({"weights": {"cpp": "lots"}}, r"weights.cpp: expected a number, got 'lots'"),
        ({"base": "language_mix"}, r"base: language_mix cannot mix itself"),
        ({"base": 3}, r"base: expected a curriculum name, got 3"),
        ({"base_params": {"seed": 1}}, r"base_params: seed cannot be set per base"),
        ({"base": "ordered", "base_params": {"windw": 3}}, r"base_params: curriculum 'ordered': .*'windw'"),
        ({"base": "adaptive", "base_params": {"low": 2}},
         r"base for cpp: curriculum 'adaptive': low: must be between 0 and 1, got 2"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ConfigError, match=rf"^curriculum 'language_mix'.*{message}"):
        LanguageMixCurriculum(make_tasks([1], ("cpp", "python")), **params)


def test_an_unknown_base_lists_the_registered_curricula(codekiln_plugins):
    with pytest.raises(ConfigError, match=r"^curriculum 'language_mix': base: unknown curriculum 'easiest'; "
                                          r"available: .*adaptive.*language_mix.*uniform"):
        codekiln_plugins.curricula().create("language_mix", tasks=make_tasks([1]), base="easiest")
    with pytest.raises(ConfigError, match=r"^curriculum 'language_mix': base: unknown curriculum 'easiest'; "
                                          r"built in: adaptive, ordered, uniform \(a plugin's is found through "
                                          r"curricula=plugins.curricula\(\)\)$"):
        LanguageMixCurriculum(make_tasks([1]), base="easiest")


class Easiest(UniformCurriculum):
    name = "easiest"


class EasiestPlugin:
    @hookimpl
    def codekiln_register_curricula(self, registry):
        registry.register(Easiest)


def test_a_plugins_base_is_found_in_the_session_that_creates_the_mix(codekiln_plugins, register_plugin):
    tasks = make_tasks([1, 2], ("cpp", "python"))
    with register_plugin(EasiestPlugin(), name="easiest"):
        mix = codekiln_plugins.curricula().create("language_mix", tasks=tasks, base="easiest")
    assert {type(base) for base in mix.bases.values()} == {Easiest}
    with pytest.raises(RegistryError, match=r"^curriculum 'language_mix': parameter 'curricula' is set by codekiln"):
        codekiln_plugins.curricula().create("language_mix", tasks=tasks, curricula=None)


def test_a_checkpoint_with_other_languages_mixed_is_refused():
    tasks = make_tasks([1], ("cpp", "python"))
    state = LanguageMixCurriculum(tasks).state_dict()
    with pytest.raises(ConfigError, match=r"weights: the checkpoint mixed cpp, python; this run mixes python"):
        LanguageMixCurriculum(tasks, weights={"cpp": 0}).load_state_dict(state)
