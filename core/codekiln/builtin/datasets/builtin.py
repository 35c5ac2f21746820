"""The ``builtin`` dataset: the problems shipped with codekiln."""

from __future__ import annotations

from importlib import resources

import attrs

from codekiln.datasets import DatasetLoader
from codekiln.jsonio import load_problem_file
from codekiln.problem import Problem

__all__ = ["BuiltinDataset"]


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
