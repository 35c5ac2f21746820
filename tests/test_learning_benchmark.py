"""benchmarks/learning.py keeps working: one tiny real run read back per split, and the arithmetic of its table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .script_support import BENCHMARKS, load_module

SCRIPT = BENCHMARKS / "learning.py"


def _module():
    return load_module(SCRIPT, "learning_benchmark")


def _run(seed: int, after_sft: float, after_grpo: float) -> dict:
    rows = {"before_sft": {"pass_rate/split/rl": 0.0}, "after_sft": {"pass_rate/split/rl": after_sft},
            "after_grpo": {"pass_rate/split/rl": after_grpo}}
    return {"seed": seed, "seconds": 1.0, "evaluations": rows}


def test_the_table_gives_each_splits_mean_spread_and_grpo_gain():
    table = _module().split_table([_run(0, 0.10, 0.30), _run(1, 0.20, 0.25)])
    rl = table["rl"]
    assert rl["after_sft"]["mean"] == pytest.approx(15.0) and rl["after_sft"]["std"] == pytest.approx(7.0711, abs=1e-3)
    assert rl["gain"]["values"] == pytest.approx([20.0, 5.0])
    assert rl["gain"]["mean"] == pytest.approx(12.5) and rl["gain"]["min"] == pytest.approx(5.0)


@pytest.mark.slow
def test_a_tiny_run_is_read_back_per_split(tmp_path, model_cache):
    overrides = [f"model.cache_dir={model_cache}",
                 "data.dataset=families?per_family=3&rl=0.34&heldout=0.34", "data.languages=[python]",
                 "sft.epochs=1", "grpo.steps=1", "grpo.prompts_per_step=2", "grpo.group_size=2",
                 "generation.max_new_tokens=16", "generation.backend=hf", "verifier.workers=2"]
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "1", "--first-seed", "3", "--json",
                           "--out", str(tmp_path), *overrides], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert [run["seed"] for run in report["runs"]] == [3]
    assert set(report["splits"]) == {"sft", "rl", "heldout", "heldout_families"}
    for entry in report["splits"].values():
        assert set(entry) == {"before_sft", "after_sft", "after_grpo", "gain"}
        assert entry["gain"]["values"] == [pytest.approx(entry["after_grpo"]["mean"] - entry["after_sft"]["mean"])]
    assert (tmp_path / "seed-3" / "summary.md").is_file()
    # Read back without running: the same figures and the wall time this script measured.
    again = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "1", "--first-seed", "3", "--json", "--read",
                            "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    read = json.loads(again.stdout)
    assert read["splits"] == report["splits"] and read["runs"][0]["seconds"] == report["runs"][0]["seconds"] > 0


def test_a_failing_run_stops_with_its_last_lines(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "1", "--out", str(tmp_path), "grpo.nope=1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "seed 0 failed (exit 2)" in done.stderr and "grpo.nope" in done.stderr


def test_reading_runs_that_are_not_there_says_which(tmp_path):
    (tmp_path / "seed-0").mkdir()
    (tmp_path / "seed-0" / "evaluations.jsonl").write_text(json.dumps({"name": "before_sft"}) + "\n")
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "2", "--read", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "the run of seed 0" in done.stderr and "has not finished" in done.stderr
    (tmp_path / "seed-0" / "summary.md").write_text("# codekiln run summary\n")  # what a finished run writes last
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "2", "--read", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "no run of seed 1" in done.stderr
    done = subprocess.run([sys.executable, str(SCRIPT), "--read"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--read needs --out" in done.stderr
