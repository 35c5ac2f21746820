"""What every integration does with a batch of model answers: find each answer's problem, verify, reward.

A sample's problem is named by ``dataset`` and ``task_id`` (a registered dataset that needs no path, such as
``builtin`` or ``humaneval``, or a ``FORMAT:PATH`` spec) or carried whole as ``problem`` (codekiln's own
problem JSON, a dict or its JSON text). :class:`Scorer` holds the plugin session, the verifier and the
configured :class:`~codekiln.rewards.RewardSet`, and turns answers into :class:`Scored` results: the verdict,
the reward breakdown, the code that was verified, and the reward (None when the verdict is masked: the failure
was ours, and the sample should leave the loss rather than count as 0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..datasets import load_dataset
from ..errors import DataError
from ..jsonio import problem_from_row
from ..problem import Problem
from ..sandbox import Limits
from ..verdict import RewardBreakdown, Verdict
from ..verifier import Sample, Verifier

if TYPE_CHECKING:
    from ..config import Config
    from ..plugins import Plugins
    from ..rewards import RewardSet

__all__ = ["Scored", "Scorer"]


@attrs.frozen
class Scored:
    """One answer's verdict, reward breakdown and verified code."""

    verdict: Verdict
    breakdown: RewardBreakdown
    code: str

    @property
    def masked(self) -> bool:
        return self.verdict.masked or self.breakdown.masked

    @property
    def reward(self) -> float | None:
        """The weighted total, or None for a masked sample (never 0: the failure was not the model's)."""
        return None if self.masked else self.breakdown.total


class Scorer:
    """Problems by name, a verifier and the rewards of one config, for one plugin session."""

    def __init__(self, config: Config, plugins: Plugins, *, verifier: Verifier | None = None) -> None:
        from ..rewards import RewardSet

        self.config = config
        self.plugins = plugins
        self.languages = plugins.languages()
        self.rewards: RewardSet = RewardSet.from_config(config, plugins)
        sandbox = config.sandbox
        self.verifier = verifier or Verifier(
            plugins, isolation=sandbox.isolation, workers=config.verifier.workers, cache=config.verifier.cache,
            limits=Limits(wall_time_s=sandbox.wall_time_s, cpu_time_s=sandbox.cpu_time_s, memory_mb=sandbox.memory_mb))
        self._datasets: dict[str, dict[str, Problem]] = {}

    def close(self) -> None:
        self.verifier.close()

    # -- problems ---------------------------------------------------------------------------------------------

    def problem(self, *, where: str, dataset: str | None = None, task_id: str | None = None,
                problem: Any = None) -> Problem:
        """The problem a sample names (``dataset`` and ``task_id``) or carries (``problem``); DataError names
        what is wrong in one line."""
        if problem is not None:
            row = json.loads(problem) if isinstance(problem, str | bytes) else problem
            return problem_from_row(row, where=f"{where}.problem")
        if dataset is None or task_id is None:
            raise DataError(f"{where}: give either 'problem' or both 'dataset' and 'task_id'")
        if dataset not in self._datasets:
            self._datasets[dataset] = {p.id: p for p in load_dataset(dataset, self.plugins.datasets())}
        found = self._datasets[dataset].get(str(task_id))
        if found is None:
            raise DataError(f"{where}.task_id: no task '{task_id}' in dataset '{dataset}'")
        return found

    def language(self, name: str) -> str:
        """The canonical name of a language (an alias such as ``c++`` resolves); an unknown one raises."""
        return self.languages.get(name).name

    # -- scoring ----------------------------------------------------------------------------------------------

    def score(self, problems: Sequence[Problem], completions: Sequence[str], languages: Sequence[str], *,
              completion_lengths: Sequence[int] | None = None, truncated: Sequence[bool] | None = None,
              max_new_tokens: int | None = None) -> list[Scored]:
        """Verify each answer and reward it with the configured rewards, in input order."""
        verdicts = self.verifier.verify_batch([Sample(p, c, lang) for p, c, lang in
                                               zip(problems, completions, languages, strict=True)])
        codes = [self.languages.get(lang).extract(c, p) for p, c, lang in zip(problems, completions, languages)]
        columns: dict[str, Any] = {"problems": list(problems), "languages": list(languages), "verdicts": verdicts,
                                   "codes": codes}
        if completion_lengths is not None:
            columns["completion_lengths"] = list(completion_lengths)
        if truncated is not None:
            columns["truncated"] = list(truncated)
        if max_new_tokens is not None:
            columns["max_new_tokens"] = max_new_tokens
        breakdowns = self.rewards(list(completions), **columns)
        return [Scored(v, b, code) for v, b, code in zip(verdicts, breakdowns, codes)]


def rows_to_problems(scorer: Scorer, columns: Mapping[str, Sequence[Any] | None], size: int,
                     default_language: str | None) -> tuple[list[Problem], list[str]]:
    """Each sample's problem and language from column lists (``dataset``/``task_id``/``problem``/``language``),
    as TRL and verl hand them over."""
    problems, languages = [], []
    for index in range(size):
        row = {name: values[index] for name, values in columns.items()
               if name in ("dataset", "task_id", "problem", "language") and values is not None}
        where = f"sample {index}"
        language = row.get("language") or default_language
        if language is None:
            raise DataError(f"{where}: no 'language' column and no default language configured")
        problems.append(scorer.problem(where=where, dataset=row.get("dataset"), task_id=row.get("task_id"),
                                       problem=row.get("problem")))
        languages.append(scorer.language(language))
    return problems, languages
