"""The Python language backend.

- Syntax: tree-sitter-python (in the core pipeline).
- Compile: the interpreter's own ``compile()``, in the verifier process; it parses and never executes, and
  catches what a grammar cannot (``return`` outside a function, assignment to a call, bad ``nonlocal``).
- Signature tests: ``kiln_harness.py tests`` calls the function on each test's arguments in the sandbox
  and reports the returned values; the core compares them with the expected values outside.
- Native tests (HumanEval's ``check(candidate)``): the core's relay (:mod:`codekiln.verifier.relay`) runs
  the benchmark's test code (``kiln_harness.py check``) and the solution (``kiln_harness.py serve``) in
  two sandboxes, two uids and two pid namespaces; ``candidate`` is a proxy whose calls are relayed to
  the solution and whose answers come back as plain data. The solution never holds the test code or its
  expected values, cannot reach the process that judges or the descriptor its verdict travels on, and no
  object of its making reaches an ``==`` in the test (see harness.py).

The sandbox runs the bare interpreter (``-I -S -B``): standard library only, no site-packages. Every run of
the harness is forked from a warm interpreter that has it loaded, with a cold run's isolation, unless the warm
path is off or broken (see warm.py).
"""

from __future__ import annotations

import json
import os
import platform
import warnings

from codekiln import value_codec
from codekiln.code_profile import CodeProfile
from codekiln.languages import (
    Availability,
    CompileResult,
    LanguageBackend,
    NativeRun,
    SignatureRun,
    Source,
    harness_rows,
)
from codekiln.problem import Problem
from codekiln.typespec import TypeSpec
from codekiln.verdict import Diagnostic
from codekiln.verifier.relay import NativePrograms, run_native
from codekiln.verifier.runner import SandboxRunner

from . import warm
from .profile import PROFILE
from .warm import PYTHON


class PythonBackend(LanguageBackend):
    name = "python"
    aliases = ("py", "python3")
    file_extension = ".py"
    fence_tags = ("python", "py", "python3", "py3")

    def tree_sitter_language(self):
        import tree_sitter
        import tree_sitter_python

        return tree_sitter.Language(tree_sitter_python.language())

    def code_profile(self) -> CodeProfile:
        return PROFILE

    def available(self) -> Availability:
        if not os.access(PYTHON, os.X_OK):
            return Availability(False, hint=f"the interpreter {PYTHON} is not executable; reinstall Python")
        return Availability(True, version=f"Python {platform.python_version()}")

    def signature_stub(self, problem: Problem) -> str:
        """``def name(param: type, ...) -> type:`` with the vocabulary's types as Python hints.

        >>> from codekiln.problem import Param, Signature
        >>> params = (Param("xs", "list[optional[int]]"), Param("m", "dict[str, tuple[int, float]]"))
        >>> sig = Signature("f", params, "bool")
        >>> PythonBackend().signature_stub(Problem(id="p", description="", signature=sig))
        'def f(xs: list[int | None], m: dict[str, tuple[int, float]]) -> bool:'
        """
        signature = problem.signature
        params = ", ".join(f"{p.name}: {_hint(t)}" for p, t in zip(signature.params, signature.param_types()))
        return f"def {signature.name}({params}) -> {_hint(signature.return_type())}:"

    def compile(self, source: Source, problem: Problem, runner: SandboxRunner) -> CompileResult:
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

    def run_signature_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> SignatureRun:
        calls = [value_codec.encode(list(problem.typed_args(test))) for test in problem.tests]
        request = {"entry_point": problem.signature.name, "calls": calls}
        result = warm.run(runner, ["tests"], {"solution.py": source.text}, json.dumps(request).encode() + b"\n")
        rows = harness_rows(result, "Python")
        load_error = None
        calls_done = []
        for row in rows:
            if row.get("done"):
                break
            if "load_error" in row:
                load_error = str(row["load_error"])
                break
            calls_done.append(row)
        return SignatureRun(calls_done, result, load_error)

    def run_native_tests(
        self, source: Source, compiled: CompileResult, problem: Problem, runner: SandboxRunner
    ) -> NativeRun:
        """HumanEval's ``check(candidate)`` through the core's relay (:mod:`codekiln.verifier.relay`)."""
        native = problem.native[self.name]
        programs = NativePrograms(
            language="Python",
            tester=warm.program(["check", native.entry_point], {"prompt.py": native.prompt, "tests.py": native.test}),
            solver=warm.program(["serve", native.entry_point], {"solution.py": source.text}),
        )
        return run_native(programs, runner)


def _hint(spec: TypeSpec) -> str:
    if spec.name == "optional":
        return f"{_hint(spec.args[0])} | None"
    if not spec.args:
        return spec.name
    return f"{spec.name}[{', '.join(_hint(a) for a in spec.args)}]"
