"""benchmarks/grpo_vs_trl.py gives both frameworks the same work: the same torch thread count (codekiln's trainer
otherwise picks its own per phase, every core for the update and half beside the verifier, and leaves torch at
the count of its last phase for TRL's run) and the same samples per step (codekiln's dynamic sampling off)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from .script_support import BENCHMARKS, load_module


def _module():
    return load_module(BENCHMARKS / "grpo_vs_trl.py", "grpo_vs_trl_benchmark")


def _args(**changes) -> argparse.Namespace:
    values = {"torch_threads": 1, "max_new_tokens": 128, "steps": 2, "prompts": 2, "group_size": 2,
              "learning_rate": 1e-4, "micro_batch": 4, **changes}
    return argparse.Namespace(**values)


@pytest.mark.parametrize(("given", "expected"), [(1, 1), (3, 3), (0, os.cpu_count())])
def test_codekilns_run_is_configured_with_the_benchmarks_thread_count(tmp_path, given, expected):
    module = _module()
    setup = SimpleNamespace(model_dir=Path(tmp_path / "model"), dataset_file=Path(tmp_path / "tasks.jsonl"))
    args = _args(torch_threads=given)
    assert module.torch_threads(args) == expected
    config = module.codekiln_config(setup, args, tmp_path / "run")
    assert config.threads == expected
    # TRL has no dynamic sampling: with it codekiln would generate more samples than a step counts.
    assert config.grpo.filter_equal_groups is False


@pytest.mark.parametrize(("codekiln", "trl", "met"), [
    ([0.20, 0.22, 0.24], [0.20, 0.22, 0.24], True),   # the same
    ([0.18, 0.20, 0.22], [0.20, 0.22, 0.24], True),   # 2 points lower, within a spread of 2
    ([0.10, 0.12, 0.14], [0.20, 0.22, 0.24], False),  # 10 points lower, outside it
    ([0.137], [0.216], False),                        # one seed each: no spread to allow
    ([0.25], [0.20], True),
])
def test_the_held_out_goal_allows_the_seeds_spread_and_no_more(codekiln, trl, met):
    assert _module().heldout_goal_met(codekiln, trl) is met


def test_rates_are_over_all_of_a_sides_runs():
    """Samples and tokens over the summed loop time, so a slow seed counts as much as it took."""
    measurement = _module().Measurement("codekiln")
    for samples, tokens, loop_s in ((100, 5000, 10.0), (100, 3000, 30.0)):
        measurement.add({"samples": samples, "tokens": tokens, "loop_s": loop_s, "heldout_pass": 0.1,
                         "phases_s": {"generate": loop_s / 2, "train": loop_s / 2}})
    assert measurement.samples_per_s == pytest.approx(200 / 40)
    assert measurement.tokens_per_s == pytest.approx(8000 / 40)
    assert measurement.phases_s == {"generate": 20.0, "train": 20.0}
    assert measurement.heldout == [0.1, 0.1]


@pytest.mark.parametrize(("argv", "message"), [
    (["--first-seed", "-1"], "--first-seed must be 0 or more"),
    (["--seeds", "0"], "--seeds must be at least 1"),
    (["--prompts", "9", "--prompts-pool", "8"], "--prompts must be at most --prompts-pool"),
])
def test_bad_arguments_are_refused_before_any_work(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _module().main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
