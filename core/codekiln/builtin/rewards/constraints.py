"""The ``constraints`` reward: the fraction of the required form constraints the code meets.

Constraints come from the reward's parameters (``reward_params.constraints``) and from the problem
(``Problem.constraints``), the problem's value winning key by key. What each means per language is in
``docs/rewards/constraints.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codekiln import hookimpl
from codekiln.code_profile import CodeAnalysis
from codekiln.errors import DataError

from ._code import CodeReward

__all__ = ["CONSTRAINTS", "ConstraintsReward"]

#: The constraints this reward knows; other keys of ``Problem.constraints`` are left to other rewards.
CONSTRAINTS = ("max_lines", "required_docstring", "type_hints")


def _checked(constraints: Mapping[str, Any]) -> dict[str, Any]:
    """The known constraints of ``constraints``, validated; raises ValueError naming the bad one."""
    checked = {key: constraints[key] for key in CONSTRAINTS if key in constraints}
    max_lines = checked.get("max_lines")
    if max_lines is not None and (not isinstance(max_lines, int) or isinstance(max_lines, bool) or max_lines < 1):
        raise ValueError(f"max_lines must be a positive integer or null, got {max_lines!r}")
    for flag in ("required_docstring", "type_hints"):
        if flag in checked and not isinstance(checked[flag], bool):
            raise ValueError(f"{flag} must be true or false, got {checked[flag]!r}")
    return checked


def _non_blank_lines(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


class ConstraintsReward(CodeReward):
    """The fraction of the active constraints the code meets, in [0, 1].

    - ``max_lines``: the code (as extracted, without a benchmark's prompt) has at most this many non-blank
      lines;
    - ``required_docstring``: every function is documented, as the language's profile defines it;
    - ``type_hints``: every parameter and return type is declared; a language without types to declare
      (JavaScript) leaves this constraint out.

    Code for a problem with an entry function (a signature, a benchmark's prompt) that defines no function
    meets neither of the last two.

    Abstains when no constraint applies, on a masked verdict, a language without a code profile, and code
    that is empty or does not parse. ``last_details`` holds ``constraints/<name>``: 1.0 met, 0.0 not.

    >>> from codekiln.plugins import make_plugins
    >>> from codekiln.problem import Problem
    >>> from codekiln.verdict import Verdict, VerdictStatus
    >>> reward = ConstraintsReward(max_lines=2, type_hints=True)
    >>> reward.bind_plugins(make_plugins())
    >>> problems = [Problem("p", ""), Problem("q", "", constraints={"max_lines": None})]
    >>> code = "def twice(x):\\n    return 2 * x\\n"
    >>> reward([code] * 2, problems=problems, languages=["python"] * 2, codes=[code] * 2,
    ...        verdicts=[Verdict(VerdictStatus.PASSED, "python")] * 2)
    [0.5, 0.0]
    """

    name = "constraints"

    def __init__(self, max_lines: int | None = None, required_docstring: bool = False, type_hints: bool = False):
        self.defaults = _checked(
            {"max_lines": max_lines, "required_docstring": required_docstring, "type_hints": type_hints}
        )

    def __call__(self, completions: Sequence[str], **columns: Any) -> list[float | None]:
        values: list[float | None] = []
        self.last_details: list[dict[str, float]] = []
        for sample in self.samples(completions, columns):
            try:
                active = {**self.defaults, **_checked(sample.problem.constraints)}
            except ValueError as exc:
                raise DataError(f"problem '{sample.problem.id}': constraints.{exc}") from None
            analyzer = None if sample.program is None else self.analyzer(sample.language)
            analysis = None if analyzer is None else analyzer.analyze(sample.program)
            # A problem with an entry function expects the code to define one: code that only binds the name to
            # something else (``sum_list = sum``) would meet the function constraints by having no function.
            expects_function = sample.problem.signature is not None or bool(sample.problem.native)
            met = {} if analysis is None else _met(active, sample.code, analysis, expects_function)
            if analyzer is not None and analysis is None and any(v not in (None, False) for v in active.values()):
                values.append(sample.unreadable())
            else:
                values.append(sum(met.values()) / len(met) if met else None)
            self.last_details.append({f"constraints/{name}": float(ok) for name, ok in met.items()})
        return values


def _met(active: Mapping[str, Any], code: str, analysis: CodeAnalysis, expects_function: bool) -> dict[str, bool]:
    """Whether each active constraint is met."""
    met = {}
    defines = analysis.functions > 0 or not expects_function
    if active.get("max_lines") is not None:
        met["max_lines"] = _non_blank_lines(code) <= active["max_lines"]
    if active.get("required_docstring"):
        met["required_docstring"] = defines and analysis.documented == analysis.functions
    if active.get("type_hints") and analysis.untyped is not None:
        met["type_hints"] = defines and analysis.untyped == 0
    return met


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(ConstraintsReward)
