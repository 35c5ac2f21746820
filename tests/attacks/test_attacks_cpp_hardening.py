"""Attacks on the C++ verdict classes (issue 11, part 2), through the real verifier (``isolation="namespaces"``,
a pool of two workers), in signature mode and through the native relay (HumanEval-X's shape).

Each attack is a wrong answer that tries to pass, or to be masked as a failure of ours (``infra_error`` leaves
the loss: a hiding place for a policy): a number no float holds, an assembler directive that prints what a
compiler crash prints, or kills the assembler at a limit, an ``ifunc`` however it is spelled, code that runs
before the tests start. For each, :func:`check_attack` asserts: the expected status, never ``passed`` and
never masked; the run within the sample's time; and a healthy verifier (a correct answer in the same batch and
one after it pass).
"""

from __future__ import annotations

import secrets

import pytest
from attack_support import ADD
from language_attacks import LIMITS
from test_attacks_hardening import HALF

from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Problem
from codekiln.verdict import Stage, Verdict, VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.relay import DEFAULT_TESTER_EXTRA_WALL_S

S = VerdictStatus

# HumanEval-X's shape: a prompt the answer continues, a test main of asserts.
NATIVE = Problem(id="CPP/half", description="", native={"cpp": NativeTests(
    prompt="#include<math.h>\nusing namespace std;\nfloat half(int x){\n",
    test="#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert(fabs(half(3) - 1.5) < 1e-4);\n}\n",
    entry_point="half",
)})
NATIVE_RIGHT = "    return x / 2.0;\n}\n"


def correct() -> str:
    """A correct answer, unique per call so the verifier's cache cannot answer for it."""
    return f"// {secrets.token_hex(8)}\nlong long add(long long a, long long b) {{ return a + b; }}\n"


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=2, cache=False) as verifier:
        yield verifier


def check_attack(verifier: Verifier, problem: Problem, answer: str, expected: VerdictStatus) -> Verdict:
    """Verify the attack beside a correct answer; check the status, no mask, the time, a healthy verifier."""
    attack, beside = verifier.verify_batch([Sample(problem, answer, "cpp"), Sample(ADD, correct(), "cpp")])
    assert attack.status is expected, repr(attack)[:2000]
    assert not attack.passed and not attack.masked
    run = attack.stage(Stage.RUN)
    assert run is None or run.duration_s < LIMITS.wall_time_s + DEFAULT_TESTER_EXTRA_WALL_S + 1.0
    assert beside.passed, repr(beside)[:2000]
    assert verifier.verify(ADD, correct(), "cpp").passed
    return attack


def _errors(verdict: Verdict) -> str:
    return " | ".join(d.message for d in verdict.diagnostics)


# -- a number no float holds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["std::numeric_limits<double>::max() * 10", "(double)((__int128)1 << 120)",
                                   "1e4000L"])
def test_a_huge_number_where_a_float_is_expected_is_a_wrong_answer(verifier, value):
    answer = f"#include <limits>\ndouble half(long long x) {{ return {value}; }}\n"
    attack = check_attack(verifier, HALF, answer, S.WRONG_ANSWER)
    assert not any(t.passed for t in attack.tests)


def test_a_huge_number_through_the_relay_is_a_wrong_answer(verifier):
    attack = check_attack(verifier, NATIVE, "    return 1e300 * 1e300;\n}\n", S.WRONG_ANSWER)
    assert attack.tests[0].message.startswith("assertion failed (line 4): fabs(half(3) - 1.5) < 1e-4")


# -- text that looks like ours -------------------------------------------------------------------------------

FORGED_CRASH = "g++: internal compiler error: Killed signal terminated program cc1plus"


@pytest.mark.parametrize("directive", [f'.error \\"{FORGED_CRASH}\\"', ".abort"])
def test_an_assembler_error_that_reads_as_a_compiler_crash_is_a_compile_error(verifier, directive):
    answer = f'asm("{directive}");\n' + correct()
    attack = check_attack(verifier, ADD, answer, S.COMPILE_ERROR)
    assert attack.diagnostics


def test_an_assembler_message_on_a_program_that_builds_changes_nothing(verifier):
    answer = f'asm(".print \\"{FORGED_CRASH}\\"");\nlong long add(long long a, long long b) {{ return a - b; }}\n'
    check_attack(verifier, ADD, answer, S.WRONG_ANSWER)


