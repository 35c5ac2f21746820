"""Verifying one sample: extract → assemble → syntax → compile → run tests → Verdict.

The pipeline stops at the first failing stage. Backends supply the language steps; this module owns the
syntax check (tree-sitter, the same for every language), timing, the comparison of returned values with
expected ones, and the mapping of everything that can happen onto one :class:`VerdictStatus`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import attrs

from .. import value_codec
from ..languages import CompileResult, LanguageBackend, NativeRun, SignatureRun, Source
from ..parsing import UnparsableCode, parse
from ..problem import Problem
from ..typespec import values_equal
from ..verdict import Diagnostic, Stage, StageResult, TestOutcome, Verdict, VerdictStatus
from .runner import SandboxRunner
from .warm import take_fallbacks

__all__ = ["MAX_CODE_BYTES", "judge_run", "syntax_diagnostics", "verify_one"]

#: Longer answers are refused before anything reads them: a reward for megabytes of code is not worth the
#: risk, and every later stage may then assume a bounded text.
MAX_CODE_BYTES = 200_000
#: Caps on what one verdict carries, whatever the code makes its compiler or its run print.
_TAIL_CHARS = 2000
_MAX_DIAGNOSTICS = 20
_MAX_MESSAGE_CHARS = 500

_LIMIT_STATUS = {
    "wall_time": VerdictStatus.TIMEOUT,
    "cpu_time": VerdictStatus.TIMEOUT,
    "memory": VerdictStatus.MEMORY_LIMIT,
    "output": VerdictStatus.OUTPUT_LIMIT,
}

_availability: dict[str, Any] = {}
_languages: dict[str, Any] = {}


def verify_one(backend: LanguageBackend, problem: Problem, completion: str, runner: SandboxRunner) -> Verdict:
    """Verify one model answer for one problem. Failures of ours raise; the caller masks them.

    A problem with no tests for this language (neither native ones nor a signature with tests) is checked
    up to compilation only."""
    stages: list[StageResult] = []
    verdict = _Builder(backend.name, problem.id, stages)
    take_fallbacks()  # anything left from a sample that raised belongs to no verdict

    if backend.name not in _availability:  # a toolchain probe spawns processes: once per worker
        _availability[backend.name] = backend.available()
    availability = _availability[backend.name]
    if not availability.ok:
        return verdict.done(VerdictStatus.TOOLCHAIN_MISSING, masked=True, stderr=availability.hint or "")
    run_tests = problem.tested_in(backend.name)

    start = time.perf_counter()
    problem_text = _unreadable(completion)
    code = "" if problem_text else backend.extract(completion, problem)
    if not problem_text and not code.strip():
        problem_text = f"no {backend.name} code found in the answer"
    stages.append(StageResult(Stage.EXTRACT, problem_text is None, time.perf_counter() - start,
                              (Diagnostic(problem_text),) if problem_text else ()))
    if problem_text:
        return verdict.done(VerdictStatus.SYNTAX_ERROR)

    start = time.perf_counter()
    try:  # every parse of the code (a backend's assembly, the syntax check) is budgeted: see codekiln.parsing
        source = backend.assemble(code, problem)
        diagnostics = syntax_diagnostics(backend, source)
        # A grammar that rejects some valid code leaves the verdict to the compiler (LanguageBackend.grammar_is_exact).
        overruled = bool(diagnostics) and not backend.grammar_is_exact
    except UnparsableCode as exc:
        diagnostics, overruled = (Diagnostic(str(exc)),), False
    syntax = StageResult(Stage.SYNTAX, not diagnostics, time.perf_counter() - start, diagnostics)
    stages.append(syntax)
    if diagnostics and not overruled:
        return verdict.done(VerdictStatus.SYNTAX_ERROR)

    runner = runner.with_problem_limits(problem.time_limit_s, problem.memory_limit_mb)
    start = time.perf_counter()
    compiled: CompileResult = backend.compile(source, problem, runner)
    if compiled.infra_error:
        raise RuntimeError(f"{backend.name} compile step failed: {compiled.infra_error}")
    diagnostics = _map_lines(compiled.diagnostics[:_MAX_DIAGNOSTICS], source)
    stages.append(StageResult(Stage.COMPILE, compiled.ok, time.perf_counter() - start, diagnostics))
    if not compiled.ok:
        return verdict.done(VerdictStatus.SYNTAX_ERROR if overruled else VerdictStatus.COMPILE_ERROR)
    if overruled:  # the compiler accepted what the grammar did not: the syntax was fine
        stages[stages.index(syntax)] = attrs.evolve(syntax, ok=True, diagnostics=())
    if not run_tests:  # a problem without tests: checking syntax and compilation was all there was to do
        return verdict.done(VerdictStatus.PASSED)

    start = time.perf_counter()
    if source.native:
        run: NativeRun | SignatureRun = backend.run_native_tests(source, compiled, problem, runner)
    else:
        run = backend.run_signature_tests(source, compiled, problem, runner)
    status, outcomes = judge_run(problem, run)
    passed = sum(o.passed for o in outcomes)
    total = len(outcomes) if source.native else len(problem.tests)
    stages.append(StageResult(Stage.RUN, status is VerdictStatus.PASSED, time.perf_counter() - start))
    return verdict.done(status, outcomes=outcomes, passed=passed, total=total, sandbox=run.sandbox)


class _Builder:
    def __init__(self, language: str, problem_id: str, stages: list[StageResult]) -> None:
        self.language, self.problem_id, self.stages = language, problem_id, stages

    def done(self, status: VerdictStatus, *, masked: bool = False, stderr: str = "",
             outcomes: Sequence[TestOutcome] = (), passed: int = 0, total: int = 0, sandbox: Any = None) -> Verdict:
        stdout = ""
        if sandbox is not None:
            stdout = _tail(sandbox.stdout)
            stderr = _tail(sandbox.stderr)
        outcomes = tuple(attrs.evolve(o, message=_capped(o.message)) for o in outcomes)
        return Verdict(status=status, language=self.language, stages=tuple(self.stages), tests_passed=passed,
                       tests_total=total, tests=outcomes, stdout_tail=stdout, stderr_tail=stderr,
                       masked=masked, problem_id=self.problem_id, warm_fallbacks=take_fallbacks())


def _tail(data: bytes) -> str:
    return data[-_TAIL_CHARS:].decode("utf-8", "replace")


def _capped(message: str | None) -> str | None:
    if message is None or len(message) <= _MAX_MESSAGE_CHARS:
        return message
    return message[: _MAX_MESSAGE_CHARS - 3] + "..."


def _unreadable(completion: str) -> str | None:
    """Why the answer is refused before extraction (too long, not Unicode), or None. Checked first: every
    later stage then reads a bounded, encodable text."""
    if len(completion) > MAX_CODE_BYTES:  # a character is at least one byte: no need to encode a huge text
        return f"the answer is longer than {MAX_CODE_BYTES} bytes"
    try:
        size = len(completion.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate: the text cannot be written as UTF-8 for any tool
        line = completion.count("\n", 0, exc.start) + 1
        return f"the answer is not valid Unicode: {exc.reason} on line {line}"
    return f"the answer is longer than {MAX_CODE_BYTES} bytes" if size > MAX_CODE_BYTES else None


# -- syntax --------------------------------------------------------------------------------------------------


def syntax_diagnostics(backend: LanguageBackend, source: Source) -> tuple[Diagnostic, ...]:
    """Error and missing nodes of the tree-sitter parse, positioned in the submitted code; raises
    :class:`~codekiln.parsing.UnparsableCode` when the parse overruns its budget."""
    language = _languages.get(backend.name)
    if language is None:
        language = _languages[backend.name] = backend.tree_sitter_language()
    tree = parse(language, source.text)
    if not tree.root_node.has_error:
        return ()
    found: list[Diagnostic] = []
    cursor = [tree.root_node]
    while cursor and len(found) < _MAX_DIAGNOSTICS:
        node = cursor.pop()
        if node.is_missing:
            found.append(_at(source, node, f"missing '{node.type}'"))
        elif node.type == "ERROR":
            snippet = node.text.decode("utf-8", "replace").strip().splitlines()
            near = f" near '{snippet[0][:40]}'" if snippet else ""
            found.append(_at(source, node, _capped(f"syntax error{near}")))
            continue  # one diagnostic per error region
        if node.has_error:
            cursor.extend(reversed(node.children))
    return tuple(sorted(found, key=lambda d: (d.line or 0, d.column or 0)))


def _at(source: Source, node: Any, message: str) -> Diagnostic:
    row, column = node.start_point
    line = row + 1 - source.code_line_offset
    return Diagnostic(message, line if line >= 1 else None, column + 1 if line >= 1 else None)


def _map_lines(diagnostics: Sequence[Diagnostic], source: Source) -> tuple[Diagnostic, ...]:
    """Compiler lines are lines of the assembled source; users need lines of what they submitted."""
    mapped = []
    for diagnostic in diagnostics:
        line = diagnostic.line
        if line is not None:
            line -= source.code_line_offset
            if line < 1:
                line = None
        column = diagnostic.column if line else None
        mapped.append(Diagnostic(_capped(diagnostic.message), line, column, diagnostic.severity))
    return tuple(mapped)


# -- judging ---------------------------------------------------------------------------------------------------


def _limit_status(sandbox: Any) -> VerdictStatus | None:
    if sandbox is None or sandbox.limit_hit is None:
        return None
    return _LIMIT_STATUS.get(sandbox.limit_hit, VerdictStatus.RUNTIME_ERROR)


def _error_status(message: str) -> VerdictStatus:
    return VerdictStatus.MEMORY_LIMIT if message.startswith("MemoryError") else VerdictStatus.RUNTIME_ERROR


def judge_run(problem: Problem, run: NativeRun | SignatureRun) -> tuple[VerdictStatus, list[TestOutcome]]:
    """The status of a test run of ``problem`` and its outcome per test: the values it returned compared with
    the expected ones (signature tests), or what the benchmark's own tests reported (native tests)."""
    return _judge_native(run) if isinstance(run, NativeRun) else _judge_signature(problem, run)


