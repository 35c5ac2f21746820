"""Text for people: a verdict, a verification summary, and finding the problem a user named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import DataError
from .problem import Problem
from .verdict import Verdict

__all__ = ["format_summary", "format_verdict", "resolve_problem"]


def resolve_problem(reference: str | None, plugins: Any) -> Problem:
    """A problem file (its only problem), a built-in problem id, or (None) a problem without tests, so that
    only syntax and compilation are checked."""
    from .datasets import load_dataset
    from .jsonio import load_problem_file

    if reference is None:
        return Problem(id="(no problem)", description="")
    if Path(reference).is_file():
        problems = load_problem_file(Path(reference))
        if len(problems) != 1:
            raise DataError(f"{reference}: holds {len(problems)} problems; --problem needs a file with exactly one")
        return problems[0]
    builtin = {p.id: p for p in load_dataset("builtin", plugins.datasets())}
    if reference not in builtin:
        raise DataError(f"--problem {reference!r} is neither a problem file nor a built-in problem id")
    return builtin[reference]


def format_verdict(verdict: Verdict, problem: Problem) -> str:
    lines = [f"{verdict.language}: {verdict.status.value.upper()}"]
    for stage in verdict.stages:
        mark = "ok" if stage.ok else "FAILED"
        lines.append(f"  {stage.stage.value:<8} {mark:<7} {stage.duration_s * 1000:7.1f} ms")
        for diagnostic in stage.diagnostics:
            where = f"line {diagnostic.line}" if diagnostic.line else "   "
            if diagnostic.line and diagnostic.column:
                where += f":{diagnostic.column}"
            lines.append(f"      {diagnostic.severity}: {where}: {diagnostic.message}")
    if verdict.tests_total:
        lines.append(f"  tests: {verdict.tests_passed}/{verdict.tests_total} passed")
        for outcome in verdict.tests:
            if not outcome.passed:
                lines.append(f"    test {outcome.index}: {outcome.message or 'failed'}")
    if verdict.masked:
        lines.append("  (masked: the failure is the verifier's, not the code's)")
    if verdict.stderr_tail.strip() and not verdict.passed:
        lines.append("  stderr (tail):")
        lines.extend(f"    {line}" for line in verdict.stderr_tail.strip().splitlines()[-10:])
    return "\n".join(lines)


def format_summary(summary: dict[str, Any]) -> str:
    lines = []
    for language, entry in sorted(summary.items()):
        statuses = ", ".join(f"{status} {count}" for status, count in entry["statuses"].items())
        lines.append(f"{language}: {entry['passed']}/{entry['samples']} passed ({entry['pass_rate']:.1%}); {statuses}")
    return "\n".join(lines)
