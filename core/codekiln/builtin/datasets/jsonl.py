"""The ``jsonl`` dataset: problems in codekiln's own JSON format, and the row parser other loaders reuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.jsonio import load_yaml, problem_from_row
from codekiln.problem import Problem

__all__ = ["JsonlDataset", "codekiln_problem"]


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
        data = load_yaml(file)
        rows = data if isinstance(data, list) else [data]
        return self.convert_rows(((f"{file} item {i}", row) for i, row in enumerate(rows)), codekiln_problem)
