"""The language-neutral type vocabulary of problem signatures.

A :class:`~codekiln.problem.Signature` names its parameter and return types in a small vocabulary that every
language plugin translates into its own types (the technique MultiPL-E uses to carry HumanEval across
languages)::

    int  float  bool  str  list[T]  dict[K, V]  optional[T]  tuple[T1, T2, ...]

Dictionary keys are ``str`` or ``int``. Values in problem files are plain JSON: tuples are written as
arrays, dictionaries as objects (``int`` keys as strings, since JSON keys are strings), ``optional`` values
as ``null`` or the value. :func:`check_value` validates such a value against a type and :func:`from_json`
turns it into the Python value a reference solution returns.
"""

from __future__ import annotations

import math
import re
from typing import Any

import attrs

__all__ = ["SCALARS", "TypeSpec", "check_value", "from_json", "parse_type", "to_json", "values_equal"]

SCALARS = ("int", "float", "bool", "str")
_CONTAINERS = {"list": 1, "dict": 2, "optional": 1, "tuple": None}
_DICT_KEYS = ("str", "int")

#: Relative and absolute tolerance for comparing floats, in every language.
FLOAT_REL_TOL = 1e-6
FLOAT_ABS_TOL = 1e-9


@attrs.frozen
class TypeSpec:
    """A parsed type: a scalar name with no arguments, or a container with its argument types."""

    name: str
    args: tuple[TypeSpec, ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(str(a) for a in self.args)}]"


_TOKEN = re.compile(r"\s*([A-Za-z]+|\[|\]|,)")


def parse_type(text: str) -> TypeSpec:
    """Parse ``text`` such as ``"list[tuple[str, int]]"``; raise ``ValueError`` naming what is wrong.

    >>> str(parse_type("dict[str,  list[int]]"))
    'dict[str, list[int]]'
    """
    tokens = _tokenize(text)
    spec, pos = _parse(tokens, 0, text)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r} in type {text!r}")
    return spec


def _tokenize(text: str) -> list[str]:
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if not match:
            raise ValueError(f"cannot read type {text!r} at position {pos}")
        tokens.append(match.group(1))
        pos = match.end()
    if not tokens:
        raise ValueError("empty type")
    return tokens


def _parse(tokens: list[str], pos: int, text: str) -> tuple[TypeSpec, int]:
    name = tokens[pos]
    if name in SCALARS:
        return TypeSpec(name), pos + 1
    if name not in _CONTAINERS:
        known = ", ".join([*SCALARS, *_CONTAINERS])
        raise ValueError(f"unknown type {name!r} in {text!r}; known: {known}")
    if pos + 1 >= len(tokens) or tokens[pos + 1] != "[":
        raise ValueError(f"type {name!r} needs arguments in brackets, as in {name}[int], in {text!r}")
    args, pos = [], pos + 2
    while True:
        if pos >= len(tokens):
            raise ValueError(f"missing ']' in type {text!r}")
        arg, pos = _parse(tokens, pos, text)
        args.append(arg)
        if pos >= len(tokens):
            raise ValueError(f"missing ']' in type {text!r}")
        if tokens[pos] == "]":
            pos += 1
            break
        if tokens[pos] != ",":
            raise ValueError(f"expected ',' or ']' in type {text!r}, got {tokens[pos]!r}")
        pos += 1
    arity = _CONTAINERS[name]
    if arity is not None and len(args) != arity:
        raise ValueError(f"{name} takes {arity} type argument(s), got {len(args)} in {text!r}")
    if name == "dict" and args[0].name not in _DICT_KEYS:
        raise ValueError(f"dict keys must be str or int, got {args[0]} in {text!r}")
    return TypeSpec(name, tuple(args)), pos


