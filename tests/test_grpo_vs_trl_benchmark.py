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
