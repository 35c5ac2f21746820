"""The Python backend through the real verifier and sandbox (namespaces isolation)."""

from __future__ import annotations

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits
from codekiln.verdict import Stage, VerdictStatus
from codekiln.verifier import Verifier
from codekiln_python import PythonBackend

ADD = Problem(
    id="add",
    description="Add two integers.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((-5, 5), 0), TestCase((10**12, 1), 10**12 + 1)),
)

PAIRS = Problem(
    id="pairs",
    description="Pair each word with its length.",
    signature=Signature("pairs", (Param("words", "list[str]"),), "dict[int, list[tuple[str, float]]]"),
    tests=(TestCase((["ab", "c"],), {"2": [["ab", 1.0]], "1": [["c", 0.5]]}),),
)

NATIVE = Problem(
    id="Native/0",
    description="double",
    native={
        "python": NativeTests(
            prompt='def double(x):\n    """Return twice x."""\n',
            test="def check(candidate):\n    assert candidate(2) == 4\n    assert double(-3) == -6\n",
            entry_point="double",
        )
    },
)


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", limits=Limits(wall_time_s=2.0, cpu_time_s=2.0, memory_mb=256),
                  workers=1, cache=False) as v:
        yield v


def test_available_and_grammar():
    backend = PythonBackend()
    assert backend.available().ok and backend.available().version.startswith("Python 3.")
    assert backend.tree_sitter_language() is not None


def test_passes_and_counts_tests(verifier):
    verdict = verifier.verify(ADD, "def add(a, b):\n    return a + b\n", "python")
    assert verdict.status is VerdictStatus.PASSED
    assert (verdict.tests_passed, verdict.tests_total) == (3, 3)
    assert [s.stage for s in verdict.stages] == [Stage.EXTRACT, Stage.SYNTAX, Stage.COMPILE, Stage.RUN]


def test_rich_types_cross_the_boundary(verifier):
    code = "def pairs(words):\n    return {len(w): [(w, len(w) / 2)] for w in words}\n"
    assert verifier.verify(PAIRS, code, "python").passed
    wrong = "def pairs(words):\n    return {str(len(w)): [(w, len(w) / 2)] for w in words}\n"  # str keys
    assert verifier.verify(PAIRS, wrong, "python").status is VerdictStatus.WRONG_ANSWER


def test_wrong_answer_says_what_was_expected(verifier):
    verdict = verifier.verify(ADD, "def add(a, b):\n    return a - b\n", "python")
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    assert verdict.tests_passed == 0
    assert verdict.tests[0].message == "expected 3, got -1"


def test_exception_is_a_runtime_error(verifier):
    verdict = verifier.verify(ADD, "def add(a, b):\n    return a + b if b != 2 else 1 // 0\n", "python")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert verdict.tests[0].message.startswith("ZeroDivisionError")
    assert verdict.tests_passed == 2  # the other two still ran


def test_failure_at_import_and_missing_function(verifier):
    verdict = verifier.verify(ADD, "raise ValueError('nope')\n", "python")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR and "ValueError: nope" in verdict.tests[0].message
    verdict = verifier.verify(ADD, "def plus(a, b):\n    return a + b\n", "python")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert "defines no function named 'add'" in verdict.tests[0].message


def test_syntax_error_has_a_position_in_the_submitted_code(verifier):
    verdict = verifier.verify(ADD, "Here:\n```python\ndef add(a, b):\n    return (a +\n```", "python")
    assert verdict.status is VerdictStatus.SYNTAX_ERROR
    [diagnostic] = verdict.stage(Stage.SYNTAX).diagnostics
    assert diagnostic.line is not None and diagnostic.line >= 1 and diagnostic.column is not None


def test_compile_error_the_grammar_accepts(verifier):
    verdict = verifier.verify(ADD, "def add(a, b):\n    return a + b\nreturn 3\n", "python")
    assert verdict.status is VerdictStatus.COMPILE_ERROR
    [diagnostic] = verdict.stage(Stage.COMPILE).diagnostics
    assert (diagnostic.line, diagnostic.message) == (3, "'return' outside function")


def test_compile_warnings_are_kept(verifier):
    verdict = verifier.verify(ADD, "def add(a, b):\n    if a is 1:\n        pass\n    return a + b\n", "python")
    assert verdict.passed
    [warning] = verdict.stage(Stage.COMPILE).diagnostics
    assert warning.severity == "warning" and warning.line == 2 and "is" in warning.message


def test_no_code_at_all(verifier):
    verdict = verifier.verify(ADD, "```java\nclass A {}\n```", "python")
    assert verdict.status is VerdictStatus.SYNTAX_ERROR
    assert verdict.stage(Stage.EXTRACT).diagnostics[0].message == "no python code found in the answer"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("def add(a, b):\n    while True:\n        pass\n", VerdictStatus.TIMEOUT),
        ("def add(a, b):\n    x = [0] * (10 ** 10)\n", VerdictStatus.MEMORY_LIMIT),
        ("def add(a, b):\n    while True:\n        print('x' * 10000)\n", VerdictStatus.OUTPUT_LIMIT),
        ("def add(a, b):\n    return add(a, b)\n", VerdictStatus.RUNTIME_ERROR),
    ],
)
def test_limits(verifier, code, status):
    assert verifier.verify(ADD, code, "python").status is status


def test_native_tests_pass_and_fail(verifier):
    assert verifier.verify(NATIVE, "    return 2 * x\n", "python").passed
    verdict = verifier.verify(NATIVE, "    return x + 2\n", "python")  # right for 2, wrong for -3
    assert verdict.status is VerdictStatus.WRONG_ANSWER
    assert verdict.tests[0].message.startswith("assertion failed")


def test_native_diagnostics_map_to_completion_lines(verifier):
    verdict = verifier.verify(NATIVE, "    y = 2 * x\n    return y +\n", "python")
    assert verdict.status is VerdictStatus.SYNTAX_ERROR
    assert verdict.diagnostics[0].line == 2


def test_native_exception_in_solution(verifier):
    verdict = verifier.verify(NATIVE, "    return 1 / 0\n", "python")
    assert verdict.status is VerdictStatus.RUNTIME_ERROR
    assert "ZeroDivisionError" in verdict.tests[0].message
