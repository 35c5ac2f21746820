"""The core's native-test relay (codekiln.verifier.relay), with real programs in real sandboxes.

The tester and the solver here are small Python scripts that speak the relay's protocol: the tester asks
for ``double(21)`` and checks the answer; each test varies one side to reach one way a run can end.
"""

from __future__ import annotations

import sys

import pytest

from codekiln.sandbox import PYTHON, Limits
from codekiln.verifier.relay import NativePrograms, Program, run_native
from codekiln.verifier.runner import SandboxRunner

RUNNER = SandboxRunner(limits=Limits(wall_time_s=3.0, cpu_time_s=3.0))

TESTER = """
import json, os, sys
out = os.fdopen(3, "w")
def write(row):
    out.write(json.dumps(row) + "\\n"); out.flush()
write({"ready": True})
write([21])
answer = json.loads(sys.stdin.readline())
if "value" not in answer:
    write({"check": "error", "message": answer.get("error", "the solution's process ended")})
elif answer["value"] == 42:
    write({"check": "passed"})
else:
    write({"check": "failed", "message": f"expected 42, got {answer['value']}"})
"""

SOLVER = """
import json, os, sys
out = os.fdopen(3, "w")
os.write(2, b"solver here\\n")
out.write('{"ready":true}\\n'); out.flush()
for line in sys.stdin:
    out.write(json.dumps({"value": ANSWER}) + "\\n"); out.flush()
"""


def _program(script: str) -> Program:
    return Program([PYTHON, "-I", "-S", "-B", "main.py"], files={"main.py": script}, ro_paths=[sys.base_prefix])


def _run(tester: str = TESTER, solver: str = SOLVER.replace("ANSWER", "json.loads(line)[0] * 2"),
         runner: SandboxRunner = RUNNER):
    return run_native(NativePrograms("Test", _program(tester), _program(solver)), runner)


def test_a_right_answer_passes_and_reports_the_solvers_sandbox():
    run = _run()
    assert [o.passed for o in run.outcomes] == [True] and run.error is None
    assert run.sandbox.limit_hit is None and run.sandbox.stderr == b"solver here\n"


def test_a_wrong_answer_fails_with_the_testers_message():
    run = _run(solver=SOLVER.replace("ANSWER", "12345"))
    assert not run.outcomes[0].passed and run.error is None
    assert run.outcomes[0].message == "expected 42, got 12345"
    assert not run.outcomes[0].error  # the tester's message may quote the expected value: feedback may hide it


def test_a_solver_that_dies_is_an_error_of_the_code():
    run = _run(solver="import os\nos.write(3, b'{\"ready\":true}\\n')\nos._exit(3)\n")
    assert not run.outcomes[0].passed and run.outcomes[0].error
    assert run.error == "the solution's process ended"


def test_a_solver_that_runs_past_its_time_is_reported_at_its_limit():
    run = _run(solver=SOLVER.replace("ANSWER", "next(x for x in iter(int, 1) if x)"))
    assert run.sandbox.limit_hit in ("wall_time", "cpu_time")
    assert not run.outcomes[0].passed and run.outcomes[0].error


def test_a_test_program_killed_by_an_answer_is_the_codes_failure_not_masked():
    dies = TESTER.replace('answer = json.loads(sys.stdin.readline())', 'sys.stdin.readline()\nos.abort()')
    run = _run(tester=dies)
    assert not run.outcomes[0].passed
    assert not run.outcomes[0].error  # its message carries the tester's output, which may quote what it expected
    assert run.error.startswith("the test program ended without a verdict after the solution's answer (signal 6)")


def test_a_solver_that_never_says_ready_is_ours_and_raises():
    with pytest.raises(RuntimeError, match="the Test harness did not start in the solution's sandbox: broken"):
        _run(solver="import sys\nsys.exit('broken')\n")


def test_a_tester_that_never_says_ready_is_ours_and_raises():
    with pytest.raises(RuntimeError, match="the Test test program did not start: no tests here"):
        _run(tester="import sys\nsys.exit('no tests here')\n")


def test_an_infra_verdict_is_ours_and_raises():
    infra = "import os\nos.write(3, b'{\"ready\":true}\\n{\"check\":\"infra\",\"message\":\"no module x\"}\\n')\n"
    with pytest.raises(RuntimeError, match="Test benchmark tests could not run: no module x"):
        _run(tester=infra)


def test_a_row_the_solver_writes_reaches_the_tester_only_as_an_answer():
    forged = SOLVER.replace("ANSWER", '0}) + "\\n" + json.dumps({"check": "passed"')
    run = _run(solver=forged)
    assert not run.outcomes[0].passed
