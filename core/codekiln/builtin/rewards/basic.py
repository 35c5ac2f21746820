"""Built-in rewards read from verification verdicts: ``syntax``, ``compiles``, ``tests``, ``all_tests``;
this plugin also registers ``format`` and ``length`` (:mod:`codekiln.builtin.rewards.shape`).

The verdict rewards take the batch's ``verdicts`` column (the calling convention is in
:mod:`codekiln.rewards`) and abstain (None) on a masked verdict (the failure was ours, not the model's) and
where the verdict says nothing about the question asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from codekiln import hookimpl
from codekiln.rewards import Reward
from codekiln.verdict import Stage, Verdict, VerdictStatus

from .shape import FormatReward, LengthReward

_NOT_JUDGED = {VerdictStatus.TOOLCHAIN_MISSING, VerdictStatus.INFRA_ERROR}


class _VerdictReward(Reward):
    def score(self, verdict: Verdict) -> float | None:
        raise NotImplementedError

    def __call__(self, completions: Sequence[str], *, verdicts: Sequence[Verdict], **_: Any) -> list[float | None]:
        if len(verdicts) != len(completions):
            raise ValueError(f"reward '{self.name}': {len(completions)} completions but {len(verdicts)} verdicts")
        return [None if v.masked or v.status in _NOT_JUDGED else self.score(v) for v in verdicts]


def _passed_stage(stage: Stage) -> Callable[[Verdict], float]:
    def score(verdict: Verdict) -> float:
        result = verdict.stage(stage)
        return 1.0 if result is not None and result.ok else 0.0

    return score


class SyntaxReward(_VerdictReward):
    """1.0 when the code parses, else 0.0.

    >>> from codekiln.verdict import StageResult
    >>> ok = Verdict(VerdictStatus.WRONG_ANSWER, "python", stages=(StageResult(Stage.SYNTAX, True),))
    >>> bad = Verdict(VerdictStatus.SYNTAX_ERROR, "python", stages=(StageResult(Stage.SYNTAX, False),))
    >>> SyntaxReward()(["a", "b"], verdicts=[ok, bad])
    [1.0, 0.0]
    """

    name = "syntax"

    def score(self, verdict: Verdict) -> float:
        return _passed_stage(Stage.SYNTAX)(verdict)


class CompilesReward(_VerdictReward):
    """1.0 when the code compiles (a syntax error does not compile), else 0.0.

    >>> from codekiln.verdict import StageResult
    >>> ok = Verdict(VerdictStatus.PASSED, "cpp", stages=(StageResult(Stage.COMPILE, True),))
    >>> masked = Verdict(VerdictStatus.INFRA_ERROR, "cpp", masked=True)
    >>> CompilesReward()(["a", "b"], verdicts=[ok, masked])
    [1.0, None]
    """

    name = "compiles"

    def score(self, verdict: Verdict) -> float:
        return _passed_stage(Stage.COMPILE)(verdict)


class TestsReward(_VerdictReward):
    """The fraction of tests passed; code that never reached its tests (it did not compile) scores 0.

    >>> TestsReward()(["a"], verdicts=[Verdict(VerdictStatus.WRONG_ANSWER, "java", tests_passed=3, tests_total=4)])
    [0.75]
    """

    __test__ = False
    name = "tests"

    def score(self, verdict: Verdict) -> float | None:
        if verdict.tests_total == 0:
            return 1.0 if verdict.passed else 0.0
        return verdict.tests_passed / verdict.tests_total


class AllTestsReward(_VerdictReward):
    """1.0 only when every test passed.

    >>> AllTestsReward()(["a"], verdicts=[Verdict(VerdictStatus.TIMEOUT, "python", tests_passed=2, tests_total=3)])
    [0.0]
    """

    name = "all_tests"

    def score(self, verdict: Verdict) -> float:
        return 1.0 if verdict.passed else 0.0


@hookimpl
def codekiln_register_rewards(registry):
    for reward in (SyntaxReward, CompilesReward, TestsReward, AllTestsReward, FormatReward, LengthReward):
        registry.register(reward)
