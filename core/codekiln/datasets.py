"""The base class of dataset loaders, and :func:`load_dataset`, which every part of codekiln loads through.

A dataset is named ``NAME`` (``builtin``) or, for a file-based format, ``FORMAT:PATH``
(``jsonl:problems.jsonl``) wherever one is accepted; :func:`load_dataset` resolves either.

A malformed row never stops a run silently or half-way: the loader reports it with :meth:`DatasetLoader.skip`
and goes on, and :func:`load_dataset` prints one line saying how many rows were skipped and why. In strict
mode the first malformed row is an error instead.
"""

from __future__ import annotations

import gzip
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

import attrs

from .errors import DataError
from .jsonio import load_problem_file, parse_json
from .problem import Problem

if TYPE_CHECKING:
    from .registry import DatasetRegistry

__all__ = ["DatasetLoader", "LoadedDataset", "Skip", "format_counts", "load_dataset", "read_dataset"]

#: How many skip reasons the summary line shows.
SHOWN_REASONS = 3


@attrs.frozen
class Skip:
    """A row left out of a dataset: where it is (``x.jsonl:7``) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@attrs.frozen
class LoadedDataset:
    """The problems a dataset gave and the rows it skipped."""

    spec: str
    problems: list[Problem]
    skipped: list[Skip] = attrs.field(factory=list)

    def skip_line(self) -> str | None:
        """``skipped 3 of 120 rows of mbpp:x.jsonl (first: x.jsonl:7: ...; ...)``, or None when none were."""
        if not self.skipped:
            return None
        total = len(self.problems) + len(self.skipped)
        first = "; ".join(str(s) for s in self.skipped[:SHOWN_REASONS])
        more = "; ..." if len(self.skipped) > SHOWN_REASONS else ""
        return f"skipped {len(self.skipped)} of {total} rows of {self.spec} (first: {first}{more})"


class DatasetLoader:
    """Subclass, set ``name`` and ``needs_path``, implement :meth:`load`.

    ``load`` returns the problems of the good rows and calls :meth:`skip` for each malformed one; in
    strict mode (``self.strict``, set by :func:`load_dataset`) ``skip`` raises instead. The first line of
    the class docstring describes the dataset in ``codekiln datasets``.
    """

    name: ClassVar[str]
    #: True for file formats (named ``FORMAT:PATH``), False for datasets that ship with a package.
    needs_path: ClassVar[bool] = True

    def __init__(self) -> None:
        self.strict = False
        self.skipped: list[Skip] = []

    def load(self, path: str | None) -> list[Problem]:
        raise NotImplementedError

    def skip(self, where: str, reason: str) -> None:
        """Leave out the row at ``where`` (``file:line``) because of ``reason``; in strict mode, fail."""
        if self.strict:
            raise DataError(f"{where}: {reason} (strict mode: fix the row, or load without --strict to skip it)")
        self.skipped.append(Skip(where, reason))

    def rows(self, path: str | Path) -> Iterator[tuple[str, Any]]:
        """``(where, row)`` for each row of a ``.jsonl``, ``.jsonl.gz`` or ``.json`` (a list) file; a line that is
        not JSON is skipped. A missing or unreadable file is an error: it is not a row."""
        file = Path(path)
        if not file.is_file():
            raise DataError(f"{file}: no such file")
        try:
            yield from self._rows(file)
        except (OSError, EOFError, zlib.error) as exc:  # a damaged .gz: BadGzipFile is an OSError
            raise DataError(f"{file}: cannot read the file ({exc or type(exc).__name__})") from None

    def _rows(self, file: Path) -> Iterator[tuple[str, Any]]:
        opener = gzip.open if file.suffix == ".gz" else open
        with opener(file, "rb") as handle:  # bytes: a line of bad UTF-8 is that row's fault, not the file's
            if file.name.removesuffix(".gz").endswith(".json"):
                try:
                    data = parse_json(handle.read())
                except ValueError as exc:
                    raise DataError(f"{file}: {exc}") from None
                if not isinstance(data, list):
                    raise DataError(f"{file}: expected a JSON list of rows, got {type(data).__name__}")
                yield from ((f"{file} item {index}", row) for index, row in enumerate(data))
                return
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = parse_json(line)
                except ValueError as exc:
                    self.skip(f"{file}:{number}", str(exc))
                    continue
                yield f"{file}:{number}", row

    def convert_rows(self, rows: Iterable[tuple[str, Any]], convert: Callable[[Any], Problem]) -> list[Problem]:
        """``convert`` each row; one that raises DataError or ValueError (a value a Problem refuses) is
        skipped with that message, as is one nested too deeply to walk."""
        return [problem for _, problem in self.converted(rows, convert)]

    def converted(self, rows: Iterable[tuple[str, Any]],
                  convert: Callable[[Any], Problem]) -> Iterator[tuple[str, Problem]]:
        """``(where, problem)`` for each row ``convert`` accepts, as :meth:`convert_rows` does."""
        for where, row in rows:
            try:
                problem = convert(row)
            except (DataError, ValueError) as exc:
                self.skip(where, str(exc))
                continue
            except RecursionError:
                self.skip(where, "nested too deeply to read")
                continue
            yield where, problem


def read_dataset(spec: str, registry: DatasetRegistry, *, strict: bool = False) -> LoadedDataset:
    """Load ``NAME`` or ``FORMAT:PATH`` through the loader registered under that name, keeping the skipped
    rows; a bare path to a problem file in codekiln's own format (``.jsonl``, ``.json``, ``.yaml``) works too.
    ``NAME?KEY=VALUE&...`` passes options to the loader's constructor, as text (``families?seed=1``).

    Raises DataError when no problem is left, and in strict mode at the first malformed row."""
    name, _, path = spec.partition(":")
    name, _, query = name.partition("?")
    if name not in registry and Path(spec).is_file():
        loaded = LoadedDataset(spec, load_problem_file(Path(spec)))
    else:
        loader = registry.create(name, **dict(parse_qsl(query, keep_blank_values=True)))
        if loader.needs_path and not path:
            raise DataError(f"dataset '{name}' reads a file: name it as '{name}:PATH'")
        if not loader.needs_path and path:
            raise DataError(f"dataset '{name}' takes no path; use '{name}' alone")
        loader.strict, loader.skipped = strict, []
        loaded = LoadedDataset(spec, list(loader.load(path or None)), list(loader.skipped))
    if not loaded.problems:
        raise DataError(f"dataset {spec} holds no problems" + (f"; {loaded.skip_line()}" if loaded.skipped else ""))
    return loaded


def format_counts(loaded: LoadedDataset) -> str:
    """The problems of a dataset counted per language and per difficulty, and the skip line if any.

    A problem counts once for each language it has native tests in; one with a language-neutral signature
    and tests counts as ``any`` (every language plugin translates it).
    """
    languages: Counter[str] = Counter()
    for problem in loaded.problems:
        languages.update(problem.languages())
        if problem.signature is not None and problem.tests:
            languages["any"] += 1
    difficulties = Counter(problem.difficulty for problem in loaded.problems)
    lines = [f"{loaded.spec}: {len(loaded.problems)} problems", "per language:"]
    lines += [f"  {language:<12} {count}" for language, count in sorted(languages.items())]
    lines.append("per difficulty:")
    lines += [f"  {difficulty:<12} {count}" for difficulty, count in sorted(difficulties.items())]
    if loaded.skipped:
        lines.append(loaded.skip_line())
    return "\n".join(lines)


def _to_stderr(line: str) -> None:
    print(f"codekiln: {line}", file=sys.stderr)


def load_dataset(spec: str, registry: DatasetRegistry, *, strict: bool = False,
                 warn: Callable[[str], None] = _to_stderr) -> list[Problem]:
    """The problems of dataset ``spec`` (see :func:`read_dataset`); when rows were skipped, one line saying
    how many and why goes to ``warn`` (stderr by default)."""
    loaded = read_dataset(spec, registry, strict=strict)
    line = loaded.skip_line()
    if line:
        warn(line)
    return loaded.problems