def _judge_signature(problem: Problem, run: SignatureRun) -> tuple[VerdictStatus, list[TestOutcome]]:
    return_type = problem.signature.return_type()
    outcomes: list[TestOutcome] = []
    first_failure: VerdictStatus | None = None
    for index, test in enumerate(problem.tests):
        if index >= len(run.rows):
            break
        row = run.rows[index]
        if "error" in row:
            outcomes.append(TestOutcome(index, False, str(row["error"])[:500], error=True))
            first_failure = first_failure or _error_status(str(row["error"]))
            continue
        try:
            actual = value_codec.decode(row.get("value"))
        except (ValueError, TypeError, AttributeError, RecursionError):
            # Whatever the sandbox sends back is untrusted: a malformed value is the code's failure, never ours.
            outcomes.append(TestOutcome(index, False, "the code's result could not be read", error=True))
            first_failure = first_failure or VerdictStatus.RUNTIME_ERROR
            continue
        expected = problem.typed_expected(test)
        ok = values_equal(actual, expected, return_type)
        message = None if ok else f"expected {_short(expected)}, got {_short(actual)}"
        elapsed = row.get("time")
        outcomes.append(TestOutcome(index, ok, message, elapsed if type(elapsed) is float else None))
        if not ok:
            first_failure = first_failure or VerdictStatus.WRONG_ANSWER
    limit = _limit_status(run.sandbox)
    if limit is not None:
        return limit, outcomes
    if run.load_error:
        return _error_status(run.load_error), [TestOutcome(0, False, run.load_error[:500], error=True)]
    if len(outcomes) < len(problem.tests):
        # The process ended without reporting every test: an exit, a crash, a kill.
        return VerdictStatus.RUNTIME_ERROR, outcomes
    return first_failure or VerdictStatus.PASSED, outcomes


def _judge_native(run: NativeRun) -> tuple[VerdictStatus, list[TestOutcome]]:
    outcomes = list(run.outcomes)
    limit = _limit_status(run.sandbox)
    if limit is not None:
        return limit, outcomes
    if run.error:
        return _error_status(run.error), outcomes
    if not outcomes:
        return VerdictStatus.RUNTIME_ERROR, outcomes
    if all(o.passed for o in outcomes):
        return VerdictStatus.PASSED, outcomes
    return VerdictStatus.WRONG_ANSWER, outcomes


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
