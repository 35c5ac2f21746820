"""``codekiln eval`` and ``codekiln ab`` behind the command line: options in, outcomes, a summary or a
comparison, and files out. The CLI only parses options and prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..datasets import load_dataset
from ..errors import ConfigError, DataError
from ..scoring import Scorer
from .compare import Comparison, compare_paired, compare_store
from .metrics import Outcome, flatten, summarize
from .report import write_ab, write_eval
from .run import evaluation_config, generate_outcomes, model_directory, read_samples_file, sample_outcomes, select_tasks

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import Plugins
    from ..problem import Problem

__all__ = ["Source", "ab_command", "eval_command", "resolve_ks", "store_command"]

#: The k of pass@k reported by default, those up to the samples per task.
DEFAULT_KS = (1, 5, 10)
#: Sampling temperature when several samples per task are drawn and none is given (Chen et al.'s choice for
#: pass@k with small k is 0.2-0.8); one sample per task is greedy.
SAMPLING_TEMPERATURE = 0.8


class Source:
    """Where one arm's outcomes come from: a model (``--model``/``--a``) or a samples file (``--samples``)."""

    def __init__(self, *, model: str | None = None, samples: str | None = None,
                 options: tuple[str, str] = ("--model", "--samples")) -> None:
        if (model is None) == (samples is None):
            raise ConfigError(f"give either {options[0]} PATH or {options[1]} FILE, not "
                              f"{'both' if model else 'neither'}")
        self.model, self.samples = model, samples
        self.model_dir, self.run_config = model_directory(model) if model is not None else (None, None)

    @property
    def name(self) -> str:
        return self.model or self.samples or ""


def resolve_ks(text: str | None, samples_per_task: int) -> list[int]:
    """The k of ``--k 1,5,10``, each at most ``samples_per_task``; by default those of :data:`DEFAULT_KS` that fit.

    >>> resolve_ks(None, 5), resolve_ks("10, 1", 10)
    ([1, 5], [1, 10])
    """
    if text is None:
        return [k for k in DEFAULT_KS if k <= samples_per_task]
    try:
        ks = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise ConfigError(f"--k {text!r}: expected whole numbers separated by commas, such as 1,5,10") from None
    if ks[0] < 1:
        raise ConfigError(f"--k {text!r}: each k must be at least 1")
    if ks[-1] > samples_per_task:
        raise ConfigError(f"--k {ks[-1]} is more than the {samples_per_task} sample(s) per task: pass@k needs at "
                          f"least k samples of each task (raise --n to {ks[-1]} or more)")
    return ks


class _Arm:
    """One source made ready before any work: a samples file read and checked, or a model's tasks chosen."""

    def __init__(self, source: Source, problems: Sequence[Problem], plugins: Plugins, config: Config, *,
                 languages: Sequence[str] | None, samples: int, temperature: float | None) -> None:
        if source.samples is not None and languages:
            raise ConfigError("--languages picks what a model generates in; a samples file gives each sample's "
                              "language itself (its 'language' field)")
        self.source = source
        self.rows = read_samples_file(Path(source.samples), problems) if source.samples is not None else None
        self.tasks = select_tasks(problems, languages or config.data.languages, plugins) if self.rows is None else []
        self.samples = samples
        self.temperature = temperature if temperature is not None else \
            (0.0 if samples == 1 else SAMPLING_TEMPERATURE)

    @property
    def samples_per_task(self) -> int:
        """The most samples any task has."""
        if self.rows is None:
            return self.samples
        return max(Counter((r.sample.problem.id, r.sample.language) for r in self.rows).values())

    def outcomes(self, scorer: Scorer) -> list[Outcome]:
        if self.rows is not None:
            return sample_outcomes(scorer, self.rows)
        return generate_outcomes(scorer.config, scorer, self.source.model_dir, self.tasks, samples=self.samples,
                                 temperature=self.temperature)


def eval_command(plugins: Plugins, source: Source, *, dataset: str, languages: Sequence[str] | None, samples: int,
                 ks: str | None, temperature: float | None, seed: int, config_path: str | None,
                 overrides: Sequence[str], out: Path | None) -> dict[str, Any]:
    """Evaluate one source; fire ``codekiln_evaluation_finished``; write ``out`` when given. Returns the
    summary (its facts, then the metrics overall, per language and per difficulty)."""
    config = evaluation_config(config_path or source.run_config, [f"seed={seed}", *overrides],
                               run_config=config_path is None and source.run_config is not None)
    problems = load_dataset(dataset, plugins.datasets())
    arm = _Arm(source, problems, plugins, config, languages=languages, samples=samples, temperature=temperature)
    chosen_ks = resolve_ks(ks, arm.samples_per_task)  # before any work: a k above the samples fails at once
    scorer = Scorer(config, plugins)
    try:
        outcomes = arm.outcomes(scorer)
    finally:
        scorer.close()
    facts = {"source": source.name, "dataset": dataset, "samples per task": arm.samples_per_task, "k": chosen_ks,
             "seed": seed}
    if arm.rows is None:
        facts["temperature"] = arm.temperature
    summary = {"facts": facts, **summarize(outcomes, chosen_ks)}
    plugins.notify("codekiln_evaluation_finished", run_dir=out, name=source.name, metrics=flatten(summary))
    if out is not None:
        write_eval(out, summary, outcomes)
    return summary


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ConfigError(f"--alpha {alpha}: must be between 0 and 1, such as 0.05")


def store_command(store: str, *, alpha: float, seed: int, out: Path | None) -> Comparison:
    """Compare the online A/B arms kept in the generation store ``store``, with its human ratings; write
    ``out`` when given."""
    from ..serve.store import open_store

    _check_alpha(alpha)
    if not Path(str(store).removeprefix("sqlite:///")).is_file():
        raise DataError(f"--from-store {store}: no such store (give the path or sqlite:///PATH that codekiln "
                        "serve writes to)")
    opened = open_store(store)
    try:
        generations, ratings = opened.history(limit=None), opened.ratings()
    finally:
        opened.close()
    comparison = compare_store(generations, ratings, alpha=alpha, seed=seed)
    if out is not None:
        write_ab(out, comparison)
    return comparison


def ab_command(plugins: Plugins, a: Source, b: Source, *, dataset: str, languages: Sequence[str] | None,
               samples: int, temperature: float | None, seed: int, alpha: float, config_path: str | None,
               overrides: Sequence[str], out: Path | None) -> Comparison:
    """Run or read both arms on the same problems with the same seeds and compare them (paired); write ``out``
    when given."""
    _check_alpha(alpha)
    # Both arms run with the same settings: the given config, not either run's own.
    config = evaluation_config(config_path, [f"seed={seed}", *overrides])
    problems = load_dataset(dataset, plugins.datasets())
    arms = [_Arm(source, problems, plugins, config, languages=languages, samples=samples, temperature=temperature)
            for source in (a, b)]
    scorer = Scorer(config, plugins)
    try:
        outcomes = [arm.outcomes(scorer) for arm in arms]
    finally:
        scorer.close()
    comparison = compare_paired(*outcomes, labels=(a.name, b.name), alpha=alpha, seed=seed)
    if out is not None:
        write_ab(out, comparison)
    return comparison
