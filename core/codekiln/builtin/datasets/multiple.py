"""``multipl-e``: MultiPL-E's translations of HumanEval and MBPP into other languages.

A row is ``{"name", "language", "prompt", "doctests", "original", "prompt_terminology", "tests",
"stop_tokens"}`` (the dataset builder's ``prepare_prompts_json.py``); ``language`` is MultiPL-E's code
(``py``, ``js``, ``cpp``, ``java``, ``rs``, ...). MultiPL-E runs ``prompt + completion + tests`` as one
program; codekiln runs the prompt and the completion as the solution and ``tests`` apart from it, calling
the solution through a proxy (each language plugin's native-tests mode, as for HumanEval-X). So:

- where MultiPL-E's tests begin by closing the function the prompt opened (C++: ``}``, Java: ``    }``,
  because its stop tokens cut the completion before that brace), that line is taken out of the tests: in
  codekiln the completion closes the function, as HumanEval-X's canonical solutions do;
- Python tests end with ``test_check()``, a call of ``check`` that codekiln's harness makes itself: it is
  taken out so the tests run once;
- the stop tokens are kept on the problem (``NativeTests.stop_tokens``) for generation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.problem import NativeTests, Problem

from .humaneval import require_strings

__all__ = ["MULTIPLE_LANGUAGES", "MultiplEDataset", "merge_languages", "multiple_problem"]

#: MultiPL-E's language codes → codekiln language names. codekiln ships plugins for python, javascript, java
#: and cpp; rows in the others load too (a plugin may add the language) and the trainer keeps only the
#: languages it is asked for.
MULTIPLE_LANGUAGES = {
    "py": "python", "js": "javascript", "java": "java", "cpp": "cpp", "ts": "typescript", "go": "go",
    "rs": "rust", "cs": "csharp", "php": "php", "rb": "ruby", "sh": "bash", "swift": "swift", "scala": "scala",
    "lua": "lua", "r": "r", "jl": "julia", "pl": "perl", "d": "d", "rkt": "racket", "hs": "haskell",
    "ml": "ocaml", "clj": "clojure", "dart": "dart", "elixir": "elixir", "kt": "kotlin",
}
_CANDIDATE = re.compile(r"\bcandidate\s*=\s*([A-Za-z_]\w*)")  # js: let candidate = f;  cpp: auto candidate = f;
_PYTHON_CHECK = re.compile(r"^\s*check\(([A-Za-z_]\w*)\)", re.MULTILINE)
_DEFINITION = re.compile(r"\b([A-Za-z_]\w*)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:->\s*[^:{]+)?[:{]\s*$")


def multiple_problem(row: Any) -> Problem:
    """A problem in one language from a MultiPL-E row.

    >>> row = {"name": "HumanEval_53_add", "language": "cpp", "doctests": "keep", "original": "x.py",
    ...        "prompt_terminology": "reworded", "stop_tokens": ["\\n}"],
    ...        "prompt": "#include<assert.h>\\n// Add two numbers\\nlong add(long x, long y) {\\n",
    ...        "tests": "}\\nint main() {\\n    auto candidate = add;\\n    assert(candidate(2, 3) == (5));\\n}\\n"}
    >>> problem = multiple_problem(row)
    >>> problem.id, problem.languages(), problem.native["cpp"].entry_point
    ('HumanEval_53_add', ('cpp',), 'add')
    >>> problem.native["cpp"].test.splitlines()[0], problem.native["cpp"].stop_tokens
    ('int main() {', ('\\n}',))
    """
    row = require_strings(row, ("name", "language", "prompt", "tests"))
    code = row["language"]
    language = MULTIPLE_LANGUAGES.get(code)
    if language is None:
        raise DataError(f"no codekiln language for MultiPL-E's language code {code!r}")
    stop_tokens = row.get("stop_tokens", [])
    if not isinstance(stop_tokens, list) or not all(isinstance(s, str) and s for s in stop_tokens):
        raise DataError("field 'stop_tokens' must be a list of non-empty strings")
    prompt, tests = row["prompt"], row["tests"]
    function = _entry_point(language, prompt, tests)
    if function is None:
        raise DataError("cannot find the function under test in the prompt or the tests")
    tests = _without_closing_line(tests)
    if language == "python":
        tests = re.sub(r"\n\s*test_check\(\)\s*$", "\n", tests)
    native = NativeTests(prompt, tests, function, prompt, tuple(stop_tokens))
    return Problem(id=row["name"], description=prompt, native={language: native}, tags=("multipl-e",))


def merge_languages(loader: DatasetLoader, rows: Iterable[tuple[str, Problem]]) -> list[Problem]:
    """One problem per name, with the native material of each language its rows give (MultiPL-E ships one
    file per language; several files' rows concatenated make one problem set). A second row for the same
    name and language is skipped."""
    merged: dict[str, Problem] = {}
    for where, problem in rows:
        first = merged.get(problem.id)
        if first is None:
            merged[problem.id] = problem
        elif set(first.native) & set(problem.native):
            loader.skip(where, f"a second row for {problem.id} in {', '.join(problem.native)}")
        else:
            merged[problem.id] = attrs.evolve(first, native={**first.native, **problem.native})
    return list(merged.values())


def _entry_point(language: str, prompt: str, tests: str) -> str | None:
    """The function the tests call: ``check(f)`` in Python, ``candidate = f`` in most translations; else
    the last function the prompt opens (Java's tests call it by name)."""
    found = (_PYTHON_CHECK if language == "python" else _CANDIDATE).findall(tests)
    if found:
        return found[-1]
    for line in reversed(prompt.rstrip().splitlines()):
        match = _DEFINITION.search(line)
        if match:
            return match.group(1)
    return None


def _without_closing_line(tests: str) -> str:
    """``tests`` without a first line that only closes the prompt's function (``}``)."""
    first, newline, rest = tests.lstrip("\n").partition("\n")
    return rest if newline and first.strip() == "}" else tests


class MultiplEDataset(DatasetLoader):
    """MultiPL-E prompts in any of its languages: ``multipl-e:PATH`` (``.json`` list or ``.jsonl``).

    The completion continues the prompt and closes the function; ``tests`` is the test program MultiPL-E
    appends, run apart from the solution. Rows with the same ``name`` in several languages make one problem;
    rows in a language without a codekiln name are skipped.
    """

    name = "multipl-e"

    def load(self, path: str | None) -> list[Problem]:
        return merge_languages(self, self.converted(self.rows(path), multiple_problem))
