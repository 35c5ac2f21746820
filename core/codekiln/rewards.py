"""The base class of reward metrics.

A reward scores a batch of completions: ``reward(completions, *, verdicts, problems, language, ...)``
returns one float per completion, or None where it abstains (a ``compiles`` reward has nothing to say
about a language without a compiler). Extra keyword columns it does not use are ignored, so rewards
compose. Rewards are classes (picklable, unlike closures) so they can travel to worker processes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = ["Reward"]


class Reward:
    """Subclass, set ``name`` (and ``range`` if not [0, 1]), implement ``__call__``."""

    name: ClassVar[str]
    #: The documented range of values this reward returns.
    range: ClassVar[tuple[float, float]] = (0.0, 1.0)

    def __call__(self, completions: Sequence[str], **columns: Any) -> list[float | None]:
        raise NotImplementedError