def test_an_assembler_killed_at_the_file_size_limit_is_a_compile_error(verifier):
    # `as` writes a 128 MB object: the compile budget's file-size limit kills it, and the driver reports a
    # crashed program (exit status 4). The code made it crash: its compile error, not ours.
    answer = 'asm(".section .data\\n.fill 134217728, 1, 0\\n.text");\n' + correct()
    check_attack(verifier, ADD, answer, S.COMPILE_ERROR)


# -- code before the tests start -----------------------------------------------------------------------------

RESOLVER = ('#include <unistd.h>\nextern "C" long long add_impl(long long a, long long b) { return a - b; }\n'
            'extern "C" void* resolve_add() { _exit(0); }\n')
IFUNCS = {
    "attribute": '__attribute__((__ifunc__("resolve_add")))',
    "spaced": "__attribute__ (( ifunc ( \"resolve_add\" ) ))",
    "macro": '__attribute__((KILN_I(fu, nc)("resolve_add")))',
}


@pytest.mark.parametrize("spelling", sorted(IFUNCS))
def test_an_ifunc_however_spelled_is_refused(verifier, spelling):
    macro = "#define KILN_J(a, b) a##b\n#define KILN_I(a, b) KILN_J(__i, a##b##__)\n"
    answer = f"{macro}{RESOLVER}long long add(long long a, long long b) {IFUNCS[spelling]};\n"
    attack = check_attack(verifier, ADD, answer, S.COMPILE_ERROR)
    assert "ifunc resolvers are not allowed" in _errors(attack)


def test_an_ifunc_made_in_assembler_is_refused(verifier):
    answer = (RESOLVER + 'asm(".globl add_by_asm\\n.type add_by_asm, %gnu_indirect_function\\n'
              '.set add_by_asm, resolve_add");\nextern "C" long long add_by_asm(long long, long long);\n'
              "long long add(long long a, long long b) { return add_by_asm(a, b); }\n")
    attack = check_attack(verifier, ADD, answer, S.COMPILE_ERROR)
    assert "ifunc resolvers are not allowed" in _errors(attack)


def test_an_ifunc_in_the_solver_is_refused(verifier):
    answer = ("    return x / 2.0;\n}\n" + RESOLVER.replace("long long", "float")
              + 'float half_too(float a, float b) __attribute__((__ifunc__("resolve_add")));\n')
    attack = check_attack(verifier, NATIVE, answer, S.COMPILE_ERROR)
    assert "ifunc resolvers are not allowed" in _errors(attack)


PREINIT_EXIT = ('#include <unistd.h>\nstatic void kiln_leave(int, char**, char**) { _exit(0); }\n'
                '__attribute__((section(".preinit_array"), used)) static void (*leave)(int, char**, char**) = '
                "kiln_leave;\n")


def test_a_solution_that_ends_the_program_before_its_tests_is_a_runtime_error(verifier):
    # Its own .preinit_array entry: our harness object is linked first, so "ready" is out before it runs.
    answer = PREINIT_EXIT + "long long add(long long a, long long b) { return a - b; }\n"
    check_attack(verifier, ADD, answer, S.RUNTIME_ERROR)


def test_a_solver_that_ends_before_answering_is_a_runtime_error(verifier):
    attack = check_attack(verifier, NATIVE, NATIVE_RIGHT + PREINIT_EXIT, S.RUNTIME_ERROR)
    assert attack.tests[0].message == "the solution's process ended before answering"


def test_the_relay_problem_passes_when_right(verifier):
    assert verifier.verify(NATIVE, NATIVE_RIGHT, "cpp").passed


# -- code that takes over the hook that writes the ready row -------------------------------------------------

# What a loader that cannot start a program prints, and its exit status: a run without the ready row that ended
# so was masked as ours.
FAKE_LOAD_ERROR = ('    std::fputs("./prog: error while loading shared libraries: libkiln.so: cannot open shared "\n'
                   '               "object file\\n", stderr);\n    _exit(127);\n')
