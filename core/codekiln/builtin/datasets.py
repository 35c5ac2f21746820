"""Built-in dataset loaders: ``builtin`` (the problems shipped with codekiln), ``jsonl`` (codekiln's own
format, one problem object per line), and the imported benchmarks' formats, one module each:
``humaneval`` and ``humaneval-x`` (:mod:`.datasets_humaneval`), ``mbpp`` (:mod:`.datasets_mbpp`),
``multipl-e`` (:mod:`.datasets_multiple`) and ``hf``, any of these read from a Hugging Face dataset
(:mod:`.datasets_hf`). docs/datasets.md describes them all."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import yaml

from codekiln import hookimpl
from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.model import Problem
from codekiln.serde import load_problem_file, problem_from_row

from .datasets_hf import HfDataset
from .datasets_humaneval import HumanEvalDataset, HumanEvalXDataset
from .datasets_mbpp import MbppDataset
from .datasets_multiple import MultiplEDataset

__all__ = [
    "BuiltinDataset",
    "HfDataset",
    "HumanEvalDataset",
    "HumanEvalXDataset",
    "JsonlDataset",
    "MbppDataset",
    "MultiplEDataset",
    "codekiln_problem",
]


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


def codekiln_problem(row: Any) -> Problem:
    """A problem from a row in codekiln's own JSON format; DataError names the bad field."""
    try:
        return problem_from_row(row, where="@")
    except DataError as exc:  # the caller says where the row is
        raise DataError(str(exc).removeprefix("@: ")) from None


class JsonlDataset(DatasetLoader):
    """Problems in codekiln's own JSON format, one per line: ``jsonl:PATH`` (a JSON or YAML list works too)."""

    name = "jsonl"

    def load(self, path: str | None) -> list[Problem]:
        file = Path(path)
        if file.suffix not in (".yaml", ".yml"):
            return self.convert_rows(self.rows(file), codekiln_problem)
        if not file.is_file():
            raise DataError(f"{file}: no such file")
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise DataError(f"{file}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
        rows = data if isinstance(data, list) else [data]
        return self.convert_rows(((f"{file} item {i}", row) for i, row in enumerate(rows)), codekiln_problem)


@hookimpl
def codekiln_register_datasets(registry):
    for loader in (BuiltinDataset, JsonlDataset, HumanEvalDataset, HumanEvalXDataset, MbppDataset,
                   MultiplEDataset, HfDataset):
        registry.register(loader)
