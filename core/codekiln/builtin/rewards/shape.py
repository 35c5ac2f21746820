"""Built-in rewards on the shape of an answer rather than its behaviour: ``format`` and ``length``.

Registered by the ``builtin.rewards`` plugin (:mod:`codekiln.builtin.rewards.basic`). The scoring tables are in
``docs/rewards/format-length.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from codekiln.errors import ConfigError
from codekiln.extract import fenced_blocks
from codekiln.rewards import Reward

from ._session import SessionHandle

__all__ = ["FormatReward", "LengthReward"]


class FormatReward(Reward):
    """Whether the answer is code in the expected shape: one closed block fenced for the language.

    An answer scores 0.0 when it holds no code for the language: empty, a fence left open (generation
    stopped inside it), only blocks tagged for another language, or no fence when ``require_fence``. Else
    it starts at 1.0 and loses 0.5 per fault, down to 0.0:

    - several fenced blocks (of any language);
    - its code block has no language tag;
    - text outside the blocks, when ``allow_prose`` is false; words after a fence's language tag count as
      such text, except a file name (``sol.py``) or an attribute (``title=sol.py``).

    A bare answer (no fence: code continuing a prompt stub) scores 1.0 unless ``require_fence``. Never
    abstains. Each language's fence tags come from its backend (``py`` means python, ``c++`` cpp), looked up
    in the plugin session the reward is bound to.

    >>> from codekiln.plugins import make_plugins
    >>> reward = FormatReward(allow_prose=False)
    >>> reward.bind_plugins(make_plugins())
    >>> one = "```python\\nx = 1\\n```"
    >>> reward([one, "Here:\\n" + one, "```\\nx = 1\\n```", "```js\\nx\\n```"], languages=["python"] * 4)
    [1.0, 0.5, 0.5, 0.0]
    """

    name = "format"

    def __init__(self, require_fence: bool = False, allow_prose: bool = True) -> None:
        for param, value in (("require_fence", require_fence), ("allow_prose", allow_prose)):
            if not isinstance(value, bool):
                raise ValueError(f"{param} must be true or false, got {value!r}")
        self.require_fence = require_fence
        self.allow_prose = allow_prose
        self._plugins = SessionHandle(self.name)
        self._tags: dict[str, frozenset[str]] = {}

    def bind_plugins(self, plugins: Any) -> None:
        """Read fence tags from the language backends of ``plugins``, the run's plugin session."""
        self._plugins.bind(plugins)
        self._tags = {}

    # Picklable: the fence tags are looked up again where the reward lands.
    def __getstate__(self) -> dict[str, Any]:
        return {"require_fence": self.require_fence, "allow_prose": self.allow_prose, "plugins": self._plugins}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(require_fence=state["require_fence"], allow_prose=state["allow_prose"])
        self._plugins = state["plugins"]

    def __call__(self, completions: Sequence[str], *, languages: Sequence[str], **ignored: Any) -> list[float | None]:
        return [self.score(text, self._fence_tags(language)) for text, language in zip(completions, languages)]

    def score(self, text: str, tags: frozenset[str]) -> float:
        """The score of one answer, given its language's fence tags (lower case)."""
        blocks, outside = fenced_blocks(text)
        if not blocks:
            return 1.0 if text.strip() and not self.require_fence else 0.0
        ours = [b for b in blocks if b.tag in tags]
        code = ours or [b for b in blocks if not b.tag]
        if not all(b.closed for b in blocks) or not "".join(b.body for b in code).strip():
            return 0.0
        prose = not self.allow_prose and (
            bool(outside.strip()) or any(_holds_prose(block.info) for block in blocks))
        faults = (len(blocks) > 1) + (not ours) + prose
        return max(0.0, 1.0 - 0.5 * faults)

    def _fence_tags(self, language: str) -> frozenset[str]:
        if language not in self._tags:
            backend = self._plugins.languages().get(language)  # a missing language fails, named
            tags = backend.fence_tags or (backend.name, *backend.aliases)  # as LanguageBackend.extract reads them
            self._tags[language] = frozenset(tag.lower() for tag in tags)
        return self._tags[language]


#: Words a fence's info string may hold after its tag without being prose: a file name or an attribute.
_LABEL = re.compile(r"[\w.-]+=\S*|[\w./-]*\.\w+")


def _holds_prose(info: str) -> bool:
    """Whether the info string ``info`` holds a word beyond its tag that is neither a file name nor an attribute."""
    return any(re.search(r"[^\W\d_]", word) and not _LABEL.fullmatch(word) for word in info.split()[1:])


class LengthReward(Reward):
    """An overlong-answer penalty with a soft buffer (DAPO's): 0 up to ``max - buffer`` tokens, then linear
    down to -1 at ``max``; -1 from ``max`` on, and for a completion cut off at ``max_new_tokens``.

    ``max_tokens`` defaults to the ``max_new_tokens`` column, ``buffer`` to a quarter of the maximum (a
    buffer longer than the maximum starts the penalty at the first token). Never abstains.

    >>> reward = LengthReward(max_tokens=100, buffer=20)
    >>> reward(["a"] * 4, completion_lengths=[80, 90, 95, 100], max_new_tokens=512)
    [0.0, -0.5, -0.75, -1.0]
    """

    name = "length"
    range = (-1.0, 0.0)

    def __init__(self, max_tokens: int | None = None, buffer: int | None = None) -> None:
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens <= 0):
            raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        if buffer is not None and (not _is_int(buffer) or buffer < 0):
            raise ValueError(f"buffer must be an integer >= 0, got {buffer!r}")
        self.max_tokens = max_tokens
        self.buffer = buffer

    def __call__(self, completions: Sequence[str], *, completion_lengths: Sequence[int],
                 max_new_tokens: int | None = None, **ignored: Any) -> list[float | None]:
        limit = self.max_tokens or max_new_tokens
        if limit is None:
            raise ConfigError("reward 'length' needs reward_params.length.max_tokens, or the max_new_tokens column")
        buffer = limit // 4 if self.buffer is None else self.buffer
        start = max(0, limit - buffer)
        scores: list[float | None] = []
        for length in completion_lengths:
            truncated = max_new_tokens is not None and length >= max_new_tokens
            if truncated or length >= limit:
                scores.append(-1.0)
            elif length <= start:
                scores.append(0.0)
            else:
                scores.append((start - length) / (limit - start))
        return scores


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
