"""The C++ warm path: every run of a program is forked from one zygote per process (codekiln_cpp.warm) and then
executes the program; nothing a sample changes reaches the next, the program gets its signals as a cold run's
does, a dead zygote costs a fallback and not a verdict, and the path switches off."""

from __future__ import annotations

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Isolation, Limits, available_levels
from codekiln.testing import kill_zygote, verify_warm
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Verifier
from codekiln.verifier.runner import SandboxRunner
from codekiln_cpp import warm

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="the warm path lives in the namespaces sandbox level, unavailable here")

LIMITS = Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=256)
ZYGOTE = warm.zygote(SandboxRunner(LIMITS))

ADD = Problem(id="add", description="Add.", signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
              tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0)))
RIGHT = "long long add(long long a, long long b) { return a + b; }\n"
WRONG = "long long add(long long a, long long b) { return a - b; }\n"
NATIVE = Problem(id="CPP/warm", description="double", native={"cpp": NativeTests(
    prompt="#include<stdio.h>\nint twice(int x){\n",
    test="#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (twice(2) == 4);\n"
         "    assert (twice(-3) == -6);\n}\n",
    entry_point="twice")})

CLEAN = ["/tmp", "/dev/shm", "work dir"]
PROBE = Problem(id="warm_probe", description="Report what an earlier sample left behind.",
                signature=Signature("probe", (Param("x", "int"),), "list[str]"), tests=(TestCase((0,), CLEAN),))
LEAVE_MARKS = """
#include <cstdio>
#include <string>
#include <vector>
std::vector<std::string> probe(long long x) {
    for (const char* path : {"/tmp/kiln_mark", "/dev/shm/kiln_mark", "kiln_mark"}) {
        std::FILE* file = std::fopen(path, "w");
        if (file) { std::fputs("left behind", file); std::fclose(file); }
    }
    return {};
}
"""
FIND_MARKS = """
#include <string>
#include <unistd.h>
#include <vector>
std::vector<std::string> probe(long long x) {
    std::vector<std::string> clean;
    const char* names[] = {"/tmp", "/dev/shm", "work dir"};
    const char* paths[] = {"/tmp/kiln_mark", "/dev/shm/kiln_mark", "kiln_mark"};
    for (int i = 0; i < 3; ++i) if (access(paths[i], F_OK) != 0) clean.push_back(names[i]);
    return clean;
}
"""
# What a program started by the sandbox finds: no signal ignored (Python, which forks the run, ignores SIGPIPE and
# SIGXFSZ), none blocked.
SIGNALS = Problem(id="signals", description="Report ignored or blocked signals.",
                  signature=Signature("odd_signals", (Param("x", "int"),), "list[int]"), tests=(TestCase((0,), []),))
FIND_ODD_SIGNALS = """
#include <csignal>
#include <vector>
std::vector<long long> odd_signals(long long x) {
    std::vector<long long> odd;
    sigset_t blocked;
    sigprocmask(SIG_BLOCK, nullptr, &blocked);
    for (int number = 1; number < 32; ++number) {
        struct sigaction action;
        if (sigaction(number, nullptr, &action) == 0 && action.sa_handler == SIG_IGN) odd.push_back(number);
        if (sigismember(&blocked, number) == 1) odd.push_back(100 + number);
    }
    return odd;
}
"""


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=1, cache=False) as v:
        yield v


def _verified(verifier, problem, code, runs):
    return verify_warm(verifier, ZYGOTE, problem, code, "cpp", runs)


def test_signature_and_native_tests_run_warm(verifier):
    assert _verified(verifier, ADD, RIGHT, 1).status is VerdictStatus.PASSED
    assert _verified(verifier, ADD, WRONG, 1).status is VerdictStatus.WRONG_ANSWER
    # The relay's two programs, the tester and the solver, each fork from the zygote.
    assert _verified(verifier, NATIVE, "    return 2 * x;\n}\n", 2).status is VerdictStatus.PASSED
    assert _verified(verifier, NATIVE, "    return 3 * x;\n}\n", 2).status is VerdictStatus.WRONG_ANSWER


def test_nothing_a_sample_changes_reaches_the_next(verifier):
    _verified(verifier, PROBE, LEAVE_MARKS, 1)
    verdict = _verified(verifier, PROBE, FIND_MARKS, 1)
    assert verdict.status is VerdictStatus.PASSED, verdict.tests


def test_the_program_gets_every_signal_at_its_default_action(verifier):
    verdict = _verified(verifier, SIGNALS, FIND_ODD_SIGNALS, 1)
    assert verdict.status is VerdictStatus.PASSED, verdict.tests
    # So a write past the file-size limit ends the program, as in a cold run.
    code = ("#include <cstdio>\n#include <vector>\nlong long add(long long a, long long b) {\n"
            "    std::vector<char> chunk(1 << 20, 'x');\n    std::FILE* f = std::fopen(\"big.bin\", \"wb\");\n"
            "    for (int i = 0; i < 64; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);\n"
            "    std::fclose(f);\n    return a + b;\n}\n")
    assert _verified(verifier, ADD, code, 1).status is VerdictStatus.RUNTIME_ERROR


def _kill_the_zygote(verifier):
    _verified(verifier, ADD, RIGHT, 1)  # it runs
    kill_zygote(ZYGOTE)


@pytest.mark.parametrize(("problem", "code"), [(ADD, RIGHT), (NATIVE, "    return 2 * x;\n}\n")],
                         ids=["signature", "native"])
def test_a_killed_zygote_costs_a_fallback_not_a_verdict(verifier, problem, code):
    _kill_the_zygote(verifier)
    verdict = verifier.verify(problem, code, "cpp")
    assert verdict.status is VerdictStatus.PASSED and not verdict.masked
    assert verdict.warm_fallbacks == ("cpp: the warm process died",)
    # The next sample gets a new zygote.
    assert _verified(verifier, ADD, RIGHT, 1).status is VerdictStatus.PASSED


@pytest.mark.parametrize("limits", [LIMITS, Limits(wall_time_s=5.0, cpu_time_s=5.0, memory_mb=32)],
                         ids=["switched off", "a memory limit below the zygote's floor"])
def test_it_runs_cold_with_the_same_verdicts_when_switched_off_or_short_of_memory(limits):
    before = ZYGOTE.runs
    with Verifier(make_plugins(), isolation="namespaces", limits=limits, workers=1, cache=False,
                  warm={"cpp": False} if limits is LIMITS else {}) as cold:
        cases = [(ADD, RIGHT, VerdictStatus.PASSED), (ADD, WRONG, VerdictStatus.WRONG_ANSWER),
                 (NATIVE, "    return 2 * x;\n}\n", VerdictStatus.PASSED),
                 (NATIVE, "    return 3 * x;\n}\n", VerdictStatus.WRONG_ANSWER)]
        for problem, code, status in cases:
            verdict = cold.verify(problem, code, "cpp")
            assert verdict.status is status and verdict.warm_fallbacks == (), verdict
    assert ZYGOTE.runs == before
