"""``mbpp``: Google's MBPP (Mostly Basic Python Problems), original or sanitized, as Python problems.

A row of the original release is ``{"task_id", "text", "code", "test_list", "test_setup_code",
"challenge_test_list"}``; the sanitized release says ``prompt`` for ``text`` and ``test_imports`` (a list)
for ``test_setup_code``. ``test_list`` holds ``assert`` statements that call the solution's function by
name; MBPP runs them in the solution's own namespace. codekiln runs them apart from the solution (see
the Python plugin's check mode), as a ``check(candidate)`` function whose asserts call a proxy, so:

- the function under test is the one the asserts call that the reference ``code`` defines;
- the module imports of the reference (``import math``) go before the asserts, as they were in scope there;
- a row whose asserts use another name the reference defines (a class such as task 601's ``Pair``) is
  skipped with that reason: values cross to the solution as plain data, not as its own objects.
"""

from __future__ import annotations

import ast
from typing import Any

from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.problem import NativeTests, Problem

__all__ = ["MbppDataset", "mbpp_problem"]


def mbpp_problem(row: Any) -> Problem:
    """A Python problem from an MBPP row (original or sanitized).

    >>> row = {"task_id": 7, "text": "Write a function to double a number.", "code": "def dbl(x):\\n  return 2*x",
    ...        "test_list": ["assert dbl(2) == 4", "assert dbl(0) == 0"], "test_setup_code": ""}
    >>> problem = mbpp_problem(row)
    >>> problem.id, problem.native["python"].entry_point
    ('mbpp/7', 'dbl')
    >>> print(problem.native["python"].test)
    def check(candidate):
        dbl = candidate
        assert dbl(2) == 4
        assert dbl(0) == 0
    <BLANKLINE>
    """
    if not isinstance(row, dict):
        raise DataError(f"expected a JSON object, got {type(row).__name__}")
    if not isinstance(row.get("task_id"), (int, str)) or isinstance(row.get("task_id"), bool):
        raise DataError("missing field 'task_id' (a number or a string)")
    text = row.get("text", row.get("prompt"))
    if not isinstance(text, str):
        raise DataError("missing field 'text' (or 'prompt' in the sanitized release), a string")
    code = _string(row, "code")
    asserts = row.get("test_list")
    if not isinstance(asserts, list) or not asserts or not all(isinstance(t, str) for t in asserts):
        raise DataError("missing field 'test_list' (a non-empty list of assert statements)")
    setup = _setup(row)
    defined, imports = _reference_names(code)
    called: list[str] = []
    used: set[str] = set()
    for index, text_of_assert in enumerate(asserts):
        try:
            tree = ast.parse(text_of_assert)
        except SyntaxError as exc:
            raise DataError(f"test_list[{index}] is not valid Python ({exc.msg})") from None
        except (MemoryError, RecursionError):  # what CPython's parser raises for deep nesting, not a real lack
            raise DataError(f"test_list[{index}] is nested too deeply to parse") from None
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
            raise DataError(f"test_list[{index}] is not one assert statement")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called.append(node.func.id)
            if isinstance(node, ast.Name):
                used.add(node.id)
    function = next((name for name in called if defined.get(name) == "function"), None)
    if function is None:
        raise DataError("cannot tell which function the tests call: none that the code defines")
    others = sorted(name for name in used if name in defined and name != function)
    if others:
        raise DataError(f"the tests use {', '.join(others)}, which the solution defines; codekiln runs the tests "
                        "apart from the solution, so they can only call its function")
    body = "".join(f"    {line}\n" for a in asserts for line in a.strip().splitlines())
    test = "".join(f"{part}\n\n" for part in (imports, setup) if part) + \
        f"def check(candidate):\n    {function} = candidate\n{body}"
    description = f"{text.strip()}\nYour code should pass this test:\n{asserts[0].strip()}"
    return Problem(
        id=f"mbpp/{row['task_id']}",
        description=description,
        native={"python": NativeTests(prompt="", test=test, entry_point=function)},
        references={"python": code},
        tags=("mbpp",),
    )


def _string(row: dict[str, Any], field: str) -> str:
    value = row.get(field)
    if not isinstance(value, str):
        raise DataError(f"missing field '{field}' (a string)")
    return value


def _setup(row: dict[str, Any]) -> str:
    """``test_setup_code`` (original release) or ``test_imports`` (sanitized), as code."""
    setup = row.get("test_setup_code", "")
    if not isinstance(setup, str):
        raise DataError("field 'test_setup_code' must be a string")
    imports = row.get("test_imports", [])
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise DataError("field 'test_imports' must be a list of strings")
    return "\n".join(part for part in (*imports, setup.strip()) if part)


def _reference_names(code: str) -> tuple[dict[str, str], str]:
    """The top-level names the reference defines (name → "function", "class" or "value") and its module
    imports, as source."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise DataError(f"field 'code': the reference is not valid Python ({exc.msg}, line {exc.lineno})") from None
    except (MemoryError, RecursionError):  # what CPython's parser raises for deep nesting, not a real lack
        raise DataError("field 'code': the reference is nested too deeply to parse") from None
    defined: dict[str, str] = {}
    imports = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            defined[node.name] = "class"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.unparse(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                defined.update({n.id: "value" for n in ast.walk(target) if isinstance(n, ast.Name)})
    return defined, "\n".join(imports)


class MbppDataset(DatasetLoader):
    """MBPP (original or sanitized) as Python problems with their assert tests: ``mbpp:PATH``.

    The file is ``.jsonl`` (one row a line) or ``.json`` (a list of rows). The problem's description is the
    task's text and its first assert, which names the function; the reference is the row's ``code``. The
    model writes the whole function (the prompt is empty).
    """

    name = "mbpp"

    def load(self, path: str | None) -> list[Problem]:
        return self.convert_rows(self.rows(path), mbpp_problem)
