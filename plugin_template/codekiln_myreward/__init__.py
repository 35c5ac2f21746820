"""codekiln-myreward: rewards answers that hold exactly one fenced code block.

codekiln extracts the code to verify from the model's markdown; an answer with no fence, or with several,
leaves it guessing which code is meant. Weighted lightly, this reward teaches the format early in training.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from codekiln import hookimpl
from codekiln.rewards import Reward

__all__ = ["OneCodeBlockReward"]

# A fence line: up to three spaces, then three or more backticks (CommonMark). An answer holds exactly one
# complete block when it has exactly two such lines, the opening and the closing one.
_FENCE_LINE = re.compile(r"^ {0,3}```", re.MULTILINE)


class OneCodeBlockReward(Reward):
    r"""1.0 when the completion holds exactly one complete ```-fenced code block, else 0.0.

    >>> reward = OneCodeBlockReward()
    >>> one = "Here you go:\n```python\ndef f():\n    return 1\n```\n"
    >>> two = one + "And a test:\n```python\nassert f() == 1\n```\n"
    >>> reward([one, two, "def f(): return 1", "```python\nunclosed"])
    [1.0, 0.0, 0.0, 0.0]
    """

    name = "myreward"

    # Keyword-tolerant: the trainer passes columns (verdicts, problems, ...) this reward does not need.
    def __call__(self, completions: Sequence[str], **columns: Any) -> list[float | None]:
        return [1.0 if len(_FENCE_LINE.findall(text)) == 2 else 0.0 for text in completions]


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(OneCodeBlockReward)
