"""The base class of dataset loaders.

A dataset is named ``NAME`` (``builtin``) or, for a file-based format, ``FORMAT:PATH``
(``jsonl:problems.jsonl``) wherever one is accepted; :func:`load_dataset` resolves either.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from .errors import DataError
from .model import Problem
from .serde import load_problem_file

if TYPE_CHECKING:
    from .registry import DatasetRegistry

__all__ = ["DatasetLoader", "load_dataset"]


class DatasetLoader:
    """Subclass, set ``name`` and ``needs_path``, implement :meth:`load`."""

    name: ClassVar[str]
    #: True for file formats (named ``FORMAT:PATH``), False for datasets that ship with a package.
    needs_path: ClassVar[bool] = True

    def load(self, path: str | None) -> list[Problem]:
        raise NotImplementedError


def load_dataset(spec: str, registry: DatasetRegistry) -> list[Problem]:
    """Load ``NAME`` or ``FORMAT:PATH`` through the loader registered under that name; a bare path to a
    problem file in codekiln's own format (``.jsonl``, ``.json``, ``.yaml``) works too."""
    name, _, path = spec.partition(":")
    if name not in registry and Path(spec).is_file():
        return load_problem_file(Path(spec))
    loader = registry.create(name)
    if loader.needs_path and not path:
        raise DataError(f"dataset '{name}' reads a file: name it as '{name}:PATH'")
    if not loader.needs_path and path:
        raise DataError(f"dataset '{name}' takes no path; use '{name}' alone")
    return loader.load(path or None)
