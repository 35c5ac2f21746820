"""The relay for a benchmark's own tests: the test program and the solution in two sandboxes.

A native benchmark test (HumanEval's ``check``, HumanEval-X's ``Main`` or ``main``) holds the expected
values and calls the function under test itself. Run in one process with the solution, the solution could
end it, print what a harness reads as a pass, read the expected values, or write a forged verdict on a
descriptor it shares. So the core runs two programs, each in a sandbox of its own (its own uid, pid
namespace and directory), and relays the calls between them:

- the **tester**: the benchmark's test code, in which the function under test is a proxy that sends each
  call's arguments out and reads the answer back. It never runs solution code.
- the **solver**: the solution, serving calls. It never holds the test code or its expected values.

A language plugin supplies only the two programs, as :class:`NativePrograms`, and calls :func:`run_native`
from its ``run_native_tests``::

    programs = NativePrograms(
        language="JavaScript",
        tester=Program([node, "kiln_harness.js", "check", entry], files={...}, ro_paths=node_dirs),
        solver=Program([node, "kiln_harness.js", "serve", entry], files={...}, ro_paths=node_dirs),
    )
    return run_native(programs, runner)

The ``runner`` carries the limits: both programs run under them, the tester with
``tester_extra_wall_s`` more wall time (it waits on the solver, so a limit the solver hits is reported
as the solver's).

The protocol. Each program writes its rows on its fd 3 (``SandboxProcess.channel``; fd 1 and 2 are only
captured), one JSON line each, and reads what is relayed to it on stdin, one line each:

- Both first write :data:`~codekiln.languages.READY_ROW` (``{"ready":true}``), before any code of the
  benchmark's or the solution's runs. Its absence is ours (the interpreter or the harness did not start):
  the run raises, and the verifier masks the sample, unless a limit explains it or, for the solver, the
  plugin's ``NativePrograms.not_started`` finds the solution at fault.
- The tester then writes one line per call, in any form the two programs agree on (a JSON object or
  array; the relay does not read it), and reads the answer on stdin: the solver's answer line exactly as
  the solver wrote it, or ``{"gone":true}`` when the solver gave none (it died, hit a limit, closed its
  channel). The solver reads each call on stdin and writes one answer line on fd 3; it may be gone at any
  time.
- The tester ends with its verdict, a row with a ``"check"`` key: ``{"check": "passed"}``,
  ``{"check": "failed", "message": ...}`` (an assertion failed, or the test code threw on what the
  solution returned), ``{"check": "error", "message": ...}`` (the solution failed: an exception, a crash,
  a malformed or missing answer) or ``{"check": "infra", "message": ...}`` (the test program cannot run
  for reasons of ours: it does not compile, it needs a module that is not installed; masked).

How a run ends, and the :class:`~codekiln.languages.NativeRun` it gives (the pipeline then reads a
limit in ``NativeRun.sandbox`` first, ``error`` as a runtime error, a failed outcome as a wrong answer):

- a verdict row: one outcome, passed or not, with the solver's sandbox result (a limit it hit is the
  verdict); ``"error"`` sets ``NativeRun.error``; ``"infra"`` raises unless the solver hit a limit;
- no verdict, and the solver hit a limit: "the tests did not finish", with the solver's result;
- no verdict after at least one answer reached the tester: the solution's answer killed the test
  program (it expanded a value until memory ran out, say), so the code's failure, with the tester's
  result. A tester that cannot write a verdict when an assertion fails (C++'s ``assert`` aborts) should
  write ``{"check": "failed"}`` from an abort handler, or its failed tests read as runtime errors;
- no verdict before any answer: ours; the run raises (masked).

Why this is safe: a result row travels only on the tester's fd 3, a pipe the verifier holds, in a sandbox
whose processes run under another uid in another pid namespace than the solver's, so the solution has no
descriptor, process or file through which to write it. What the solver writes reaches the tester only as
an answer line, which the tester decodes as plain data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..languages import READY_ROW, NativeRun, parse_row
from ..verdict import TestOutcome
from .runner import SandboxRunner

__all__ = ["GONE_ROW", "NativePrograms", "Program", "run_native"]

#: What the tester reads instead of an answer once the solver is gone.
GONE_ROW = b'{"gone":true}\n'
#: The tester waits on the solver's answers: it gets this much more wall time, so that a limit the solver
#: hits ends the solver first and is reported as the solver's.
DEFAULT_TESTER_EXTRA_WALL_S = 2.0
_READY = json.loads(READY_ROW)


@attrs.frozen
class Program:
    """One side of a native run: what to start in its sandbox (see :meth:`SandboxRunner.spawn`)."""

    argv: tuple[str, ...] = attrs.field(converter=tuple)
    files: Mapping[str, bytes | str] = attrs.field(factory=dict)
    env: Mapping[str, str] = attrs.field(factory=dict)
    ro_paths: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    #: How a plugin's warm path starts it, ``start(runner, program) -> SandboxProcess``, under ``runner``'s limits
    #: (it takes the cold path, ``runner.spawn``, when its warm path is off or broken); None: ``runner.spawn``.
    start: Callable[[SandboxRunner, Program], Any] | None = None


def _same(result: Any) -> Any:
    return result


@attrs.frozen
class NativePrograms:
    """What a language plugin supplies for a native run: its tester and its solver."""

    #: The language as messages name it ("JavaScript").
    language: str
    tester: Program
    solver: Program
    tester_extra_wall_s: float = DEFAULT_TESTER_EXTRA_WALL_S
    #: The sandbox result of either program as the language's runtime reads it: a plugin may name a limit
    #: the sandbox could not see (V8 dies of SIGSEGV when RLIMIT_DATA refuses it memory).
    explain: Callable[[Any], Any] = _same
    #: For a solver that may run code of the solution's before its ready row (C++: the solution's definition of
    #: a libc function the hook calls): called with the solver's runner when the solver wrote no ready row and
    #: hit no limit, it returns the solution's error, or None when the failure is ours. None: always ours.
    not_started: Callable[[SandboxRunner], str | None] | None = None


def run_native(programs: NativePrograms, runner: SandboxRunner) -> NativeRun:
    """Run the tester and the solver, relay the calls until the tester's verdict, and judge the run."""
    limits = runner.limits
    tester_runner = attrs.evolve(runner, limits=attrs.evolve(
        limits, wall_time_s=limits.wall_time_s + programs.tester_extra_wall_s))
    with (
        _spawn(tester_runner, programs.tester) as tester,
        _spawn(runner, programs.solver) as solver,
    ):
        relay = _Relay(tester, solver)
        verdict = relay.run()
        if relay.solver_gone:  # let it end as it ends: a limit it dies of is its verdict
            solver.wait(limits.wall_time_s)
    solver_result = programs.explain(solver.result)
    if relay.solver_ready is False and solver_result.limit_hit is None and programs.not_started is not None:
        why = programs.not_started(runner)
        if why is not None:
            return NativeRun([TestOutcome(0, False, why, error=True)], solver_result, why)
    return _judge(programs, relay, verdict, programs.explain(tester.result), solver_result)


