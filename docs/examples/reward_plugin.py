"""A reward plugin whose reward takes a parameter and abstains where it has nothing to say.

Shown in docs/howto/reward-plugin.md. ``reward_params: {short_answer: {max_chars: 200}}`` in the config
reaches the constructor. The trainer calls the reward with every column of the calling convention
(``problems``, ``languages``, ``verdicts``, ``codes``, ``completion_lengths``, ``max_new_tokens``); it takes
the one it reads and ignores the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codekiln import hookimpl
from codekiln.rewards import Reward
from codekiln.verdict import Verdict


class ShortAnswerReward(Reward):
    """1.0 for answers up to ``max_chars`` characters, falling linearly to 0.0 at twice that length.

    >>> reward = ShortAnswerReward(max_chars=10)
    >>> reward(["x" * 5, "x" * 15, "x" * 30])
    [1.0, 0.5, 0.0]
    """

    name = "short_answer"

    def __init__(self, max_chars: int = 400) -> None:
        if max_chars <= 0:
            raise ValueError(f"max_chars must be positive, got {max_chars}")
        self.max_chars = max_chars

    def __call__(
        self, completions: Sequence[str], *, verdicts: Sequence[Verdict] | None = None, **ignored: Any
    ) -> list[float | None]:
        scores: list[float | None] = [self._score(len(text)) for text in completions]
        if verdicts is not None:
            # A masked sample failed on our side, not the model's: abstain rather than judge it.
            scores = [None if verdict.masked else score for score, verdict in zip(scores, verdicts)]
        return scores

    def _score(self, length: int) -> float:
        overshoot = max(0, length - self.max_chars) / self.max_chars
        return max(0.0, 1.0 - overshoot)


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(ShortAnswerReward)
