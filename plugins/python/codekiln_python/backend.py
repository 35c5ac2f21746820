"""The Python language backend.

- Syntax: tree-sitter-python (in the core pipeline).
- Compile: the interpreter's own ``compile()``, in the verifier process; it parses and never executes, and
  catches what a grammar cannot (``return`` outside a function, assignment to a call, bad ``nonlocal``).
- Signature tests: ``kiln_harness.py tests`` calls the function on each test's arguments in the sandbox
  and reports the returned values; the core compares them with the expected values outside.
- Native tests (HumanEval's ``check(candidate)``): the benchmark's test code runs here, in the verifier,
  and ``candidate`` is a proxy that sends each call's arguments to the solution running in the sandbox
  (``kiln_harness.py serve``) and receives plain data back. The solution never sees the test code or its
  expected values, and no object of its making reaches an ``==`` in the test.

The sandbox runs the bare interpreter (``-I -S``): standard library only, no site-packages.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from codekiln import wire
from codekiln.languages import Availability, CompileResult, LanguageBackend, NativeRun, SignatureRun, Source
from codekiln.model import Diagnostic, Problem, TestOutcome

_HERE = Path(__file__).parent
#: The real interpreter, not a venv or pyenv shim (a shim costs ~25 ms per spawn).
PYTHON = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
_FILES = {
    "kiln_harness.py": (_HERE / "harness.py").read_text(encoding="utf-8"),
    "kiln_wire.py": Path(wire.__file__).read_text(encoding="utf-8"),
}
# Seconds the trusted test driver may run beyond the sandbox's wall limit before it is interrupted.
_DRIVER_GRACE_S = 2.0


class PythonBackend(LanguageBackend):
    name = "python"
    aliases = ("py", "python3")
    file_extension = ".py"
    fence_tags = ("python", "py", "python3", "py3")

    def tree_sitter_language(self):
        import tree_sitter
        import tree_sitter_python

        return tree_sitter.Language(tree_sitter_python.language())

    def available(self) -> Availability:
        if not os.access(PYTHON, os.X_OK):
            return Availability(False, hint=f"the interpreter {PYTHON} is not executable; reinstall Python")
        return Availability(True, version=f"Python {platform.python_version()}")

    def compile(self, source: Source, runner: Any) -> CompileResult:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                compile(source.text, "solution.py", "exec", dont_inherit=True)
            except SyntaxError as exc:
                return CompileResult(False, (Diagnostic(exc.msg, exc.lineno, exc.offset),))
            except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
                return CompileResult(False, (Diagnostic(f"{type(exc).__name__}: {exc}"),))
        notes = tuple(Diagnostic(str(w.message), w.lineno, None, "warning") for w in caught)
        return CompileResult(True, notes)

    def _files(self, source: Source) -> dict[str, str]:
        return {**_FILES, "solution.py": source.text}

    def run_signature_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: Any
    ) -> SignatureRun:
        calls = [wire.encode(list(problem.typed_args(test))) for test in problem.tests]
        request = json.dumps({"entry_point": problem.signature.name, "calls": calls})
        result = runner.run(
            [PYTHON, "-I", "-S", "kiln_harness.py", "tests"],
            files=self._files(source),
            stdin=request.encode() + b"\n",
            ro_paths=[sys.base_prefix],
            collect=["results.jsonl"],
        )
        lines = result.files.get("results.jsonl", b"").decode("utf-8", "replace").splitlines()
        if not lines or lines[0] != '{"ready": true}':
            if result.limit_hit is None:
                raise RuntimeError(f"the Python harness did not start: {_tail(result.stderr)}")
            return SignatureRun([], result)
        rows, load_error = [], None
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break  # a torn last line: the process died while writing
            if not isinstance(row, dict) or row.get("done"):
                break
            if "load_error" in row:
                load_error = str(row["load_error"])
                break
            rows.append(row)
        return SignatureRun(rows, result, load_error)

    def run_native_tests(self, source: Source, compiled: CompileResult, problem: Problem, runner: Any) -> NativeRun:
        native = problem.native[self.name]
        outcome, error = None, None
        with runner.spawn(
            [PYTHON, "-I", "-S", "kiln_harness.py", "serve"], files=self._files(source), ro_paths=[sys.base_prefix]
        ) as proc:
            if proc.channel.readline() != b'{"ready": true}\n':
                raise RuntimeError("the Python harness did not start")
            proc.stdin.write(json.dumps({"entry_point": native.entry_point}).encode() + b"\n")
            proc.stdin.flush()
            candidate = _Candidate(proc)
            try:
                with _deadline(runner.limits.wall_time_s + _DRIVER_GRACE_S):
                    namespace: dict[str, Any] = {"__name__": "__kiln_test__"}
                    exec(native.prompt, namespace)  # the benchmark's helpers (trusted: it is the dataset)
                    namespace[native.entry_point] = candidate  # tests may call it by name, not as `candidate`
                    exec(native.test, namespace)
                    namespace["check"](candidate)
                outcome = TestOutcome(0, True)
            except AssertionError as exc:
                outcome = TestOutcome(0, False, f"assertion failed{': ' + str(exc) if str(exc) else ''}")
            except _CandidateError as exc:
                error = str(exc)
            except _DriverTimeout:
                error = "the tests did not finish in time"
            except Exception as exc:  # the test code choked on what the candidate returned
                outcome = TestOutcome(0, False, f"{type(exc).__name__}: {exc}")
        if error is not None:
            outcome = TestOutcome(0, False, error)
        return NativeRun([outcome], proc.result, error)


def _tail(data: bytes) -> str:
    return data[-300:].decode("utf-8", "replace").strip().replace("\n", " | ")


class _CandidateError(Exception):
    """The solution raised, failed to load, or died; the message says which."""


class _DriverTimeout(BaseException):
    pass


class _Candidate:
    """Stands in for the solution's function inside the benchmark's test code."""

    def __init__(self, proc: Any) -> None:
        self._proc = proc

    def __call__(self, *args: Any) -> Any:
        try:
            self._proc.stdin.write(json.dumps({"args": wire.encode(list(args))}).encode() + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _CandidateError("the solution's process ended before the tests finished") from None
        line = self._proc.channel.readline()
        if not line:
            raise _CandidateError("the solution's process ended before the tests finished")
        row = json.loads(line)
        if "load_error" in row:
            raise _CandidateError(row["load_error"])
        if "error" in row:
            raise _CandidateError(row["error"])
        return wire.decode(row["value"])


@contextmanager
def _deadline(seconds: float):
    """Interrupt the trusted driver after ``seconds`` (only possible on the main thread; elsewhere the
    sandbox's wall limit still ends the solution, which ends the driver's wait)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise _DriverTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
