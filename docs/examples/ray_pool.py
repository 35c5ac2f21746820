"""Verify a batch on Ray actors (docs/integrations/ray.md; run by tests/integrations/test_ray_pool.py)."""

from __future__ import annotations

from collections.abc import Sequence

from codekiln.config import load_config
from codekiln.datasets import load_dataset
from codekiln.plugins import make_plugins
from codekiln.verifier import Sample, Verifier


def verify_on_ray(config_path: str, overrides: Sequence[str] = ()) -> list[str]:
    """The Python and JavaScript references for the built-in problem ``all_unique`` and one wrong answer,
    verified by the backend the config names; one ``language: status`` line each."""
    config = load_config(config_path, overrides)
    plugins = make_plugins(block=config.plugins.block)
    problem = {p.id: p for p in load_dataset("builtin", plugins.datasets())}["all_unique"]
    samples = [Sample(problem, problem.references[language], language) for language in ("python", "javascript")]
    samples.append(Sample(problem, "def all_unique(values):\n    return True\n", "python"))
    with Verifier.from_config(plugins, config) as verifier:  # a RayVerifier: same API as the local one
        verdicts = verifier.verify_batch(samples)
    return [f"{sample.language}: {verdict.status.value}" for sample, verdict in zip(samples, verdicts)]
