"""Native benchmark tests (HumanEval-X): the solution and the benchmark's test code in two sandboxes.

The test code holds the expected values and calls the entry function itself, so it must not share a
process with the solution (which could ``exit(0)``, or print what a shared harness would read as a pass).
Two programs, two sandboxes (each under its own uid, in its own pid namespace):

- the *solver*: the prompt and the completion (``solution.cpp``) and ``kiln::serve(&entry)``, which answers
  one call per line (arguments on stdin, the value or the exception on fd 3);
- the *tester*: the problem's ``declaration`` with the entry function's body replaced by a proxy,
  ``return kiln::call_remote(&entry, params...);``, then the benchmark's ``test`` code. It is compiled from
  the problem alone and cached like the harness objects.

:func:`relay` passes each call of the tester to the solver and the answer back. The tester says
``{"done":true}`` on its fd 3 when its ``main`` has returned (an ``atexit`` handler): that line, which the
solver has no way to write, is the only pass. A failed ``assert`` aborts the tester before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codekiln.languages import parse_row
from codekiln.problem import NativeTests
from codekiln.verdict import TestOutcome

__all__ = ["SOLVER_MAIN", "outcome", "relay", "tester_source"]

#: The solver's translation unit; ``{entry}`` is the function under test.
SOLVER_MAIN = '#include "kiln_native.hpp"\n#include "solution.cpp"\nint main() {{ return kiln::serve(&{entry}); }}\n'


def tester_source(native: NativeTests, parse: Callable[[bytes], Any]) -> str:
    """The test program: the declaration with a proxy for the entry function, then the benchmark's tests.

    Raises ``ValueError`` when the declaration does not end in the opening of the entry function.
    """
    declaration = native.declaration or native.prompt
    text = declaration.rstrip() + "\n}\n"
    data = text.encode("utf-8")
    function = _find_function(parse(data), native.entry_point)
    if function is None:
        raise ValueError(f"the declaration does not define {native.entry_point}()")
    body = function.child_by_field_name("body")
    if data[body.start_byte:].strip() != b"{\n}":  # the declaration must end where the body opens
        raise ValueError(f"the declaration has more after the opening of {native.entry_point}()")
    params = ", ".join(_parameter_names(function, native.entry_point))
    head = data[: body.start_byte + 1].decode("utf-8")
    proxy = f" return kiln::call_remote(&{native.entry_point}{', ' if params else ''}{params}); }}\n"
    return ('#include "kiln_native.hpp"\nstatic const int kiln_done = std::atexit(kiln::say_done);\n'
            f"{head}{proxy}{native.test}\n")


def _find_function(root: Any, name: str) -> Any:
    found = None
    pending = [root]
    while pending:
        node = pending.pop()
        if node.type == "function_definition":
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.type != "function_declarator":
                declarator = declarator.child_by_field_name("declarator")  # through & and * of the return type
            named = declarator.child_by_field_name("declarator") if declarator is not None else None
            if named is not None and named.text.decode("utf-8") == name and (found is None or
                                                                           node.start_byte > found.start_byte):
                found = node  # the last definition: the one the prompt leaves open
            continue
        pending.extend(node.children)
    return found


def _parameter_names(function: Any, name: str) -> list[str]:
    declarator = function.child_by_field_name("declarator")
    while declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    names = []
    for parameter in declarator.child_by_field_name("parameters").named_children:
        if parameter.type == "comment":
            continue
        node = parameter.child_by_field_name("declarator")
        while node is not None and node.type != "identifier":
            inner = node.child_by_field_name("declarator")
            node = inner if inner is not None else next((c for c in node.named_children if c.type == "identifier"),
                                                        None)
        if node is None:
            raise ValueError(f"a parameter of {name}() has no name: {parameter.text.decode('utf-8')!r}")
        names.append(node.text.decode("utf-8"))
    return names


def relay(tester: Any, solver: Any) -> tuple[str, str | None]:
    """Pass the tester's calls to the solver until the tests end. Returns what ended them: ``("done",
    None)``, ``("error", message)`` (the solver answered with an exception), ``("solver_ended", None)``,
    ``("unreadable", message)`` (the tester could not read an answer), or ``("tests_ended", None)`` (the
    tester stopped without saying done: a failed assert, a crash, a limit)."""
    while True:
        request = tester.channel.readline()
        if not request:
            return "tests_ended", None
        if not request.startswith(b"["):
            row = parse_row(request) or {}
            if row.get("done") is True:
                return "done", None
            return "unreadable", str(row.get("error") or "the test program failed")
        if not solver.send(request):
            return "solver_ended", None
        answer = solver.channel.readline()
        if not answer:
            return "solver_ended", None
        if answer.startswith(b'{"error":'):
            return "error", str((parse_row(answer) or {}).get("error") or "the solution failed")
        if not tester.send(answer):
            return "tests_ended", None


def outcome(ending: str, message: str | None, tester: Any, solver: Any) -> tuple[TestOutcome, Any, str | None]:
    """The outcome, the sandbox result that explains it, and the error (a failure of the code's, not an
    assertion) for :class:`~codekiln.languages.NativeRun`."""
    if ending == "done":
        return TestOutcome(0, True), tester, None
    if ending in ("error", "unreadable"):
        return TestOutcome(0, False, message), solver if ending == "error" else tester, message
    if ending == "solver_ended":
        why = f"the solution's process ended before answering ({_how(solver)})"
        return TestOutcome(0, False, why), solver, None if solver.limit_hit else why
    if tester.limit_hit:
        return TestOutcome(0, False, "the tests did not finish"), tester, None
    lines = tester.stderr.decode("utf-8", "replace").strip().splitlines()
    detail = lines[-1][:300] if lines else _how(tester)
    return TestOutcome(0, False, f"assertion failed: {detail}"), tester, None


def _how(result: Any) -> str:
    return f"signal {result.signal}" if result.signal is not None else f"exit status {result.exit_code}"
