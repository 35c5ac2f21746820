"""codekiln's rewards as TRL reward functions: verification in codekiln's sandbox, rewards from the config.

Use (docs/examples/trl_grpo.py is the whole, tested version)::

    from codekiln.integrations.trl import reward_functions

    rewards = reward_functions({"rewards": {"all_tests": 1.0, "format": 0.2}}, language="python")
    trainer = trl.GRPOTrainer(model=..., reward_funcs=rewards, train_dataset=dataset,
                              args=trl.GRPOConfig(..., reward_weights=rewards.weights))

The training dataset names each row's problem in its columns, which TRL hands to reward functions: ``dataset``
and ``task_id`` (``"builtin"``, ``"humaneval"``, or a ``FORMAT:PATH`` spec), or ``problem`` (codekiln's problem
JSON), and ``language`` unless one is given to :func:`reward_functions`.

Two shapes (:func:`reward_functions`):

- one function, ``codekiln``, returning the weighted total of the configured rewards; each component's batch
  mean is logged beside it through TRL's ``log_metric`` (``codekiln/<component>``);
- with ``per_component=True``, one function per component, named after it, and ``weights`` set from the
  config: TRL logs each one and sums them with ``GRPOConfig(reward_weights=rewards.weights)``.

Masked samples (a failure of the verifier, not of the model) get None, which TRL leaves out of the reward
(NaN), never 0. All functions of one call share the verification: the batch is verified once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..config import Config, config_from_dict
from ..scoring import Scored, Scorer, rows_to_problems

if TYPE_CHECKING:
    from ..plugins import Plugins
    from ..verifier import Verifier

__all__ = ["CodekilnReward", "RewardFunctions", "reward_functions"]


class RewardFunctions(list):
    """The reward functions, in order, and the weight TRL should give each (``GRPOConfig.reward_weights``)."""

    def __init__(self, functions: Sequence[CodekilnReward], weights: Sequence[float]) -> None:
        super().__init__(functions)
        self.weights = list(weights)


class _Batch:
    """Scores one TRL batch once for all the functions that ask about it."""

    def __init__(self, scorer: Scorer, language: str | None, max_new_tokens: int | None) -> None:
        self.scorer, self.language, self.max_new_tokens = scorer, language, max_new_tokens
        self._key: tuple | None = None
        self._scored: list[Scored] = []

    def scored(self, completions: Sequence[Any], columns: Mapping[str, Any]) -> list[Scored]:
        texts = [_completion_text(c) for c in completions]
        ids = columns.get("completion_ids")
        key = (tuple(texts), *(tuple(map(str, columns.get(n) or ())) for n in ("dataset", "task_id", "problem",
                                                                               "language")))
        if key != self._key:
            problems, languages = rows_to_problems(self.scorer, columns, len(texts), self.language)
            lengths = [len(i) for i in ids] if ids is not None else None
            truncated = ([n >= self.max_new_tokens for n in lengths]
                         if lengths is not None and self.max_new_tokens else None)
            self._scored = self.scorer.score(problems, texts, languages, completion_lengths=lengths,
                                             truncated=truncated, max_new_tokens=self.max_new_tokens)
            self._key = key
        return self._scored


class CodekilnReward:
    """A TRL reward function: ``(prompts, completions, **columns) -> list[float | None]``.

    ``component`` None is the weighted total; a name is that component's value alone."""

    def __init__(self, batch: _Batch, component: str | None) -> None:
        self._batch, self.component = batch, component
        self.__name__ = component or "codekiln"

    def __call__(self, prompts: Sequence[Any] = (), completions: Sequence[Any] = (), **columns: Any) -> list[
            float | None]:
        scored = self._batch.scored(completions, columns)
        if self.component is not None:
            return [None if s.masked else s.breakdown.components.get(self.component) for s in scored]
        log_metric = columns.get("log_metric")
        if callable(log_metric):
            for name in self._batch.scorer.rewards.names:
                values = [v for s in scored if not s.masked and (v := s.breakdown.components.get(name)) is not None]
                if values:
                    log_metric(f"codekiln/{name}", sum(values) / len(values))
        return [s.reward for s in scored]


def reward_functions(config: Config | Mapping[str, Any] | None = None, *, plugins: Plugins | None = None,
                     verifier: Verifier | None = None, language: str | None = None,
                     max_new_tokens: int | None = None, per_component: bool = False) -> RewardFunctions:
    """TRL reward functions for ``config`` (a :class:`~codekiln.config.Config`, or the mapping a config file
    holds: ``rewards``, ``reward_params``, ``sandbox``, ``verifier``, ``plugins``).

    ``plugins`` is the plugin session (built here from ``config.plugins.block`` when not given); ``verifier``
    a verifier to share (one is built from the config otherwise); ``language`` the language of rows without a
    ``language`` column; ``max_new_tokens`` TRL's ``max_completion_length``, for the rewards that need it
    (``length``).
    """
    from ..plugins import make_plugins

    if not isinstance(config, Config):
        config = config_from_dict(dict(config or {}))
    plugins = plugins or make_plugins(block=config.plugins.block)
    batch = _Batch(Scorer(config, plugins, verifier=verifier), language, max_new_tokens)
    if not per_component:
        return RewardFunctions([CodekilnReward(batch, None)], [1.0])
    names = batch.scorer.rewards.names
    return RewardFunctions([CodekilnReward(batch, name) for name in names], [config.rewards[n] for n in names])


def _completion_text(completion: Any) -> str:
    """A completion as text: TRL passes a string, or (conversational datasets) a list of messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"a completion must be text or a list of chat messages, got {type(completion).__name__}")
