"""benchmarks/gpu_train.py: what it reads from a run, and its refusals (the runs themselves need a GPU)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from safetensors.torch import save_file

from .script_support import BENCHMARKS, load_module

SCRIPT = BENCHMARKS / "gpu_train.py"


def _module():
    return load_module(SCRIPT, "gpu_train_benchmark")


def test_moved_fraction_counts_the_weights_that_changed(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir(), after.mkdir()
    weights = {"a": torch.zeros(3, 2), "b": torch.ones(4)}
    save_file(weights, before / "model.safetensors")
    changed = {"a": torch.tensor([[0.0, 1e-3], [0.0, 0.0], [0.0, 0.0]]), "b": torch.tensor([1.0, 1.0, 2.0, 1.0])}
    save_file(changed, after / "model.safetensors")
    assert _module().moved_fraction(before, after) == pytest.approx(2 / 10)
    assert _module().moved_fraction(before, before) == 0.0


def test_grpo_times_leave_out_the_warm_up_step_and_memory_is_the_peak(tmp_path):
    rows = [{"sft/loss": 1.0, "gpu/max_memory_gb": 0.5}]
    rows += [{"grpo/step": s, "step_seconds": t, "time/generate": t / 2, "time/verify": 0.0, "time/train": t / 2,
              "gpu/max_memory_gb": m} for s, t, m in [(1, 30.0, 2.0), (2, 4.0, 3.0), (3, 6.0, 2.5)]]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    module = _module()
    sft, grpo = module.metrics(tmp_path)
    assert len(sft) == 1 and [r["grpo/step"] for r in grpo] == [1, 2, 3]
    assert module.grpo_times(grpo) == {"step_seconds": 5.0, "time/generate": 2.5, "time/verify": 0.0,
                                       "time/train": 2.5}
    assert module.peak_memory(sft, grpo) == 3.0


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal is for machines without a GPU")
def test_without_a_gpu_it_says_so_on_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "benchmarks/gpu_train.py needs a CUDA GPU: torch sees none"
    assert not (tmp_path / "out").exists()


def test_an_unknown_check_is_named():
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", "unused", "--checks", "default,7b"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "--checks: unknown check 7b; choose from default, 0.5b"
