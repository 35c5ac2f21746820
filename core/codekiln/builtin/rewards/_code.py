"""The base of the rewards that read the code itself: ``quality``, ``constraints`` and ``security``.

They read the ``codes`` column (what the verifier extracted), find the language's
:class:`~codekiln.code_profile.CodeProfile` through its backend in the plugin session they are bound to, and
abstain (None) on a masked verdict, a ``syntax_error`` verdict (the verifier found the code does not parse,
or overruns the parse budget: nothing to measure, and hostile text is not parsed again here), a language
without a profile, and empty code.

Code that compiled (or needs no compiling) but that the language's tree-sitter grammar cannot read scores 0
(:data:`UNREADABLE`) rather than abstaining. C++'s grammar is inexact (g++ has the last word on syntax), and
one line that defeats the parser (a macro stringising unbalanced brackets) would otherwise drop the reward from
the weighted total, and with it the penalty for what the code does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from codekiln.code_profile import CodeAnalyzer
from codekiln.languages import code_analyzer
from codekiln.problem import Problem
from codekiln.rewards import Reward
from codekiln.verdict import VerdictStatus

from ._session import SessionHandle

#: The columns every code reward reads.
COLUMNS = ("problems", "languages", "verdicts", "codes")
#: The score of judged code the analyzer cannot parse.
UNREADABLE = 0.0


class CodeReward(Reward):
    """Finds each language's analyzer once per process; the cache is not pickled (a copy rebuilds it)."""

    def bind_plugins(self, plugins: Any) -> None:
        """Look language backends up in ``plugins``, the run's plugin session."""
        self._session().bind(plugins)
        self._analyzers: dict[str, CodeAnalyzer | None] = {}

    def _session(self) -> SessionHandle:
        # Subclasses do not call a base __init__: the handle is made on first use.
        return self.__dict__.setdefault("_plugins", SessionHandle(self.name))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_analyzers", None)
        return state

    def analyzer(self, language: str) -> CodeAnalyzer | None:
        """The analyzer for ``language``; None when no backend is registered for it or it has no profile."""
        analyzers = self.__dict__.setdefault("_analyzers", {})
        if language not in analyzers:
            analyzers[language] = self._build_analyzer(language)
        return analyzers[language]

    def _build_analyzer(self, language: str) -> CodeAnalyzer | None:
        languages = self._session().languages()
        if language not in languages:
            return None
        return code_analyzer(languages.get(language))

    def samples(self, completions: Sequence[str], columns: dict[str, Any]) -> Iterator[CodeSample]:
        """One :class:`CodeSample` per completion; raises ValueError naming a missing or misaligned column."""
        for column in COLUMNS:
            if columns.get(column) is None:
                raise ValueError(f"reward '{self.name}' needs the '{column}' column")
            if len(columns[column]) != len(completions):
                raise ValueError(f"reward '{self.name}': {len(completions)} completions but "
                                 f"{len(columns[column])} entries in '{column}'")
        for problem, language, verdict, code in zip(*(columns[c] for c in COLUMNS)):
            judged = not verdict.masked and verdict.status is not VerdictStatus.SYNTAX_ERROR and bool(code.strip())
            native = problem.native.get(language)
            program = code if native is None else native.prompt + code
            yield CodeSample(problem, language, code, program if judged else None,
                             verdict.status is not VerdictStatus.COMPILE_ERROR)


class CodeSample(NamedTuple):
    """A completion's problem, language and extracted code, and the program the reward reads: the code, or
    for a native benchmark problem the prompt it continues followed by the code (as the verifier checks it).
    ``program`` is None where the reward abstains: a masked verdict, a syntax error, or no code."""

    problem: Problem
    language: str
    code: str
    program: str | None
    compiled: bool  # past the compiler: code the analyzer cannot read then scores UNREADABLE

    def unreadable(self) -> float | None:
        """The score of this sample's program where the analyzer cannot parse it."""
        return UNREADABLE if self.compiled else None