def check_value(value: Any, spec: TypeSpec) -> str | None:
    """Return why the JSON ``value`` does not fit ``spec``, or None when it does.

    >>> check_value([1, "a"], parse_type("list[int]"))
    "item 1: expected int, got str 'a'"
    """
    name = spec.name
    if name == "optional":
        return None if value is None else check_value(value, spec.args[0])
    if name == "bool":
        return None if isinstance(value, bool) else _mismatch(value, spec)
    if name == "int":
        return None if isinstance(value, int) and not isinstance(value, bool) else _mismatch(value, spec)
    if name == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else _mismatch(value, spec)
    if name == "str":
        return None if isinstance(value, str) else _mismatch(value, spec)
    if name == "list":
        if not isinstance(value, list | tuple):
            return _mismatch(value, spec)
        return _first_problem((f"item {i}", check_value(v, spec.args[0])) for i, v in enumerate(value))
    if name == "tuple":
        if not isinstance(value, list | tuple) or len(value) != len(spec.args):
            return f"expected {spec} ({len(spec.args)} items), got {_show(value)}"
        return _first_problem((f"item {i}", check_value(v, t)) for i, (v, t) in enumerate(zip(value, spec.args)))
    # dict
    if not isinstance(value, dict):
        return _mismatch(value, spec)
    key_type, value_type = spec.args
    problems = []
    for key, item in value.items():
        if key_type.name == "int" and not _is_int_key(key):
            problems.append((f"key {key!r}", f"expected int key, got {key!r}"))
        problems.append((f"value of {key!r}", check_value(item, value_type)))
    return _first_problem(problems)


def from_json(value: Any, spec: TypeSpec) -> Any:
    """Turn a JSON value that passed :func:`check_value` into its Python value (tuples, int keys)."""
    name = spec.name
    if value is None or name in ("int", "bool", "str"):
        return value
    if name == "float":
        return float(value)
    if name == "optional":
        return from_json(value, spec.args[0])
    if name == "list":
        return [from_json(v, spec.args[0]) for v in value]
    if name == "tuple":
        return tuple(from_json(v, t) for v, t in zip(value, spec.args))
    key_type, value_type = spec.args
    convert_key = int if key_type.name == "int" else str
    return {convert_key(k): from_json(v, value_type) for k, v in value.items()}


def to_json(value: Any) -> Any:
    """Turn a Python value of the vocabulary into plain JSON (tuples become arrays, keys strings)."""
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def values_equal(actual: Any, expected: Any, spec: TypeSpec) -> bool:
    """Compare two Python values of type ``spec``; floats within tolerance, types exact.

    ``actual`` comes from untrusted code: only plain built-in types are accepted, so an object whose
    ``__eq__`` always answers True cannot pass, and no value makes the comparison raise.

    >>> values_equal(10**400, 1.5, parse_type("float"))
    False
    """
    name = spec.name
    if name == "optional":
        if expected is None or actual is None:
            return actual is None and expected is None
        return values_equal(actual, expected, spec.args[0])
    if name == "float":
        if type(actual) not in (int, float):
            return False
        try:
            actual = float(actual)
        except OverflowError:  # an int beyond any float (10**400): no float is close to it
            return False
        if math.isnan(expected):
            return math.isnan(actual)
        return math.isclose(actual, expected, rel_tol=FLOAT_REL_TOL, abs_tol=FLOAT_ABS_TOL)
    if name in ("int", "bool", "str"):
        return type(actual) is type(expected) and actual == expected
    if name == "list":
        return (
            type(actual) is list
            and len(actual) == len(expected)
            and all(values_equal(a, e, spec.args[0]) for a, e in zip(actual, expected))
        )
    if name == "tuple":
        return (
            type(actual) in (tuple, list)
            and len(actual) == len(expected)
            and all(values_equal(a, e, t) for a, e, t in zip(actual, expected, spec.args))
        )
    key_type = int if spec.args[0].name == "int" else str
    value_type = spec.args[1]
    return (
        type(actual) is dict
        and all(type(key) is key_type for key in actual)  # True == 1 as a key, but it is not an int
        and actual.keys() == expected.keys()
        and all(values_equal(actual[k], expected[k], value_type) for k in expected)
    )


def _is_int_key(key: Any) -> bool:
    if isinstance(key, int) and not isinstance(key, bool):
        return True
    return isinstance(key, str) and re.fullmatch(r"-?\d+", key) is not None


def _first_problem(problems) -> str | None:
    for where, problem in problems:
        if problem is not None:
            return f"{where}: {problem}"
    return None


def _mismatch(value: Any, spec: TypeSpec) -> str:
    return f"expected {spec}, got {_show(value)}"


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"
