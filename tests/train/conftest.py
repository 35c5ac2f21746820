"""Shared settings for the trainer's end-to-end tests: a tiny run on the embedded default model (built once,
in tests/conftest.py's ``model_cache``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def tiny_run(model_cache, tmp_path):
    """Dotted overrides for a run of a couple of minutes at most: easy built-in Python problems, short
    completions, and the sampling the built-in problems were tuned with (no refills, cooler sampling)."""

    def overrides(*extra: str, run_dir=None) -> list[str]:
        return [
            f"run_dir={run_dir or tmp_path / 'run'}",
            f"model.cache_dir={model_cache}",
            "data.dataset=builtin",
            "data.languages=[python]",
            "data.max_difficulty=1",
            "data.validation_fraction=0.25",
            "verifier.workers=2",
            "sft.epochs=1",
            "grpo.steps=2",
            "grpo.prompts_per_step=2",
            "grpo.group_size=2",
            "grpo.checkpoint_every=1",
            "generation.max_new_tokens=24",
            "generation.backend=hf",
            "generation.temperature=0.4",
            "grpo.filter_equal_groups=false",
            *extra,
        ]

    return overrides
