"""A verdict as text a model can repair its code from: the one feedback renderer that multi-turn debugging
(the NeMo RL environment), the generation service and evaluation reports share.

The text names what failed, where (lines of the code as submitted) and why, in the order a programmer reads a
compiler or a test run, and stays short: at most :data:`MAX_DIAGNOSTICS` diagnostics, :data:`MAX_FAILED_TESTS`
failed tests, a few lines of the program's error output, and :data:`MAX_CHARS` characters in all. Everything
in it came out of the sandbox, so it is cut to size and never trusted for anything else.

A masked verdict has no feedback (None): the failure was the verifier's, and the model has nothing to fix.

By default (``show_expected=False``, what a training loop that feeds the text back to the model must use) the
text tells nothing about what the tests expect: a wrong result is counted in the headline, never listed (its message
quotes the expected value, and even naming which test failed tells a yes-or-no answer), and the error output
is left out unless every failed test failed on the code's own error. Otherwise a second answer could special-case
the values the first one was told, and pass the same tests without solving the problem. What the code itself
raised or printed, and the compiler's diagnostics, are the code's own and stay. ``show_expected=True`` adds the
failing tests' messages ("expected 3, got -1") and all error output: for people, as the generation service's
reasons. ``public_tests=N`` shows the first N tests of a signature problem in full either way (RLEF's public
tests): the caller must then leave them out of the reward (the NeMo RL environment judges the rest alone).

>>> from codekiln.verdict import Diagnostic, Stage, StageResult, Verdict, VerdictStatus
>>> verdict = Verdict(VerdictStatus.COMPILE_ERROR, "cpp", stages=(
...     StageResult(Stage.SYNTAX, True),
...     StageResult(Stage.COMPILE, False, diagnostics=(Diagnostic("'x' was not declared", 3, 12),))))
>>> print(render_feedback(verdict))
Your C++ code does not compile.
line 3:12: error: 'x' was not declared
Fix the code and answer with the whole corrected solution.
"""

from __future__ import annotations

from .languages import display_name
from .verdict import Stage, Verdict, VerdictStatus

__all__ = ["MAX_CHARS", "MAX_DIAGNOSTICS", "MAX_FAILED_TESTS", "render_feedback"]

MAX_DIAGNOSTICS = 5
MAX_FAILED_TESTS = 3
MAX_CHARS = 2000
_ERROR_LINES = 8
_CLOSING = "Fix the code and answer with the whole corrected solution."
_HIDDEN = "(Which tests fail and what they expect is not shown.)"

_HEADLINES = {
    VerdictStatus.SYNTAX_ERROR: "Your {language} code has a syntax error.",
    VerdictStatus.COMPILE_ERROR: "Your {language} code does not compile.",
    VerdictStatus.WRONG_ANSWER: "Your {language} code runs, but {failed} of {total} tests fail.",
    VerdictStatus.RUNTIME_ERROR: "Your {language} code fails while it runs.",
    VerdictStatus.TIMEOUT: "Your {language} code did not finish within its time limit (an endless loop, or too "
                           "slow an algorithm).",
    VerdictStatus.MEMORY_LIMIT: "Your {language} code ran out of memory.",
    VerdictStatus.OUTPUT_LIMIT: "Your {language} code printed more output than allowed.",
}


def render_feedback(verdict: Verdict, *, show_expected: bool = False, public_tests: int = 0) -> str | None:
    """The feedback for a failed verdict; ``""`` for a pass (nothing to fix) and None for a masked verdict.
    Unless ``show_expected``, whatever could tell what the tests expect is left out, but for the first
    ``public_tests`` tests (see the module's text)."""
    if verdict.masked or verdict.status in (VerdictStatus.TOOLCHAIN_MISSING, VerdictStatus.INFRA_ERROR):
        return None
    if verdict.passed:
        return ""
    language = display_name(verdict.language)
    failed = [t for t in verdict.tests if not t.passed]
    shown = [t for t in failed if show_expected or t.error or t.index < public_tests]
    lines = [_HEADLINES[verdict.status].format(language=language, failed=len(failed) or "some",
                                               total=verdict.tests_total or "the")]
    if len(shown) < len(failed):
        lines.append(_HIDDEN)
    lines += _diagnostics(verdict)
    for outcome in shown[:MAX_FAILED_TESTS]:
        lines.append(f"test {outcome.index + 1}: {_one_line(outcome.message or 'failed')}")
    if len(shown) > MAX_FAILED_TESTS:
        lines.append(f"({len(shown) - MAX_FAILED_TESTS} more failing tests not shown)")
    # A failed test that is not the code's error may have put the checker's output in the error output.
    if (verdict.status is VerdictStatus.RUNTIME_ERROR and verdict.stderr_tail.strip()
            and len(shown) == len(failed)):
        lines.append("error output (last lines):")
        lines += [f"  {line}" for line in verdict.stderr_tail.strip().splitlines()[-_ERROR_LINES:]]
    return _bounded(lines)


def _diagnostics(verdict: Verdict) -> list[str]:
    stage = next((s for s in verdict.stages if not s.ok and s.stage in (Stage.EXTRACT, Stage.SYNTAX, Stage.COMPILE)),
                 None)
    if stage is None:
        return []
    shown = [d for d in stage.diagnostics if d.severity == "error"] or list(stage.diagnostics)
    lines = []
    for diagnostic in shown[:MAX_DIAGNOSTICS]:
        where = f"line {diagnostic.line}" if diagnostic.line else ""
        if diagnostic.line and diagnostic.column:
            where += f":{diagnostic.column}"
        lines.append(f"{where + ': ' if where else ''}{diagnostic.severity}: {_one_line(diagnostic.message)}")
    if len(shown) > MAX_DIAGNOSTICS:
        lines.append(f"({len(shown) - MAX_DIAGNOSTICS} more not shown)")
    return lines


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _bounded(lines: list[str]) -> str:
    """The lines and the closing request, cut (whole lines first) to :data:`MAX_CHARS`."""
    body = list(lines)
    while body and len("\n".join([*body, _CLOSING])) > MAX_CHARS:
        body.pop()
    text = "\n".join([*body, _CLOSING])
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 3] + "..."
