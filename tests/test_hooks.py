"""One test per hook: each hook is called by the core with the documented arguments.

tests/test_docs.py checks that every hook in codekiln.hookspecs has a ``test_hook_<name>`` here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codekiln import hookimpl
from codekiln.curricula import Curriculum, Task
from codekiln.datasets import DatasetLoader, load_dataset
from codekiln.errors import RegistryError
from codekiln.languages import Availability, CompileResult, LanguageBackend
from codekiln.problem import Problem
from codekiln.rewards import Reward


class ToyBackend(LanguageBackend):
    name = "toylang"
    aliases = ("toy",)
    file_extension = ".toy"

    def tree_sitter_language(self):
        import tree_sitter
        import tree_sitter_python

        return tree_sitter.Language(tree_sitter_python.language())

    def available(self) -> Availability:
        return Availability(ok=True, version="1.0")

    def compile(self, source, problem, runner):
        return CompileResult(ok=True)

    def run_signature_tests(self, source, compiled, problem, runner):
        raise NotImplementedError


class LengthReward(Reward):
    name = "toy_length"

    def __init__(self, limit: int = 10) -> None:
        self.limit = limit

    def __call__(self, completions, **_):
        return [1.0 if len(c) <= self.limit else 0.0 for c in completions]


class FirstCurriculum(Curriculum):
    name = "toy_first"

    def select(self, n):
        return self.tasks[:n]


class ToyDataset(DatasetLoader):
    name = "toy"
    needs_path = False

    def load(self, path):
        return [Problem(id="toy-1", description="say hi")]


class ToyPlugin:
    @hookimpl
    def codekiln_register_languages(self, registry):
        registry.register(ToyBackend())

    @hookimpl
    def codekiln_register_rewards(self, registry):
        registry.register(LengthReward)

    @hookimpl
    def codekiln_register_curricula(self, registry):
        registry.register(FirstCurriculum)

    @hookimpl
    def codekiln_register_datasets(self, registry):
        registry.register(ToyDataset)


def test_hook_codekiln_register_languages(codekiln_plugins, register_plugin):
    with register_plugin(ToyPlugin(), name="toy"):
        languages = codekiln_plugins.languages()
        assert languages.get("toy") is languages.get("toylang")
        assert languages.owner("toylang") == "toy"
    assert "toylang" not in codekiln_plugins.languages()


def test_hook_codekiln_register_rewards(codekiln_plugins, register_plugin):
    with register_plugin(ToyPlugin(), name="toy"):
        reward = codekiln_plugins.rewards().create("toy_length", limit=3)
        assert reward(["abc", "abcd"]) == [1.0, 0.0]
        with pytest.raises(RegistryError, match=r"toy_length.*bad parameters"):
            codekiln_plugins.rewards().create("toy_length", limt=3)


def test_hook_codekiln_register_curricula(codekiln_plugins, register_plugin):
    tasks = [Task(Problem(id=str(i), description=""), "python") for i in range(3)]
    with register_plugin(ToyPlugin(), name="toy"):
        curriculum = codekiln_plugins.curricula().create("toy_first", tasks=tasks, seed=0)
        assert [task.key for task in curriculum.select(2)] == ["0/python", "1/python"]


def test_hook_codekiln_register_datasets(codekiln_plugins, register_plugin):
    with register_plugin(ToyPlugin(), name="toy"):
        assert [p.id for p in load_dataset("toy", codekiln_plugins.datasets())] == ["toy-1"]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    @hookimpl
    def codekiln_training_started(self, run_dir, config):
        self.calls.append(("started", run_dir, config))

    @hookimpl
    def codekiln_step_finished(self, step, metrics):  # declares only what it uses
        self.calls.append(("step", step, dict(metrics)))

    @hookimpl
    def codekiln_checkpoint_saved(self, step, path):
        self.calls.append(("checkpoint", step, path))

    @hookimpl
    def codekiln_training_finished(self, metrics):
        self.calls.append(("finished", dict(metrics)))

    @hookimpl
    def codekiln_evaluation_finished(self, name, metrics):
        self.calls.append(("evaluation", name, dict(metrics)))


def test_hook_codekiln_training_started(codekiln_plugins, register_plugin, tmp_path):
    recorder = Recorder()
    with register_plugin(recorder, name="recorder"):
        codekiln_plugins.notify("codekiln_training_started", run_dir=tmp_path, config={"seed": 1}, start_step=1)
    assert recorder.calls == [("started", tmp_path, {"seed": 1})]


def test_hook_codekiln_step_finished(codekiln_plugins, register_plugin, tmp_path):
    recorder = Recorder()
    with register_plugin(recorder, name="recorder"):
        codekiln_plugins.notify("codekiln_step_finished", run_dir=tmp_path, step=3, metrics={"reward/total": 0.5})
    assert recorder.calls == [("step", 3, {"reward/total": 0.5})]
    # The built-in JSONL logger got the same call.
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["reward/total"]) for r in rows] == [(3, 0.5)]


def test_hook_codekiln_checkpoint_saved(codekiln_plugins, register_plugin, tmp_path):
    recorder = Recorder()
    with register_plugin(recorder, name="recorder"):
        codekiln_plugins.notify("codekiln_checkpoint_saved", run_dir=tmp_path, step=7, path=tmp_path / "ckpt-7")
    assert recorder.calls == [("checkpoint", 7, tmp_path / "ckpt-7")]


def test_hook_codekiln_training_finished(codekiln_plugins, register_plugin, tmp_path):
    recorder = Recorder()
    with register_plugin(recorder, name="recorder"):
        codekiln_plugins.notify("codekiln_training_finished", run_dir=tmp_path, metrics={"pass_rate": 1.0})
    assert recorder.calls == [("finished", {"pass_rate": 1.0})]


def test_hook_codekiln_evaluation_finished(codekiln_plugins, register_plugin, tmp_path):
    recorder = Recorder()
    with register_plugin(recorder, name="recorder"):
        codekiln_plugins.notify(
            "codekiln_evaluation_finished", run_dir=tmp_path, name="after_sft", metrics={"pass@1": 0.25}
        )
    assert recorder.calls == [("evaluation", "after_sft", {"pass@1": 0.25})]
    row = json.loads(Path(tmp_path / "evaluations.jsonl").read_text())
    assert (row["name"], row["pass@1"]) == ("after_sft", 0.25)


def test_a_failing_lifecycle_hook_is_reported_and_the_others_still_run(tmp_path):
    from codekiln.plugins import make_plugins, registered

    warnings: list[str] = []
    plugins = make_plugins(autoload=False, warn=warnings.append)

    class Broken:
        @hookimpl
        def codekiln_step_finished(self, step):
            raise RuntimeError("disk full")

    recorder = Recorder()
    with registered(plugins, Broken(), "broken"), registered(plugins, recorder, "recorder"):
        plugins.notify("codekiln_step_finished", run_dir=tmp_path, step=1, metrics={})
    assert recorder.calls == [("step", 1, {})]
    assert warnings == ["plugin 'broken' failed in codekiln_step_finished: RuntimeError: disk full"]
