"""codekiln.feedback: a verdict as text a model can repair from, for every status, bounded, from real verdicts."""

from __future__ import annotations

import pytest

from codekiln.feedback import MAX_CHARS, MAX_DIAGNOSTICS, MAX_FAILED_TESTS, render_feedback
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.verdict import Diagnostic, Stage, StageResult, TestOutcome, Verdict, VerdictStatus
from codekiln.verifier.pipeline import verify_one
from codekiln.verifier.runner import SandboxRunner

ADD = Problem(id="add", description="Add two numbers.",
              signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
              tests=(TestCase((1, 2), 3), TestCase((2, 2), 4), TestCase((0, 0), 0)))


def test_a_pass_needs_no_feedback_and_a_masked_verdict_has_none():
    assert render_feedback(Verdict(VerdictStatus.PASSED, "python")) == ""
    assert render_feedback(Verdict(VerdictStatus.WRONG_ANSWER, "python", masked=True)) is None
    assert render_feedback(Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)) is None
    assert render_feedback(Verdict(VerdictStatus.TOOLCHAIN_MISSING, "java", masked=True)) is None


def test_wrong_answer_names_the_failing_tests_with_expected_and_actual():
    outcomes = tuple(TestOutcome(i, i == 0, None if i == 0 else f"expected {i}, got {i + 1}") for i in range(6))
    text = render_feedback(Verdict(VerdictStatus.WRONG_ANSWER, "javascript", tests_passed=1, tests_total=6,
                                   tests=outcomes), show_expected=True)
    lines = text.splitlines()
    assert lines[0] == "Your JavaScript code runs, but 5 of 6 tests fail."
    assert lines[1:1 + MAX_FAILED_TESTS] == ["test 2: expected 1, got 2", "test 3: expected 2, got 3",
                                             "test 4: expected 3, got 4"]
    assert lines[1 + MAX_FAILED_TESTS] == "(2 more failing tests not shown)"
    assert lines[-1] == "Fix the code and answer with the whole corrected solution."


def test_runtime_error_shows_the_last_lines_of_error_output():
    stderr = "\n".join(f"frame {i}" for i in range(20)) + "\nZeroDivisionError: division by zero"
    text = render_feedback(Verdict(VerdictStatus.RUNTIME_ERROR, "python", stderr_tail=stderr))
    assert text.startswith("Your Python code fails while it runs.\nerror output (last lines):\n")
    assert "  ZeroDivisionError: division by zero" in text
    assert "frame 12" not in text  # only the last lines


@pytest.mark.parametrize(("status", "headline"), [
    (VerdictStatus.TIMEOUT, "Your Java code did not finish within its time limit"),
    (VerdictStatus.MEMORY_LIMIT, "Your Java code ran out of memory."),
    (VerdictStatus.OUTPUT_LIMIT, "Your Java code printed more output than allowed."),
])
def test_limits_say_which_limit(status, headline):
    assert render_feedback(Verdict(status, "java")).startswith(headline)


def test_feedback_is_bounded_whatever_the_sandbox_sent_back():
    flood = tuple(Diagnostic("x" * 10_000 + "\n" * 50, line=i + 1) for i in range(100))
    verdict = Verdict(VerdictStatus.COMPILE_ERROR, "cpp", stages=(StageResult(Stage.COMPILE, False, 0.0, flood),))
    text = render_feedback(verdict)
    assert len(text) <= MAX_CHARS
    assert text.count("error:") <= MAX_DIAGNOSTICS
    assert text.endswith("corrected solution.")


@pytest.fixture(scope="module")
def python_backend():
    from codekiln.plugins import make_plugins

    return make_plugins(warn=lambda line: None).languages().get("python")