def _spawn(runner: SandboxRunner, program: Program) -> Any:
    if program.start is not None:
        return program.start(runner, program)
    return runner.spawn(program.argv, files=program.files, env=program.env, ro_paths=program.ro_paths)


class _Relay:
    """Carries the tester's calls to the solver and the answers back."""

    def __init__(self, tester: Any, solver: Any) -> None:
        self.tester, self.solver = tester, solver
        self.tester_ready = False
        #: None until the first call; then whether the solver wrote its ready row.
        self.solver_ready: bool | None = None
        #: Whether the solver stopped answering (it died, or closed its channel).
        self.solver_gone = False
        #: Answers of the solver's that reached the tester.
        self.answers = 0

    def run(self) -> dict[str, Any] | None:
        """The tester's verdict row, or None when it ended without one."""
        self.tester_ready = _is_ready(self.tester.channel.readline())
        if not self.tester_ready:
            return None
        while True:
            line = self.tester.channel.readline()
            if not line.endswith(b"\n"):  # the tester ended, or tore its last line dying
                return None
            row = parse_row(line)
            if row is not None and "check" in row:
                return row
            answer = self._answer(line)
            if not self.tester.send(answer):
                return None
            if answer != GONE_ROW:
                self.answers += 1

    def _answer(self, call: bytes) -> bytes:
        if self.solver_ready is None:
            self.solver_ready = _is_ready(self.solver.channel.readline())
        answer = b""
        if self.solver_ready and not self.solver_gone:
            # If the send fails the solver is gone; what it wrote before (a load error) may still be there.
            self.solver.send(call)
            answer = self.solver.channel.readline()
        if answer.endswith(b"\n"):
            return answer
        self.solver_gone = True
        return GONE_ROW


def _is_ready(line: bytes) -> bool:
    return line.endswith(b"\n") and parse_row(line) == _READY


def _judge(programs: NativePrograms, relay: _Relay, verdict: dict[str, Any] | None, tester: Any,
           solver: Any) -> NativeRun:
    language = programs.language
    if relay.solver_ready is False and solver.limit_hit is None:
        raise RuntimeError(f"the {language} harness did not start in the solution's sandbox: {_tail(solver.stderr)}")
    status = verdict.get("check") if verdict is not None else None
    if status in ("passed", "failed", "error"):
        message = verdict.get("message")
        message = None if message is None else str(message)[:500]
        error = (message or "the solution failed") if status == "error" else None
        return NativeRun([TestOutcome(0, status == "passed", message, error=error is not None)], solver, error)
    if solver.limit_hit is not None:  # the solver's limit ended it all
        return NativeRun([TestOutcome(0, False, "the tests did not finish", error=True)], solver,
                         "the tests did not finish")
    if status == "infra":
        raise RuntimeError(f"{language} benchmark tests could not run: {str(verdict.get('message'))[:300]}")
    if verdict is not None:
        raise RuntimeError(f"the {language} test program wrote a verdict it has no name for: {str(status)[:100]}")
    if relay.answers:  # what the solution answered ended the test program: the code's failure
        why = f"the test program ended without a verdict after the solution's answer ({_how(tester)})"
        detail = _tail(tester.stderr)  # the test program's output, which may quote what it expected: not an error
        return NativeRun([TestOutcome(0, False, f"{why}: {detail}" if detail else why)], tester, why)
    if not relay.tester_ready and tester.limit_hit is None:
        raise RuntimeError(f"the {language} test program did not start: {_tail(tester.stderr)}")
    raise RuntimeError(f"the {language} test program ended before calling the solution ({_how(tester)}): "
                       f"{_tail(tester.stderr)}")


def _how(result: Any) -> str:
    if result.limit_hit is not None:
        return f"it hit the {result.limit_hit} limit"
    if result.signal is not None:
        return f"signal {result.signal}"
    return f"exit status {result.exit_code}"


def _tail(data: bytes) -> str:
    return data[-300:].decode("utf-8", "replace").strip().replace("\n", " | ")

