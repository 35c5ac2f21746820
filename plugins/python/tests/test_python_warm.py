"""The Python warm path: every run of the harness forks from one zygote per process (codekiln_python.warm), nothing
a sample changes reaches the next, a dead zygote costs a fallback and not a verdict, and the path switches off."""

from __future__ import annotations

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Isolation, Limits, available_levels
from codekiln.testing import kill_zygote, verify_warm
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Verifier
from codekiln.verifier.runner import SandboxRunner
from codekiln_python import warm

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="the warm path lives in the namespaces sandbox level, unavailable here")

LIMITS = Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=256)
ZYGOTE = warm.zygote(SandboxRunner(LIMITS))

CLEAN = ["builtins", "harness", "env", "/tmp", "/dev/shm", "work dir"]
PROBE = Problem(
    id="warm_probe",
    description="Report what an earlier sample left behind.",
    signature=Signature("probe", (Param("x", "int"),), "list[str]"),
    tests=(TestCase((0,), CLEAN),),
)
# Changes everything a Python sample can reach in its own process and directories: a module patched (builtins,
# the harness that reports its results), an environment variable, files in /tmp, /dev/shm and its work dir.
LEAVE_MARKS = """
import builtins, os, sys
builtins.KILN_MARK = 1
sys.modules["__main__"].KILN_MARK = 1  # the harness, run as a script
os.environ["KILN_MARK"] = "1"
for path in ("/tmp/kiln_mark", "/dev/shm/kiln_mark", "kiln_mark"):
    with open(path, "w") as file:
        file.write("left behind")

def probe(x):
    return []
"""
FIND_MARKS = """
import builtins, os, sys

def probe(x):
    seen = {
        "builtins": hasattr(builtins, "KILN_MARK"),
        "harness": hasattr(sys.modules["__main__"], "KILN_MARK"),
        "env": "KILN_MARK" in os.environ,
        "/tmp": os.path.exists("/tmp/kiln_mark"),
        "/dev/shm": os.path.exists("/dev/shm/kiln_mark"),
        "work dir": os.path.exists("kiln_mark"),
    }
    return [name for name, marked in seen.items() if not marked]
"""

NATIVE = Problem(
    id="Native/warm",
    description="double",
    native={"python": NativeTests(prompt='def double(x):\n    """Return twice x."""\n',
                                  test="def check(candidate):\n    assert candidate(2) == 4\n", entry_point="double")},
)
ADD = Problem(id="add", description="Add.", signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
              tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0)))


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=1, cache=False) as v:
        yield v


def _verified(verifier, problem, code, runs):
    return verify_warm(verifier, ZYGOTE, problem, code, "python", runs)


def test_signature_and_native_tests_run_warm(verifier):
    assert _verified(verifier, ADD, "def add(a, b):\n    return a + b\n", 1).status is VerdictStatus.PASSED
    assert _verified(verifier, ADD, "def add(a, b):\n    return a - b\n", 1).status is VerdictStatus.WRONG_ANSWER
    # The relay's two programs, the tester and the solver, each fork from the zygote.
    assert _verified(verifier, NATIVE, "    return 2 * x\n", 2).status is VerdictStatus.PASSED
    assert _verified(verifier, NATIVE, "    return 3 * x\n", 2).status is VerdictStatus.WRONG_ANSWER


def test_nothing_a_sample_changes_reaches_the_next(verifier):
    _verified(verifier, PROBE, LEAVE_MARKS, 1)
    verdict = _verified(verifier, PROBE, FIND_MARKS, 1)
    assert verdict.status is VerdictStatus.PASSED, verdict.tests


def _kill_the_zygote(verifier):
    _verified(verifier, ADD, "def add(a, b):\n    return a + b\n", 1)  # it runs
    kill_zygote(ZYGOTE)


@pytest.mark.parametrize(("problem", "code"),
                         [(ADD, "def add(a, b):\n    return a + b\n"), (NATIVE, "    return 2 * x\n")],
                         ids=["signature", "native"])
def test_a_killed_zygote_costs_a_fallback_not_a_verdict(verifier, problem, code):
    _kill_the_zygote(verifier)
    verdict = verifier.verify(problem, code, "python")
    assert verdict.status is VerdictStatus.PASSED and not verdict.masked
    assert verdict.warm_fallbacks == ("python: the warm process died",)
    # The next sample gets a new zygote.
    assert _verified(verifier, ADD, "def add(a, b):\n    return a + b\n", 1).status is VerdictStatus.PASSED


def test_switched_off_it_runs_cold_with_the_same_verdicts():
    before = ZYGOTE.runs
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=1, cache=False,
                  warm={"python": False}) as cold:
        cases = [(ADD, "def add(a, b):\n    return a + b\n", VerdictStatus.PASSED),
                 (ADD, "import os\nos._exit(0)\n", VerdictStatus.RUNTIME_ERROR),
                 (NATIVE, "    return 2 * x\n", VerdictStatus.PASSED),
                 (NATIVE, "    return 3 * x\n", VerdictStatus.WRONG_ANSWER)]
        for problem, code, status in cases:
            verdict = cold.verify(problem, code, "python")
            assert verdict.status is status and verdict.warm_fallbacks == ()
    assert ZYGOTE.runs == before
