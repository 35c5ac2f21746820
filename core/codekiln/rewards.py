"""Reward metrics, and :class:`RewardSet`, which composes them into one number per completion.

The calling convention
----------------------
The trainer calls every reward on a whole batch, the same way::

    reward(completions, *, problems, languages, verdicts, codes, completion_lengths, max_new_tokens, **ignored)

Each column is a sequence aligned with ``completions`` (one entry per completion):

- ``completions``: the model's text (``str``);
- ``problems``: the :class:`~codekiln.problem.Problem` each completion answers;
- ``languages``: the canonical language name (``"python"``, ``"cpp"``), as the language registry spells it;
- ``verdicts``: the :class:`~codekiln.verdict.Verdict` verification returned;
- ``codes``: the code the verifier extracted from the completion (``str``, ``""`` when it found none);
- ``completion_lengths``: the completion's length in tokens (``int``);

and ``max_new_tokens`` is one ``int``, the generation budget. A reward takes the columns it needs as keyword
arguments and accepts the rest with ``**ignored``, so a column added later breaks no reward.

It returns one value per completion, in order: a finite float within the class's ``range`` (default
``(0.0, 1.0)``), or ``None`` where it abstains (it has nothing to say about this completion: a masked
verdict, no reference solution to compare with). A reward may also set ``last_details`` during the call: a
list with one dict per completion of named sub-metrics (``{"quality/complexity": 0.5}``), logged beside it.

A reward is a class, not a closure, so it pickles to worker processes; its constructor's keyword arguments
come from the config's ``reward_params.<name>``. A reward that needs other plugins (the language backends,
to read the code) defines ``bind_plugins(plugins)``: :meth:`RewardSet.from_config` hands it the run's plugin
session, so it never builds one of its own and a blocked plugin stays blocked.

Composition
-----------
:class:`RewardSet` holds the configured rewards and their weights (``rewards: {all_tests: 1.0, length: 0.5}``).
Calling it returns one :class:`~codekiln.verdict.RewardBreakdown` per completion: every component's value,
the weights, and the total, the weighted mean over the components that did not abstain. An abstaining
component is left out, not counted as 0. A weight of 0 computes and logs a reward without letting it count.
A breakdown is ``masked`` (total 0.0) when its verdict is masked (verification failed on our side) or when
no component with a positive weight has a value: either way the trainer leaves the sample out of the loss
rather than score it 0.

>>> from codekiln.verdict import Verdict, VerdictStatus
>>> class Shouty(Reward):
...     name = "shouty"
...     def __call__(self, completions, **ignored):
...         return [1.0 if text.isupper() else None for text in completions]
>>> class Short(Reward):
...     name = "short"
...     def __call__(self, completions, **ignored):
...         return [1.0 if len(text) < 4 else 0.0 for text in completions]
>>> rewards = RewardSet({"shouty": Shouty(), "short": Short()}, {"shouty": 3.0, "short": 1.0})
>>> [b.total for b in rewards(["ABC", "abcdef"])]
[1.0, 0.0]
>>> rewards(["AB CDEF"])[0].components
{'shouty': 1.0, 'short': 0.0}
>>> rewards(["AB CDEF"])[0].total
0.75
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import CodekilnError, ConfigError, PluginError, RegistryError
from .verdict import RewardBreakdown

if TYPE_CHECKING:
    from .config import Config
    from .plugins import Plugins

__all__ = ["Reward", "RewardSet"]

# Float rounding in a reward's own arithmetic (1 - 0.1 * 10) must not fail the range check.
_RANGE_SLACK = 1e-9


class Reward:
    """Subclass, set ``name`` (and ``range`` if not [0, 1]), implement ``__call__`` (the calling convention
    above); optionally set ``last_details`` in it."""

    name: ClassVar[str]
    #: The documented range of values this reward returns.
    range: ClassVar[tuple[float, float]] = (0.0, 1.0)

    def __call__(self, completions: Sequence[str], **columns: Any) -> list[float | None]:
        raise NotImplementedError


class RewardSet:
    """Named rewards with weights; calling it returns one :class:`RewardBreakdown` per completion."""

    def __init__(self, rewards: Mapping[str, Reward], weights: Mapping[str, float]) -> None:
        if set(rewards) != set(weights):
            raise ValueError(f"rewards {sorted(rewards)} and weights {sorted(weights)} name different rewards")
        for name, weight in weights.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool) or not math.isfinite(weight) \
                    or weight < 0:
                raise ConfigError(f"config key 'rewards.{name}': the weight must be a number >= 0, got {weight!r}")
        self.rewards = dict(rewards)
        self.weights = {name: float(weights[name]) for name in rewards}

    @classmethod
    def from_config(cls, config: Config, plugins: Plugins) -> RewardSet:
        """The rewards ``config.rewards`` names, looked up in the session ``plugins`` and built with their
        ``config.reward_params``; each reward with a ``bind_plugins`` method is handed the session."""
        unused = sorted(set(config.reward_params) - set(config.rewards))
        if unused:
            raise ConfigError(f"config key 'reward_params.{unused[0]}': no reward '{unused[0]}' in 'rewards'; "
                              f"configured: {', '.join(config.rewards) or 'none'}")
        registry = plugins.rewards()
        rewards = {}
        for name in config.rewards:
            try:
                reward_class = registry.get(name)
            except RegistryError as exc:
                raise ConfigError(f"config key 'rewards.{name}': {exc}") from None
            rewards[name] = _build(name, reward_class, config.reward_params.get(name, {}))
            if callable(getattr(rewards[name], "bind_plugins", None)):
                rewards[name].bind_plugins(plugins)
        return cls(rewards, config.rewards)

    @property
    def names(self) -> list[str]:
        return list(self.rewards)

    def __call__(self, completions: Sequence[str], **columns: Any) -> list[RewardBreakdown]:
        size = len(completions)
        for column, entries in columns.items():
            if isinstance(entries, Sequence) and not isinstance(entries, str | bytes) and len(entries) != size:
                raise ValueError(f"column '{column}' has {len(entries)} entries for {size} completions")
        verdicts = columns.get("verdicts")
        if verdicts is None:
            verdicts = [None] * size
        values: dict[str, list[float | None]] = {}
        details: list[dict[str, float]] = [{} for _ in range(size)]
        for name, reward in self.rewards.items():
            values[name] = _checked_values(name, reward, _call(name, reward, completions, columns), size)
            for sample, extra in zip(details, _checked_details(name, reward, size)):
                sample.update(extra)
        return [self._breakdown({name: values[name][i] for name in self.rewards}, details[i],
                                bool(getattr(verdicts[i], "masked", False))) for i in range(size)]

    def _breakdown(self, components: dict[str, float | None], details: dict[str, float],
                   verdict_masked: bool) -> RewardBreakdown:
        counted = [(self.weights[name], value) for name, value in components.items()
                   if value is not None and self.weights[name] > 0]
        total_weight = sum(weight for weight, _ in counted)
        if total_weight == 0 or verdict_masked:
            return RewardBreakdown(components, dict(self.weights), 0.0, details, masked=True)
        total = sum(weight * value for weight, value in counted) / total_weight
        return RewardBreakdown(components, dict(self.weights), total, details)


def _build(name: str, reward_class: Any, params: Mapping[str, Any]) -> Reward:
    where = f"reward_params.{name}"
    try:
        accepted = inspect.signature(reward_class).parameters
    except (TypeError, ValueError):  # a class whose signature cannot be read: let the call decide
        accepted = {}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    for param in params:
        if accepted and not takes_any and param not in accepted:
            known = ", ".join(accepted) or "none"
            raise ConfigError(f"config key '{where}.{param}': reward '{name}' has no parameter '{param}'; "
                              f"its parameters: {known}")
    try:
        return reward_class(**params)
    except CodekilnError as exc:
        raise ConfigError(f"config key '{where}': reward '{name}': {exc}") from None
    except (TypeError, ValueError) as exc:  # the constructor's own validation names the parameter
        raise ConfigError(f"config key '{where}': reward '{name}': {exc}") from None


def _call(name: str, reward: Reward, completions: Sequence[str], columns: Mapping[str, Any]) -> Any:
    try:
        return reward(completions, **columns)
    except CodekilnError:
        raise
    except Exception as exc:  # third-party code: say which reward broke
        raise PluginError(f"reward '{name}' failed: {type(exc).__name__}: {exc}") from exc


def _checked_values(name: str, reward: Reward, values: Any, size: int) -> list[float | None]:
    if not isinstance(values, Sequence) or isinstance(values, str | bytes) or len(values) != size:
        got = f"{len(values)} value(s)" if isinstance(values, Sequence) else type(values).__name__
        raise PluginError(f"reward '{name}' returned {got} for {size} completions")
    low, high = getattr(reward, "range", Reward.range)
    checked: list[float | None] = []
    for index, value in enumerate(values):
        if value is None:
            checked.append(None)
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) \
                or not low - _RANGE_SLACK <= value <= high + _RANGE_SLACK:
            raise PluginError(f"reward '{name}' returned {value!r} for completion {index}; "
                              f"expected None or a number in [{low}, {high}]")
        checked.append(min(max(float(value), low), high))
    return checked


def _checked_details(name: str, reward: Reward, size: int) -> list[dict[str, float]]:
    details = getattr(reward, "last_details", None)
    if details is None:
        return [{} for _ in range(size)]
    if not isinstance(details, Sequence) or len(details) != size:
        raise PluginError(f"reward '{name}': last_details must be a list of {size} dicts, one per completion")
    checked = []
    for sample in details:
        if not isinstance(sample, Mapping):
            raise PluginError(f"reward '{name}': last_details holds a {type(sample).__name__}, not a dict")
        numbers = {}
        for key, value in sample.items():
            if value is None:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise PluginError(f"reward '{name}': detail {key!r} is {value!r}, not a finite number")
            numbers[str(key)] = float(value)
        checked.append(numbers)
    return checked
