"""A run resumed from a damaged checkpoint or log stops with one line naming the file and what to do; a log
line torn by a kill mid-write is dropped (its step comes after the checkpoint, and the resumed run logs it again)."""

from __future__ import annotations

import json
import shutil

import pytest

from codekiln.config import load_config
from codekiln.errors import DataError
from codekiln.plugins import make_plugins
from codekiln.train.checkpoint import latest_checkpoint
from codekiln.train.trainer import train

pytest.importorskip("torch", reason="the train extra is not installed (pip install 'codekiln[train]')")

SETTINGS = ["sft.epochs=1", "grpo.checkpoint_every=1", "eval.enabled=false", "verifier.workers=1"]


def _train(tiny_run, run_dir, *extra, resume=False):
    return train(load_config(None, tiny_run(*SETTINGS, *extra, run_dir=run_dir)), make_plugins(),
                 show_progress=False, resume=resume)


@pytest.fixture(scope="module")
def one_step_run(tmp_path_factory):
    """Where a run of one GRPO step is trained once, by the first test that asks (``tiny_run`` is per test):
    without its final model it is a run killed after that step, and resumed with grpo.steps=2 it loads
    training.pt."""
    return tmp_path_factory.mktemp("resume") / "run"


@pytest.fixture
def damaged(tiny_run, one_step_run, tmp_path):
    if not one_step_run.exists():
        _train(tiny_run, one_step_run, "grpo.steps=1")
        shutil.rmtree(one_step_run / "final")
    copy = tmp_path / "copy"
    shutil.copytree(one_step_run, copy)
    return copy, latest_checkpoint(copy)


def _torn(run_dir, checkpoint):
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"step": 99, "reward/to')


@pytest.mark.parametrize(("damage", "message"), [
    (lambda run, ckpt: (ckpt / "training.pt").write_bytes((ckpt / "training.pt").read_bytes()[:1000]),
     r"training\.pt: cannot load the checkpoint \(.*\); delete .*step-\d+ to resume from the checkpoint before it$"),
    (lambda run, ckpt: (ckpt / "state.json").write_text('{"phase": "grpo"'),
     r"state\.json: cannot read the checkpoint's state \(.*\); delete .*step-\d+ to resume"),
    (lambda run, ckpt: (ckpt / "state.json").write_text('{"phase": "grpo"}'),
     r"state\.json: field 'global_step' is missing or not an integer: not a state this version of codekiln"),
    (lambda run, ckpt: (run / "metrics.jsonl").write_text('{"step": 1}\nnot json\n{"step": 2}\n'),
     r"metrics\.jsonl:2: not a log row with an integer 'step'; fix or delete that line, then resume$"),
], ids=["truncated-training-pt", "malformed-state", "old-state", "bad-log-line"])
def test_a_damaged_checkpoint_or_log_is_one_line_naming_the_file(tiny_run, damaged, damage, message):
    run_dir, checkpoint = damaged
    damage(run_dir, checkpoint)
    with pytest.raises(DataError, match=message) as info:
        _train(tiny_run, run_dir, "grpo.steps=2", resume=True)
    assert "\n" not in str(info.value)
    assert checkpoint.is_dir()  # nothing deleted: the user decides


def test_a_torn_last_log_line_is_dropped_and_the_run_resumes(tiny_run, damaged):
    run_dir, checkpoint = damaged
    logged = (run_dir / "metrics.jsonl").read_text()
    _torn(run_dir, checkpoint)
    _train(tiny_run, run_dir, "grpo.steps=2", resume=True)
    text = (run_dir / "metrics.jsonl").read_text()
    assert text.startswith(logged)  # every whole row the killed run logged is kept
    assert [json.loads(line)["step"] for line in text[len(logged):].splitlines()] == [5]
    assert (run_dir / "final").is_dir()


def test_a_resumed_run_keeps_one_row_of_each_evaluation_its_checkpoint_holds(tmp_path):
    """Killed after its first evaluation and before a checkpoint, a run evaluates again on resume: evaluations.jsonl
    must not hold that evaluation twice (summary.md shows it once), nor what the killed run did after it."""
    from codekiln.train.trainer import _keep_evaluations

    path = tmp_path / "evaluations.jsonl"
    rows = [{"name": "before_sft", "pass_rate": 0.0}, {"name": "after_sft", "pass_rate": 0.5},
            {"name": "before_sft", "pass_rate": 0.0}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + '{"name": "after_gr')
    _keep_evaluations(path, {"before_sft": {}})
    assert [json.loads(line)["name"] for line in path.read_text().splitlines()] == ["before_sft"]
