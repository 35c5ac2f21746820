"""``language_mix``: a share of each step per language, each language scheduled by its own curriculum."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from codekiln.curricula import Curriculum, Outcome, Task
from codekiln.errors import CodekilnError, ConfigError

from ._params import number
from .adaptive import AdaptiveCurriculum
from .ordered import OrderedCurriculum
from .uniform import UniformCurriculum

if TYPE_CHECKING:
    from codekiln.registry import CurriculumRegistry

# Found without a curriculum registry; any other base is looked up in the session's.
_BUILTIN_BASES = {cls.name: cls for cls in (UniformCurriculum, OrderedCurriculum, AdaptiveCurriculum)}


class LanguageMixCurriculum(Curriculum):
    """Each slot of a step picks a language with probability proportional to its weight, then takes the
    next task that language's own ``base`` curriculum selects. Outcomes go to the base of their
    language; every base sees every step (with no outcomes when none of its tasks ran).

    ``weights`` maps language names to non-negative numbers; a language of the run that is not listed
    gets weight 1, and weight 0 leaves a language out. ``base`` names any registered curriculum except
    ``language_mix``, and ``base_params`` are its parameters, the same for every language. ``curricula`` is
    the registry a plugin's base is looked up in: the session's registry passes itself when it creates
    ``language_mix``; without it only the built-in bases are known.

    >>> from codekiln.problem import Problem
    >>> tasks = [Task(Problem(id=str(i), description=""), lang) for i in range(3) for lang in ("cpp", "python")]
    >>> mix = LanguageMixCurriculum(tasks, weights={"python": 3, "cpp": 1})
    >>> [task.language for task in mix.select(400)].count("python")  # about 3/4 of 400
    310
    """

    name = "language_mix"

    def __init__(
        self,
        tasks: Sequence[Task],
        *,
        seed: int = 0,
        weights: Mapping[str, float] | None = None,
        base: str = "uniform",
        base_params: Mapping[str, Any] | None = None,
        curricula: CurriculumRegistry | None = None,
    ) -> None:
        super().__init__(tasks, seed=seed)
        by_language: dict[str, list[Task]] = {}
        for task in self.tasks:
            by_language.setdefault(task.language, []).append(task)
        self.weights = self._check_weights(weights, sorted(by_language))
        base_class = self._base_class(base, curricula)
        params = self._check_base_params(base_class, base_params)
        self.bases: dict[str, Curriculum] = {}
        for language in self.weights:
            try:
                self.bases[language] = base_class(by_language[language], seed=_seed_for(seed, language), **params)
            except CodekilnError as exc:
                raise ConfigError(f"curriculum '{self.name}', base for {language}: {exc}") from None

    def _check_weights(self, weights: Mapping[str, float] | None, languages: list[str]) -> dict[str, float]:
        """The positive weight of every language that takes part, in sorted language order."""
        weights = {} if weights is None else weights
        if not isinstance(weights, Mapping):
            raise self.param_error("weights", f"expected a mapping of language to weight, got {weights!r}")
        for language, weight in weights.items():
            number(self, f"weights.{language}", weight, low=0)
            if language not in languages:
                raise self.param_error(
                    "weights", f"no task is in language '{language}' (this run's languages: {', '.join(languages)})"
                )
        checked = {language: float(weights.get(language, 1)) for language in languages}
        if not any(checked.values()):
            raise self.param_error("weights", "every language has weight 0; give at least one a positive weight")
        return {language: weight for language, weight in checked.items() if weight > 0}

    def _base_class(self, base: Any, curricula: CurriculumRegistry | None) -> type[Curriculum]:
        if base == self.name:
            raise self.param_error("base", "language_mix cannot mix itself; name the curriculum to run per language")
        if not isinstance(base, str):
            raise self.param_error("base", f"expected a curriculum name, got {base!r}")
        if base in _BUILTIN_BASES:
            return _BUILTIN_BASES[base]
        if curricula is None:
            built_in = ", ".join(sorted(_BUILTIN_BASES))
            raise self.param_error("base", f"unknown curriculum '{base}'; built in: {built_in} "
                                   "(a plugin's is found through curricula=plugins.curricula())")
        try:
            return curricula.get(base)
        except CodekilnError as exc:
            raise self.param_error("base", str(exc)) from None

    def _check_base_params(self, base_class: type[Curriculum], params: Mapping[str, Any] | None) -> dict[str, Any]:
        params = dict(params or {})
        reserved = {"tasks", "seed"} & set(params)
        if reserved:
            raise self.param_error("base_params", f"{', '.join(sorted(reserved))} cannot be set per base")
        try:
            inspect.signature(base_class).bind([], seed=0, **params)
        except TypeError as exc:
            raise self.param_error("base_params", f"curriculum '{base_class.name}': {exc}") from None
        return params

    # --- selection -------------------------------------------------------------------------------------

    def select(self, n: int) -> list[Task]:
        languages = list(self.weights)
        picks = self.rng.choices(languages, weights=list(self.weights.values()), k=n)
        drawn = {language: iter(self.bases[language].select(picks.count(language))) for language in set(picks)}
        return [next(drawn[language]) for language in picks]

    def update(self, outcomes: Sequence[Outcome]) -> None:
        for language, base in self.bases.items():
            base.update([outcome for outcome in outcomes if outcome.language == language])

    # --- reporting and checkpoints -----------------------------------------------------------------------

    def metrics(self) -> dict[str, float]:
        return {
            f"curriculum/{language}/{name.removeprefix('curriculum/')}": value
            for language, base in self.bases.items()
            for name, value in base.metrics().items()
        }

    def describe(self) -> str:
        total = sum(self.weights.values())
        return "; ".join(
            f"{language} {self.weights[language] / total:.0%}: {base.describe()}"
            for language, base in self.bases.items()
        )

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "bases": {language: base.state_dict() for language, base in self.bases.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        if sorted(state["bases"]) != sorted(self.bases):
            raise self.param_error(
                "weights", f"the checkpoint mixed {', '.join(sorted(state['bases']))}; this run mixes "
                f"{', '.join(sorted(self.bases))}"
            )
        for language, base in self.bases.items():
            base.load_state_dict(state["bases"][language])


def _seed_for(seed: int, language: str) -> int:
    """A seed per language, derived from the run's seed, stable across processes and Python versions."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{language}".encode()).digest()[:8], "big")
