"""Scoring: a batch of model answers in, a verdict, a reward breakdown and the verified code for each out.

:func:`reward_verdicts` is the rewarding step every caller shares: the verification service after its
asynchronous verification, and :class:`Scorer`, which the integrations (TRL, verl) use and which also finds
each answer's problem and verifies it. A sample's problem is named by ``dataset`` and ``task_id`` (a
registered dataset that needs no path, such as ``builtin`` or ``humaneval``, or a ``FORMAT:PATH`` spec) or
carried whole as ``problem`` (codekiln's own problem JSON, a dict or its JSON text). A :class:`Scored` result
holds the verdict, the reward breakdown, the code that was verified, and the reward: None when the verdict is
masked (the failure was ours, and the sample should leave the loss rather than count as 0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .datasets import load_dataset
from .errors import DataError
from .jsonio import problem_from_row, to_json
from .problem import Problem
from .verdict import RewardBreakdown, Stage, Verdict
from .verifier import Sample, Verifier

if TYPE_CHECKING:
    from .config import Config
    from .plugins import Plugins
    from .registry import LanguageRegistry
    from .rewards import RewardSet

__all__ = ["Problems", "Scored", "Scorer", "reward_verdicts", "rows_to_problems"]


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

    def to_json(self) -> dict[str, Any]:
        return {"status": self.verdict.status.value, "passed": self.verdict.passed, "masked": self.masked,
                "reward": self.reward, "reward_components": dict(self.breakdown.components),
                "verdict": to_json(self.verdict)}


def reward_verdicts(rewards: RewardSet, languages: LanguageRegistry, samples: Sequence[Sample],
                    verdicts: Sequence[Verdict], **columns: Any) -> list[Scored]:
    """Reward verified samples with ``rewards``; ``columns`` adds what the caller knows beyond the text
    (``completion_lengths``, ``truncated``, ``max_new_tokens``). Not thread-safe: rewards keep per-call state."""
    # The code as the verifier read it; none where it refused the text before extraction (too long, not
    # Unicode) or never got there.
    codes = [languages.get(s.language).extract(s.completion, s.problem)
             if getattr(v.stage(Stage.EXTRACT), "ok", False) else "" for s, v in zip(samples, verdicts, strict=True)]
    breakdowns = rewards([s.completion for s in samples], problems=[s.problem for s in samples],
                         languages=[s.language for s in samples], verdicts=list(verdicts), codes=codes, **columns)
    return [Scored(v, b, code) for v, b, code in zip(verdicts, breakdowns, codes)]


class Problems:
    """Problems by name (a registered dataset and a task id) or carried whole, for one plugin session; each
    dataset is loaded once. The lookup :class:`Scorer` uses, and the NeMo RL data processor, which needs no
    verifier."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins
        self._datasets: dict[str, dict[str, Problem]] = {}

    def get(self, *, where: str, dataset: str | None = None, task_id: str | None = None,
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


class Scorer:
    """Problems by name, a verifier and the rewards of one config, for one plugin session."""

    def __init__(self, config: Config, plugins: Plugins, *, verifier: Verifier | None = None) -> None:
        from .rewards import RewardSet

        self.config = config
        self.plugins = plugins
        self.languages = plugins.languages()
        self.rewards: RewardSet = RewardSet.from_config(config, plugins)
        self.verifier = verifier or Verifier.from_config(plugins, config)
        self.problems = Problems(plugins)

    def close(self) -> None:
        self.verifier.close()

    # -- problems ---------------------------------------------------------------------------------------------

    def problem(self, *, where: str, dataset: str | None = None, task_id: str | None = None,
                problem: Any = None) -> Problem:
        """The problem a sample names or carries: :meth:`Problems.get`."""
        return self.problems.get(where=where, dataset=dataset, task_id=task_id, problem=problem)

    def language(self, name: str) -> str:
        """The canonical name of a language (an alias such as ``c++`` resolves); an unknown one raises."""
        return self.languages.get(name).name

    # -- scoring ----------------------------------------------------------------------------------------------

    def score(self, problems: Sequence[Problem], completions: Sequence[str], languages: Sequence[str], *,
              completion_lengths: Sequence[int] | None = None, truncated: Sequence[bool] | None = None,
              max_new_tokens: int | None = None) -> list[Scored]:
        """Verify each answer and reward it with the configured rewards, in input order."""
        samples = [Sample(p, c, lang) for p, c, lang in zip(problems, completions, languages, strict=True)]
        columns: dict[str, Any] = {}
        if completion_lengths is not None:
            columns["completion_lengths"] = list(completion_lengths)
        if truncated is not None:
            columns["truncated"] = list(truncated)
        if max_new_tokens is not None:
            columns["max_new_tokens"] = max_new_tokens
        return reward_verdicts(self.rewards, self.languages, samples, self.verifier.verify_batch(samples), **columns)


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