@pytest.mark.parametrize(("completion", "expected"), [
    ("def add(a, b):\n    return a +\n", ["Your Python code has a syntax error.", "line 2:"]),
    ("def add(a, b):\n    return a - b\n", ["Your Python code runs, but 2 of 3 tests fail.",
                                              "test 1: expected 3, got -1"]),
    ("def add(a, b):\n    return a // 0\n", ["Your Python code fails while it runs.", "ZeroDivisionError"]),
])
def test_real_verdicts_render_what_went_wrong(python_backend, completion, expected):
    verdict = verify_one(python_backend, ADD, completion, SandboxRunner())
    text = render_feedback(verdict, show_expected=True)
    for piece in expected:
        assert piece in text, text


# -- the default, show_expected=False: what a training loop feeds back must not tell what the tests expect ---

HIDDEN = "(Which tests fail and what they expect is not shown.)"


@pytest.mark.parametrize(("completion", "shown", "left_out"), [
    # Wrong results: counted, never listed (the message quotes the expected value; the index alone tells a
    # yes-or-no answer).
    ("def add(a, b):\n    return a - b\n", ["Your Python code runs, but 2 of 3 tests fail.", HIDDEN],
     ["expected", "test 1", "test 2"]),
    # The code's own exception stays; the wrong result beside it does not.
    ("def add(a, b):\n    if a == 1:\n        raise ValueError('boom')\n    return a - b\n",
     ["Your Python code fails while it runs.", HIDDEN, "test 1: ValueError: boom"], ["expected 4", "test 2"]),
    # A crash after a wrong result: the error output is left out with it.
    ("import os, sys\ndef add(a, b):\n    print('seen', a, b, file=sys.stderr, flush=True)\n    if a == 2:\n"
     "        os._exit(3)\n    return a - b\n", ["Your Python code fails while it runs.", HIDDEN],
     ["expected 3", "seen", "test 1"]),
    # Every failure the code's own: all of it is shown, error output included.
    ("import sys\ndef add(a, b):\n    print('seen', a, b, file=sys.stderr)\n    raise KeyError(a)\n",
     ["Your Python code fails while it runs.", "test 1: KeyError: 1", "error output (last lines):", "seen 2 2"],
     [HIDDEN]),
])
def test_hidden_feedback_tells_nothing_of_the_expected_values(python_backend, completion, shown, left_out):
    verdict = verify_one(python_backend, ADD, completion, SandboxRunner())
    text = render_feedback(verdict)  # show_expected=False is the default: the safe one
    for piece in shown:
        assert piece in text, text
    for piece in left_out:
        assert piece not in text, text


@pytest.fixture(scope="module")
def javascript_backend():
    from codekiln.plugins import make_plugins

    return make_plugins(warn=lambda line: None).languages().get("javascript")


def test_hidden_feedback_leaves_out_a_benchmark_assertion_that_quotes_the_expected_value(javascript_backend):
    """Node's assert.deepEqual names the expected value in its message (the benchmark's tests, HumanEval-X's
    JavaScript among them, use it): shown, a second answer could return 4242 for 1."""
    problem = Problem(id="answer", description="The answer.", native={"javascript": NativeTests(
        prompt="const answer = (n) => {\n", entry_point="answer",
        test="const assert = require('node:assert');\nassert.deepEqual(answer(1), 4242);\n")})
    verdict = verify_one(javascript_backend, problem, "  return n + 1;\n};\n", SandboxRunner())
    assert verdict.status is VerdictStatus.WRONG_ANSWER and not verdict.tests[0].error
    assert "4242" in render_feedback(verdict, show_expected=True)
    hidden = render_feedback(verdict)
    assert "4242" not in hidden and HIDDEN in hidden

    thrown = verify_one(javascript_backend, problem, "  throw new Error('boom ' + n);\n};\n", SandboxRunner())
    assert thrown.tests[0].error  # the code's own error: kept
    assert "test 1: Error: boom 1" in render_feedback(thrown, show_expected=False)


def test_public_tests_are_shown_in_full_and_the_others_stay_hidden(python_backend):
    verdict = verify_one(python_backend, ADD, "def add(a, b):\n    return a - b\n", SandboxRunner())
    text = render_feedback(verdict, public_tests=1)
    assert "test 1: expected 3, got -1" in text and HIDDEN in text
    assert "test 2" not in text and "expected 4" not in text
