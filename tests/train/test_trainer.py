"""The trainer end to end on the embedded default: the run directory, resume after SIGKILL, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import codekiln
from codekiln.config import load_config
from codekiln.errors import CodekilnError, ConfigError, DataError
from codekiln.plugins import make_plugins
from codekiln.train.trainer import train

GRPO_KEYS = {
    "reward/total", "reward/all_tests", "reward/tests", "reward/compiles", "reward/syntax",
    "pass_rate", "pass_rate/python", "compile_rate/python", "syntax_error_rate/python", "timeout_rate/python",
    "clip_fraction", "entropy", "completion_length/mean", "tokens_per_s",
    "time/generate", "time/verify", "time/train", "lr",
}


def _rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def _run(overrides, **kwargs):
    return train(load_config(None, overrides), make_plugins(), show_progress=False, **kwargs)


def test_two_grpo_steps_write_a_complete_run_directory(tiny_run, tmp_path):
    result = _run(tiny_run())
    run_dir = result.run_dir

    assert set(result.evaluations) == {"before_sft", "after_sft", "after_grpo"}
    for metrics in result.evaluations.values():
        assert 0.0 <= metrics["pass_rate/python"] <= 1.0
        assert metrics["problems"] == 12  # difficulty-1 problems, train and validation ("all")
        # A dataset that declares no splits is cut into train and validation, each reported apart.
        assert {"pass_rate/split/train", "pass_rate/split/validation"} <= set(metrics)

    rows = _rows(run_dir)
    sft_rows = [r for r in rows if "sft/loss" in r]
    grpo_rows = [r for r in rows if "reward/total" in r]
    assert sft_rows and len(grpo_rows) == 2
    missing = GRPO_KEYS - set(grpo_rows[0])
    assert not missing, missing
    assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
    assert [r["grpo/step"] for r in grpo_rows] == [1.0, 2.0]

    assert load_config(run_dir / "config.yaml").grpo.steps == 2
    assert list((run_dir / "tensorboard").iterdir())
    assert (run_dir / "plot.png").read_bytes().startswith(b"\x89PNG")
    summary = (run_dir / "summary.md").read_text()
    for name in ("before_sft", "after_sft", "after_grpo"):
        assert name in summary
    import torch
    import transformers

    # The versions the run computed with; vLLM only where it generated (here the HF backend did).
    assert f"| packages | codekiln {codekiln.__version__}, torch {torch.__version__}, " \
           f"transformers {transformers.__version__} |" in summary
    evaluations = [json.loads(line)["name"] for line in (run_dir / "evaluations.jsonl").read_text().splitlines()]
    assert evaluations == ["before_sft", "after_sft", "after_grpo"]
    choices = [json.loads(line) for line in (run_dir / "curriculum.jsonl").read_text().splitlines()]
    assert [c["step"] for c in choices] == [1, 2]

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(run_dir / "final")
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "final")
    assert model.config.hidden_size // model.config.num_attention_heads >= 32
    assert tokenizer.decode(tokenizer("def f(x):\n    return x")["input_ids"]) == "def f(x):\n    return x"


def _comparable(rows: list[dict]) -> list[dict]:
    """The metrics a resumed run must reproduce: everything but clocks and speeds."""
    drop = ("time", "step_seconds", "tokens_per_s", "sft/tokens_per_s")
    return [{k: v for k, v in row.items() if not k.startswith(drop)} for row in rows]


@pytest.mark.parametrize(("steps", "phase", "counter", "at"), [
    # With the SFT term on: its references are drawn per step, so a resumed run draws the same ones.
    (["grpo.steps=4", "grpo.checkpoint_every=2", "eval.enabled=false", "grpo.sft_coef=0.5"], "grpo", "grpo_step", 2),
    (["sft.epochs=8", "sft.checkpoint_every=2", "grpo.steps=1", "eval.enabled=false"], "sft", "sft_epoch", 2),
], ids=["during-grpo", "during-sft"])
def test_a_run_killed_with_sigkill_resumes_to_the_same_metrics(tiny_run, tmp_path, steps, phase, counter, at):
    uninterrupted = _run(tiny_run(*steps, run_dir=tmp_path / "whole")).run_dir

    killed_dir = tmp_path / "killed"
    command = [sys.executable, "-m", "codekiln", "train", "--no-progress", *tiny_run(*steps, run_dir=killed_dir)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not any(state.get(counter, 0) >= at for state in _checkpoint_states(killed_dir)):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, f"no checkpoint at {counter} {at} within 10 minutes"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert not (killed_dir / "final").exists()
    assert max(_checkpoint_states(killed_dir), key=lambda state: state["global_step"])["phase"] == phase

    _run(tiny_run(*steps, run_dir=killed_dir), resume=True)
    assert _comparable(_rows(killed_dir)) == _comparable(_rows(uninterrupted))
    grpo_rows = [row for row in _rows(killed_dir) if "reward/total" in row]
    assert all(("sft_loss" in row) == (phase == "grpo") for row in grpo_rows)
    assert (killed_dir / "final" / "config.json").exists()


def _checkpoint_states(run_dir: Path) -> list[dict]:
    folder = run_dir / "checkpoints"
    if not folder.is_dir():
        return []
    states = []
    for checkpoint in folder.glob("step-*"):
        try:
            states.append(json.loads((checkpoint / "state.json").read_text()))
        except FileNotFoundError:  # pruned while we looked
            continue
    return states


def test_an_existing_run_directory_is_not_overwritten_silently(tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    for name, text in (("config.yaml", "seed: 0\n"), ("metrics.jsonl", "")):
        (run_dir / name).write_text(text)
    with pytest.raises(ConfigError, match="already holds a run: continue it with --resume"):
        _run(tiny_run())
    assert (run_dir / "config.yaml").read_text() == "seed: 0\n"


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_directory_that_is_not_a_run_is_never_deleted(tiny_run, tmp_path, overwrite):
    """--overwrite deletes the run directory: never a folder of someone's files (run_dir: . in a project)."""
    run_dir = tmp_path / "run"
    (run_dir / "src").mkdir(parents=True)
    (run_dir / "src" / "notes.txt").write_text("mine")
    (run_dir / "config.yaml").write_text("a project's own config\n")
    with pytest.raises(ConfigError, match="holds files that are not a codekiln run: pick another"):
        _run(tiny_run(), overwrite=overwrite)
    assert (run_dir / "src" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(("override", "error", "message"), [
    ("model.path=/no/such/model", ConfigError, "no such directory"),
    ("data.languages=[cobol]", CodekilnError, "unknown language 'cobol'"),
    ("grpo.group_size=1", ConfigError, "needs at least 2"),
])
def test_bad_input_fails_with_one_clear_line(tiny_run, override, error, message):
    with pytest.raises(error, match=message) as caught:
        _run(tiny_run(override))
    assert "\n" not in str(caught.value)


def test_a_dataset_empty_after_filtering_is_refused(tiny_run, tmp_path):
    problems = tmp_path / "hard.jsonl"
    problems.write_text(json.dumps({
        "id": "hard_one", "description": "Return x.", "difficulty": 5,
        "signature": {"name": "ident", "params": [{"name": "x", "type": "int"}], "returns": "int"},
        "tests": [{"args": [1], "expected": 1}],
    }) + "\n")
    with pytest.raises(DataError, match="no problems left to train on"):
        _run(tiny_run(f"data.dataset=jsonl:{problems}"))


def _tagged_problem(problem_id: str, split: str | None, reference: bool) -> dict:
    row = {"id": problem_id, "description": "Return x plus one.", "tags": [f"split:{split}"] if split else [],
           "signature": {"name": "inc", "params": [{"name": "x", "type": "int"}], "returns": "int"},
           "tests": [{"args": [1], "expected": 2}, {"args": [-3], "expected": -2}]}
    if reference:
        row["references"] = {"python": "def inc(x):\n    return x + 1\n"}
    return row


def test_a_dataset_that_declares_splits_trains_and_reports_by_them(tiny_run, tmp_path):
    """SFT learns from the sft split, GRPO samples only the rl split, the rest is held out, and every
    evaluation reports each split apart (pass_rate/split/<name>)."""
    problems = tmp_path / "split.jsonl"
    rows = [_tagged_problem("sft_a", "sft", True), _tagged_problem("sft_b", "sft", True),
            _tagged_problem("rl_a", "rl", False), _tagged_problem("rl_b", "rl", False),
            _tagged_problem("kept_a", "heldout", False)]
    problems.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = _run(tiny_run(f"data.dataset=jsonl:{problems}", "data.validation_fraction=0.9"))

    splits = {"pass_rate/split/sft", "pass_rate/split/rl", "pass_rate/split/heldout"}
    for metrics in result.evaluations.values():
        assert splits <= set(metrics) and metrics["problems"] == 5
    chosen = {task for line in (result.run_dir / "curriculum.jsonl").read_text().splitlines()
              for task in json.loads(line)["chosen"]}
    assert chosen and all("rl_" in task for task in chosen), chosen
    summary = (result.run_dir / "summary.md").read_text()
    assert "| split sft | split rl | split heldout |" in summary
    assert "| sft tasks | 2 |" in summary and "| heldout tasks | 1 |" in summary


def test_a_dataset_declaring_splits_for_some_problems_only_is_refused(tiny_run, tmp_path):
    problems = tmp_path / "mixed.jsonl"
    rows = [_tagged_problem("sft_a", "sft", True), _tagged_problem("loose", None, True)]
    problems.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(DataError, match=r"some problems declare a split .* such as 'loose'"):
        _run(tiny_run(f"data.dataset=jsonl:{problems}"))


def test_an_sft_term_without_references_is_refused_before_any_work(tiny_run, tmp_path):
    problems = tmp_path / "no_references.jsonl"
    rows = [_tagged_problem("sft_a", "sft", False), _tagged_problem("rl_a", "rl", False)]
    problems.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(DataError, match=r"grpo.sft_coef is 0.5, but no problem .* has a reference solution in "
                                        r"python \(set grpo.sft_coef=0\)"):
        _run(tiny_run(f"data.dataset=jsonl:{problems}", "sft.enabled=false", "grpo.sft_coef=0.5"))
    assert not (tmp_path / "run").exists()


def test_the_cli_prints_one_line_for_a_missing_model(tiny_run):
    process = subprocess.run([sys.executable, "-m", "codekiln", "train", *tiny_run("model.path=/no/such/model")],
                             capture_output=True, text=True)
    assert process.returncode == 2
    assert process.stderr.strip().count("\n") == 0, process.stderr
    assert "model.path" in process.stderr


@pytest.mark.parametrize(("example", "rewards"), [
    ("train_config.yaml", ["all_tests", "tests", "format", "length"]),
    ("gpu_coder_config.yaml", ["all_tests", "tests", "compiles", "syntax"]),
])
def test_the_documented_configs_are_valid_and_name_registered_plugins(example, rewards):
    config = load_config(Path(__file__).parents[2] / "docs" / "examples" / example)
    plugins = make_plugins()
    from codekiln.rewards import RewardSet

    assert RewardSet.from_config(config, plugins).names == rewards
    assert config.curriculum.name in plugins.curricula()
    assert config.data.dataset.split("?")[0] in plugins.datasets()
    for language in config.data.languages:
        plugins.languages().get(language)
