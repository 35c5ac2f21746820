"""Lossless JSON for the data model, with errors that name the file, the row and the field.

>>> from codekiln.verdict import Diagnostic
>>> to_json(Diagnostic("missing ')'", line=3, column=7))
{'message': "missing ')'", 'line': 3, 'column': 7, 'severity': 'error'}
>>> from_json(Diagnostic, {'message': 'x', 'line': 'three'}, where="row 4")
Traceback (most recent call last):
...
codekiln.errors.DataError: row 4: field 'line': invalid literal for int() with base 10: 'three'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import cattrs
import yaml

from .errors import DataError
from .problem import Problem

__all__ = ["from_json", "iter_jsonl", "load_problem_file", "problem_from_row", "to_json"]

T = TypeVar("T")

_converter = cattrs.Converter(forbid_extra_keys=True)
_tolerant = cattrs.Converter(forbid_extra_keys=False)


def to_json(obj: Any) -> Any:
    """Turn a model object into plain JSON data (dicts, lists, strings, numbers)."""
    return _converter.unstructure(obj)


def from_json(cls: type[T], data: Any, *, where: str, extra_keys: str = "forbid") -> T:
    """Build ``cls`` from JSON data; on failure raise DataError ``"<where>: field '<path>': <why>"``.

    An unknown key is an error (a typo in a file someone wrote); ``extra_keys="ignore"`` drops it instead, for
    data another version of codekiln wrote (a verification service's verdicts)."""
    converter = {"forbid": _converter, "ignore": _tolerant}[extra_keys]
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise DataError(f"{where}: {_first_error(exc)}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{where}: {exc}") from None


def _first_error(exc: cattrs.BaseValidationError) -> str:
    message = cattrs.transform_error(exc, format_exception=_describe)[0]
    # cattrs says "... @ $.signature.params[0].type"; users read "field 'signature.params[0].type': ...".
    match = re.fullmatch(r"(.*) @ \$\.?(.*)", message, flags=re.S)
    if not match:
        return message
    why, path = match.groups()
    return f"field '{path}': {why}" if path else why


def _describe(exc: BaseException, type_: Any) -> str:
    # Validators raise ValueError with a message worth showing; cattrs' default says only "invalid value".
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def problem_from_row(row: Any, *, where: str) -> Problem:
    if not isinstance(row, dict):
        raise DataError(f"{where}: expected an object with 'id' and 'description', got {type(row).__name__}")
    return from_json(Problem, row, where=where)


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_row)`` for each non-blank line; a bad line raises DataError naming it."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None


def load_problem_file(path: Path) -> list[Problem]:
    """Load problems from a ``.json`` (one problem or a list), ``.jsonl`` or ``.yaml`` file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such problem file")
    if path.suffix == ".jsonl":
        return [problem_from_row(row, where=f"{path}:{n}") for n, row in iter_jsonl(path)]
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise DataError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    rows = data if isinstance(data, list) else [data]
    where = (lambda i: f"{path} item {i}") if isinstance(data, list) else (lambda i: str(path))
    return [problem_from_row(row, where=where(i)) for i, row in enumerate(rows)]
