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

from .errors import CodekilnError, DataError
from .problem import Problem

__all__ = ["YAML_MAX_VALUES", "from_json", "iter_jsonl", "load_problem_file", "load_yaml", "parse_json",
           "parse_yaml", "problem_from_row", "to_json"]

#: The most values (scalars, lists, mappings) a YAML document may hold once its aliases are expanded: far more
#: than any config or problem file holds, far fewer than an alias bomb (a few hundred bytes naming 10**9).
YAML_MAX_VALUES = 1_000_000

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


def parse_json(line: bytes | str) -> Any:
    """One JSON value; a line that is not one (bad JSON or UTF-8, a number or nesting Python cannot hold) raises
    ValueError with a short reason."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else f"column {exc.colno}"
        raise ValueError(f"not valid JSON ({exc.msg} at {at})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise ValueError("not readable JSON (nested too deeply)") from None
    except ValueError as exc:  # int() refuses numbers of more than 4300 digits
        raise ValueError(f"not readable JSON ({_reason(exc)})") from None


def _reason(exc: ValueError) -> str:
    # Python's own advice ("; use sys.set_int_max_str_digits() ...") is for programmers, not for this user.
    return str(exc).split(";")[0]


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_row)`` for each non-blank line; a bad line raises DataError naming it."""
    with open(path, "rb") as handle:  # bytes: a line of bad UTF-8 is that line's error, not the file's
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, parse_json(line)
            except ValueError as exc:
                raise DataError(f"{path}:{number}: {exc}") from None


def load_yaml(path: Path, *, error: type[CodekilnError] = DataError) -> Any:
    """The data of the YAML file ``path``, as :func:`parse_yaml` reads it; a file that cannot be read is
    ``error`` too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    return parse_yaml(text, where=str(path), error=error)


def parse_yaml(text: str, *, where: str, error: type[CodekilnError] = DataError, text_if_invalid: bool = False) -> Any:
    """Safe-load the YAML ``text`` of a user's file (``where`` names it); every way it can fail is one line of
    ``error``. Anchors and aliases are welcome, but a document whose aliases expand past :data:`YAML_MAX_VALUES`
    values is refused: everything downstream (validation, ``attrs.asdict``, JSON) walks the expanded tree.
    With ``text_if_invalid``, text that is not YAML is returned as it is (a command line's ``key=[a`` value)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        if text_if_invalid:
            return text
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise error(f"{where}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except RecursionError:
        raise error(f"{where}: not readable YAML (nested too deeply)") from None
    except ValueError as exc:  # int() refuses numbers of more than 4300 digits
        raise error(f"{where}: not readable YAML ({_reason(exc)})") from None
    size = _expanded_size(data)
    if size is None:
        raise error(f"{where}: an alias refers to a list or mapping that contains it; YAML data must be a tree")
    if size > YAML_MAX_VALUES:
        raise error(f"{where}: its aliases expand to {size:,} values, more than the {YAML_MAX_VALUES:,} codekiln "
                    "reads; repeat less through aliases")
    return data


def _expanded_size(data: Any) -> int | None:
    """How many values ``data`` holds counted as a tree (a list reached through N aliases counts N times), or
    None when it contains itself. Each distinct list or mapping is visited once, so an alias bomb costs what
    its text does."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (list, dict)) or (id(node) in sizes and not children_done):
            continue
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        if children_done:
            open_.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 1) if isinstance(c, (list, dict)) else 1 for c in children)
            continue
        if id(node) in open_:
            return None
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children)
    return sizes[id(data)] if isinstance(data, (list, dict)) else 1


def load_problem_file(path: Path) -> list[Problem]:
    """Load problems from a ``.json`` (one problem or a list), ``.jsonl`` or ``.yaml`` file."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such problem file")
    if path.suffix == ".jsonl":
        return [problem_from_row(row, where=f"{path}:{n}") for n, row in iter_jsonl(path)]
    if path.suffix in (".yaml", ".yml"):
        data = load_yaml(path)
    else:
        try:
            data = parse_json(path.read_bytes())
        except ValueError as exc:
            raise DataError(f"{path}: {exc}") from None
    rows = data if isinstance(data, list) else [data]
    where = (lambda i: f"{path} item {i}") if isinstance(data, list) else (lambda i: str(path))
    return [problem_from_row(row, where=where(i)) for i, row in enumerate(rows)]
