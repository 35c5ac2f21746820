"""Reading g++'s diagnostics (``-fdiagnostics-plain-output``, C locale) as positioned :class:`Diagnostic` s.

The solution is compiled as its own file, ``solution.cpp`` (included by the adapter's ``kiln_entry.cpp``),
so a diagnostic there keeps the compiler's line and column. An error inside a standard header is put at the
line of the solution that instantiated the template (the last "required from" line naming
``solution.cpp``); one in the adapter means the solution's function does not fit the declared signature;
a linker error has no line.

>>> text = '''In file included from kiln_entry.cpp:1:
... solution.cpp: In function 'long long int add(long long int, long long int)':
... solution.cpp:3:9: warning: unused variable 'x' [-Wunused-variable]
... solution.cpp:4:12: error: 'y' was not declared in this scope'''
>>> [(d.severity, d.line, d.column, d.message) for d in parse(text, "add")]
[('warning', 3, 9, "unused variable 'x' [-Wunused-variable]"), ('error', 4, 12, "'y' was not declared in this scope")]
"""

from __future__ import annotations

import re

from codekiln.verdict import Diagnostic

__all__ = ["SOLUTION_FILE", "parse"]

SOLUTION_FILE = "solution.cpp"
ENTRY_FILE = "kiln_entry.cpp"

_MAX_PER_SEVERITY = 10
_MAX_MESSAGE = 400
_LOCATED = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+):(?:(?P<column>\d+):)? "
                      r"(?P<kind>fatal error|error|warning): (?P<message>.*)$")
_REQUIRED = re.compile(rf"^{re.escape(SOLUTION_FILE)}:(?P<line>\d+):(?P<column>\d+):\s+required (?:from|by) ")
_MAIN = Diagnostic("the solution defines main(); the test harness has its own: define only the function under "
                   "test (and its helpers)")
# GNU ld (bfd) quotes a symbol `so', gold 'so'.
_LINKER = re.compile(r"(?:undefined reference to|multiple definition of) [`'](?P<symbol>[^']*)'")


def parse(stderr: str, function: str | None) -> tuple[Diagnostic, ...]:
    """Errors and warnings of a g++ run, notes left out; ``function`` is the name the adapter calls."""
    found: list[Diagnostic] = []
    counts = {"error": 0, "warning": 0}
    context: tuple[int, int] | None = None
    for raw in stderr.splitlines():
        line = raw.rstrip()
        required = _REQUIRED.match(line)
        if required:
            context = (int(required["line"]), int(required["column"]))
            continue
        diagnostic = _located(line, function, context) or _linker(line, function)
        if diagnostic is None:
            continue
        context = None
        if counts[diagnostic.severity] < _MAX_PER_SEVERITY and diagnostic not in found:
            counts[diagnostic.severity] += 1
            found.append(diagnostic)
    return tuple(found)


def _located(line: str, function: str | None, context: tuple[int, int] | None) -> Diagnostic | None:
    match = _LOCATED.match(line)
    if not match:
        return None
    severity = "warning" if match["kind"] == "warning" else "error"
    message = _short(match["message"])
    if match["file"] == SOLUTION_FILE:
        column = int(match["column"]) if match["column"] else None
        return Diagnostic(message, int(match["line"]), column, severity)
    if match["file"] == ENTRY_FILE:
        if "redefinition of 'int main()'" in message:
            return _MAIN
        return Diagnostic(f"{message} (where the test harness calls {function}: the function must match the "
                          "declared signature)", None, None, severity)
    if severity == "warning":  # a warning inside the standard library is not the solution's concern
        return None
    where = f" (in {match['file'].rsplit('/', 1)[-1]})"
    if context is None:
        return Diagnostic(message + where, None, None, severity)
    return Diagnostic(message + where, context[0], context[1], severity)


def _linker(line: str, function: str | None) -> Diagnostic | None:
    match = _LINKER.search(line)
    if not match:
        return None
    symbol = match["symbol"]
    if line[match.start():].startswith("multiple definition"):
        if symbol == "main":
            return _MAIN
        return Diagnostic(f"multiple definition of {symbol}")
    if function and symbol.startswith(f"{function}("):
        return Diagnostic(f"{symbol} is declared but never defined")
    return Diagnostic(f"undefined reference to {symbol}")


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."
