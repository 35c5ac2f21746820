"""Running an evaluation: a model generates for each task and every sample is verified and scored, or
completions made elsewhere (a samples file) are verified and scored. Either way the result is one
:class:`~codekiln.evaluation.metrics.Outcome` per sample.

Generation and verification are the trainer's own (:func:`codekiln.train.evaluate.evaluate`: the same prompts,
stop strings, generation backends and overlap of generation with verification); scoring adds the built-in
``quality``, ``efficiency`` and ``security`` rewards through :func:`codekiln.scoring.reward_verdicts`.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..config import Config, ModelConfig, load_config
from ..curricula import Task
from ..errors import ConfigError, DataError
from ..problem import Problem
from ..samples import read_sample_rows
from ..scoring import Scorer, reward_verdicts
from ..verifier import Sample
from .metrics import SCORES, Outcome

if TYPE_CHECKING:
    from ..plugins import Plugins
    from ..train.completions import Completion, Generator

__all__ = ["SampleRow", "evaluation_config", "generate_outcomes", "model_directory", "read_samples_file",
           "sample_outcomes", "select_tasks"]

#: Where a run directory keeps its trained model and its effective config.
RUN_MODEL, RUN_CONFIG = "final", "config.yaml"


def model_directory(path: str) -> tuple[Path, Path | None]:
    """The model directory ``path`` names and the config of the run it comes from: a Hugging Face directory
    (``config.json``; no run config) or a ``codekiln train`` run directory (its ``final/`` model and
    ``config.yaml``)."""
    directory = Path(path).expanduser()
    if (directory / RUN_MODEL / "config.json").is_file():
        run_config = directory / RUN_CONFIG
        return directory / RUN_MODEL, run_config if run_config.is_file() else None
    if (directory / "config.json").is_file():
        return directory, None
    if (directory / RUN_CONFIG).is_file():
        raise DataError(f"--model {path}: this run directory has no {RUN_MODEL}/ model yet (the run has not "
                        f"finished); name a checkpoint's model instead: {path}/checkpoints/<step>/model")
    what = "no such directory" if not directory.is_dir() else "neither a Hugging Face model directory " \
        f"(config.json) nor a run directory ({RUN_MODEL}/)"
    raise ConfigError(f"--model {path}: {what}")


def evaluation_config(base: Path | str | None, overrides: Sequence[str] = (), *, run_config: bool = False) -> Config:
    """The config an evaluation runs with: ``base`` (a run's or the user's YAML, else the defaults) with the
    overrides, scoring with the rewards of :data:`SCORES` (their ``reward_params`` kept; ``efficiency`` runs
    at the sandbox's isolation unless its parameters say otherwise).

    ``run_config``: ``base`` is a run directory's own config, which may come from someone else with the model.
    Only what generates is taken from it; how the code runs (``sandbox``, ``verifier``, ``reward_params``,
    ``plugins``) is the defaults' and the overrides': a shared run must not switch the sandbox off, or send the
    completions to another verifier."""
    config = load_config(base, overrides)
    if run_config:
        ours = load_config(None, overrides)
        config = attrs.evolve(config, sandbox=ours.sandbox, verifier=ours.verifier, reward_params=ours.reward_params,
                              plugins=ours.plugins)
    params = {name: dict(config.reward_params.get(name, {})) for name in SCORES if name in config.reward_params}
    params.setdefault("efficiency", {}).setdefault("isolation", config.sandbox.isolation)
    return attrs.evolve(config, rewards=dict.fromkeys(SCORES, 1.0), reward_params=params)


def select_tasks(problems: Sequence[Problem], languages: Sequence[str], plugins: Plugins) -> list[Task]:
    """Every problem in every language that can pose it; a language whose toolchain is missing fails first,
    naming what to install, rather than masking every sample."""
    registry = plugins.languages()
    names = [registry.installed(name) for name in languages]
    tasks = [Task(p, language) for p in problems for language in dict.fromkeys(names)
             if p.signature is not None or language in p.native]
    if not tasks:
        raise DataError(f"none of the dataset's {len(problems)} problem(s) can be posed in {', '.join(names)}")
    return tasks


def generate_outcomes(config: Config, scorer: Scorer, model_dir: Path, tasks: Sequence[Task], *, samples: int,
                      temperature: float) -> list[Outcome]:
    """``samples`` completions per task from the model in ``model_dir`` at ``temperature``, seeded with
    ``config.seed``, verified and scored. The tasks are decoded in the batches of a training run's evaluation,
    so a run's saved model scores here exactly what the run measured (vLLM's greedy choices can differ across
    batch shapes). A task's latency is its share of the batch's wall time."""
    import torch

    from ..train.evaluate import evaluate, rollout_outcomes
    from ..train.generation import make_generator
    from ..train.policy import load_policy, resolve_device
    from ..train.prompts import policy_prompt_format, task_prompt

    device = resolve_device(config.device)
    if device.type == "cpu":
        torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 2) // 2))  # as the trainer does
    policy = load_policy(ModelConfig(path=str(model_dir), cache_dir=config.model.cache_dir, dtype=config.model.dtype),
                         device=device)
    fmt = policy_prompt_format(policy, config.generation.prompt_format)
    prompts = [task_prompt(policy.tokenizer, t.problem, t.language, scorer.languages.get(t.language), fmt=fmt,
                           extra_stop=config.generation.stop) for t in tasks]
    generator = _TimedGenerator(make_generator(config.generation.backend, policy, seed=config.seed,
                                               gpu_memory_utilization=config.generation.gpu_memory_utilization))
    try:
        _, groups = evaluate(tasks, [p for p, _ in prompts], [s for _, s in prompts], generator=generator,
                             verifier=scorer.verifier, samples=samples, temperature=temperature,
                             max_new_tokens=config.generation.max_new_tokens, seed=config.seed)
    finally:
        generator.close()
    rollouts = [(i, j, r) for i, group in enumerate(groups) for j, r in enumerate(group)]
    scored = reward_verdicts(scorer.rewards, scorer.languages,
                             [Sample(r.task.problem, r.completion.text, r.task.language) for _, _, r in rollouts],
                             [r.verdict for _, _, r in rollouts],
                             completion_lengths=[len(r.completion.token_ids) for _, _, r in rollouts],
                             truncated=[r.completion.truncated for _, _, r in rollouts],
                             max_new_tokens=config.generation.max_new_tokens)
    breakdowns = {(i, j): s.breakdown for (i, j, _), s in zip(rollouts, scored)}
    return rollout_outcomes(groups, breakdowns=breakdowns,
                            latencies=[generator.shares[prompt].pop(0) for prompt, _ in prompts])


class _TimedGenerator:
    """A generator that shares the wall time of each ``generate`` call equally among the prompts it decoded:
    ``shares[prompt]`` lists them in call order."""

    def __init__(self, generator: Generator) -> None:
        self.generator = generator
        self.name = generator.name
        self.shares: defaultdict[str, list[float]] = defaultdict(list)

    def generate(self, prompts: Sequence[str], **settings: Any) -> list[list[Completion]]:
        started = time.perf_counter()
        completions = self.generator.generate(prompts, **settings)
        share = (time.perf_counter() - started) / max(1, len(prompts))
        for prompt in prompts:
            self.shares[prompt].append(share)
        return completions

    def sync_weights(self, model: Any) -> None:
        self.generator.sync_weights(model)

    def close(self) -> None:
        self.generator.close()


@attrs.frozen
class SampleRow:
    """One row of a samples file: the sample and what generating it cost, where the file says."""

    sample: Sample
    latency_s: float | None
    tokens: int | None


def read_samples_file(path: Path, problems: Sequence[Problem]) -> list[SampleRow]:
    """``codekiln verify``'s samples format (several samples per task allowed) with optional ``latency_s`` and
    ``tokens`` fields measured where the completions were made; a bad row fails naming its line."""
    return [SampleRow(sample, _measure(row, "latency_s", where, float), _measure(row, "tokens", where, int))
            for where, sample, row in read_sample_rows(path, problems)]


def sample_outcomes(scorer: Scorer, rows: Sequence[SampleRow]) -> list[Outcome]:
    """Verify and score the samples of a file; the i-th sample of a task in the file is its sample i."""
    samples = [row.sample for row in rows]
    scored = scorer.score([s.problem for s in samples], [s.completion for s in samples],
                          [scorer.language(s.language) for s in samples])
    seen: Counter[tuple[str, str]] = Counter()
    outcomes = []
    for row, result in zip(rows, scored):
        problem = row.sample.problem
        key = (problem.id, result.verdict.language)
        outcomes.append(Outcome.from_verdict(problem.id, result.verdict, difficulty=problem.difficulty,
                                             sample=seen[key], breakdown=result.breakdown, latency_s=row.latency_s,
                                             tokens=row.tokens))
        seen[key] += 1
    return outcomes


def _measure(row: dict[str, Any], field: str, where: str, kind: type) -> Any:
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or \
            (kind is int and value != int(value)):
        wanted = "a whole number" if kind is int else "a number"
        raise DataError(f"{where}: field '{field}' must be {wanted} >= 0, got {value!r}")
    return kind(value)
