"""The base of the rewards that read the code itself: ``quality``, ``constraints`` and ``security``.

They read the ``codes`` column (what the verifier extracted), find the language's
:class:`~codekiln.code_profile.CodeProfile` through its backend, and abstain (None) on a masked verdict, a
language without a profile, and empty code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from codekiln.code_profile import CodeAnalyzer
from codekiln.problem import Problem
from codekiln.rewards import Reward

#: The columns every code reward reads.
COLUMNS = ("problems", "languages", "verdicts", "codes")


class CodeReward(Reward):
    """Finds each language's analyzer once per process; the cache is not pickled (a worker rebuilds it)."""

    def bind_languages(self, languages: Any) -> None:
        """Use this language registry (the trainer's, with its block list) instead of building one."""
        self._languages = languages
        self._analyzers: dict[str, CodeAnalyzer | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_languages", None)
        state.pop("_analyzers", None)
        return state

    def analyzer(self, language: str) -> CodeAnalyzer | None:
        """The analyzer for ``language``; None when no backend is registered for it or it has no profile."""
        analyzers = self.__dict__.setdefault("_analyzers", {})
        if language not in analyzers:
            analyzers[language] = self._build_analyzer(language)
        return analyzers[language]

    def _build_analyzer(self, language: str) -> CodeAnalyzer | None:
        if getattr(self, "_languages", None) is None:
            from codekiln.plugins import make_plugins  # the plugins import the rewards: not at module level

            # Quietly: whoever built the trainer's plugin manager has reported broken plugins already.
            self._languages = make_plugins(warn=lambda line: None).languages()
        if language not in self._languages:
            return None
        backend = self._languages.get(language)
        profile = backend.code_profile()
        return None if profile is None else CodeAnalyzer(profile, backend.tree_sitter_language())

    def samples(self, completions: Sequence[str], columns: dict[str, Any]) -> Iterator[CodeSample]:
        """One :class:`CodeSample` per completion; raises ValueError naming a missing or misaligned column."""
        for column in COLUMNS:
            if columns.get(column) is None:
                raise ValueError(f"reward '{self.name}' needs the '{column}' column")
            if len(columns[column]) != len(completions):
                raise ValueError(f"reward '{self.name}': {len(completions)} completions but "
                                 f"{len(columns[column])} entries in '{column}'")
        for problem, language, verdict, code in zip(*(columns[c] for c in COLUMNS)):
            judged = not verdict.masked and bool(code.strip())
            native = problem.native.get(language)
            program = code if native is None else native.prompt + code
            yield CodeSample(problem, language, code, program if judged else None)


class CodeSample(NamedTuple):
    """A completion's problem, language and extracted code, and the program the reward reads: the code, or
    for a native benchmark problem the prompt it continues followed by the code (as the verifier checks it).
    ``program`` is None where the reward abstains: a masked verdict, or no code."""

    problem: Problem
    language: str
    code: str
    program: str | None