# The hook's own functions have internal linkage: a definition of the same name is an unused function of the
# solution's. A libc function the hook calls can still be replaced: then the loader, listing the program's
# libraries in a probe of ours, shows that it could start the program, and the failure is the code's.
HOOK_TAKEOVERS = {
    "the harness's hook": ("namespace kiln { void open_results(int, char**, char**) {\n" + FAKE_LOAD_ERROR + "} }\n",
                           S.WRONG_ANSWER),
    "a libc function it calls": ('extern "C" int fcntl(int, int, ...) {\n' + FAKE_LOAD_ERROR + "}\n", S.RUNTIME_ERROR),
}
SOLVER_TAKEOVERS = {
    "the solver's hook": ('extern "C" __attribute__((used)) void kiln_leave(int, char**, char**) {\n' + FAKE_LOAD_ERROR
                          + '}\n__asm__(".globl _ZN4kiln9say_readyEiPPcS1_\\n'
                            '.set _ZN4kiln9say_readyEiPPcS1_, kiln_leave\\n");\n', S.WRONG_ANSWER),
    "a libc function it calls": ('extern "C" ssize_t write(int, const void*, size_t) {\n' + FAKE_LOAD_ERROR + "}\n",
                                 S.RUNTIME_ERROR),
}


@pytest.mark.parametrize("takeover", sorted(HOOK_TAKEOVERS))
def test_code_that_takes_over_the_ready_hook_is_never_masked(verifier, takeover):
    code, expected = HOOK_TAKEOVERS[takeover]
    wrong = "long long add(long long a, long long b) { return a - b; }\n"
    check_attack(verifier, ADD, "#include <unistd.h>\n#include <cstdio>\n" + code + wrong, expected)


@pytest.mark.parametrize("takeover", sorted(SOLVER_TAKEOVERS))
def test_code_that_takes_over_the_solvers_ready_hook_is_never_masked(verifier, takeover):
    code, expected = SOLVER_TAKEOVERS[takeover]
    check_attack(verifier, NATIVE, "    return 7;\n}\n#include <unistd.h>\n#include <cstdio>\n" + code, expected)


def test_static_data_beyond_the_memory_limit_is_a_memory_limit(verifier):
    # The loader cannot map the program (it says so, exit status 127): the code's data, not our loader.
    big = f"char kiln_big[{2 * LIMITS.memory_mb} << 20];\n"
    attack = check_attack(verifier, ADD, big + "long long add(long long a, long long b) { return a + b; }\n",
                          S.MEMORY_LIMIT)
    assert "static data does not fit in the memory limit" in attack.tests[0].message
    check_attack(verifier, NATIVE, NATIVE_RIGHT + big, S.MEMORY_LIMIT)


# -- NaN in a benchmark's own float comparison -----------------------------------------------------------------

# HumanEval-X's shape (CPP/20, 21, 30, 37, 62): `abs(a[i] - b[i]) > 1e-4` is false for NaN, so an answer of NaNs
# would pass. Infinity needs no rule: the same comparison is true for it.
HALVES = Problem(id="CPP/halves", description="", native={"cpp": NativeTests(
    prompt="#include<vector>\n#include<math.h>\nusing namespace std;\nvector<float> halves(vector<float> numbers){\n",
    test="#undef NDEBUG\n#include<assert.h>\nbool issame(vector<float> a,vector<float>b){\n"
         "    if (a.size()!=b.size()) return false;\n    for (size_t i=0;i<a.size();i++)\n"
         "        if (abs(a[i]-b[i])>1e-4) return false;\n    return true;\n}\n"
         "int main(){\n    assert(issame(halves({1, 3}), {0.5, 1.5}));\n}\n",
    entry_point="halves",
)})


def test_nan_where_the_benchmark_compares_floats_fails_the_test(verifier):
    attack = check_attack(verifier, HALVES, "    return vector<float>(numbers.size(), NAN);\n}\n", S.WRONG_ANSWER)
    assert attack.tests[0].message == "the solution returned NaN, which the test's float comparisons cannot judge"
    infinite = check_attack(verifier, HALVES, "    return vector<float>(numbers.size(), INFINITY);\n}\n",
                            S.WRONG_ANSWER)
    assert infinite.tests[0].message.startswith("assertion failed (line 10)")
    right = "    for (auto& x : numbers) x /= 2;\n    return numbers;\n}\n"
    assert verifier.verify(HALVES, right, "cpp").passed
