"""Verdicts: what verifying one sample returns, and the reward breakdown computed from it.

All classes are frozen attrs classes; :mod:`codekiln.jsonio` turns them into JSON and back without loss.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

__all__ = ["Diagnostic", "RewardBreakdown", "Stage", "StageResult", "TestOutcome", "Verdict", "VerdictStatus"]


class VerdictStatus(enum.Enum):
    """The one outcome of verifying a sample. Values are the strings written to JSON."""

    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    SYNTAX_ERROR = "syntax_error"
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    TOOLCHAIN_MISSING = "toolchain_missing"
    INFRA_ERROR = "infra_error"


class Stage(enum.Enum):
    """The pipeline stages, in order; verification stops at the first that fails."""

    EXTRACT = "extract"
    SYNTAX = "syntax"
    COMPILE = "compile"
    RUN = "run"


@attrs.frozen
class Diagnostic:
    """A message about the submitted code, positioned in the code as submitted (1-based line/column)."""

    message: str
    line: int | None = None
    column: int | None = None
    severity: str = "error"


@attrs.frozen
class StageResult:
    stage: Stage
    ok: bool
    duration_s: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()


@attrs.frozen
class TestOutcome:
    """The outcome of one test: passed or not, with a short reason and its run time when known.

    ``error`` is true when the test failed on the code's own failure (it raised, crashed, or gave a result that
    could not be read), so ``message`` is the code's error or a fixed text. A wrong result (``error`` false)
    has a message that may quote the expected value: the checker's comparison, or the benchmark's assertion.
    """

    __test__ = False

    index: int
    passed: bool
    message: str | None = None
    time_s: float | None = None
    error: bool = False


@attrs.frozen
class Verdict:
    """What verification returns for one sample.

    ``masked`` is true when the failure is ours (sandbox or toolchain trouble), not the model's: such a
    sample is left out of the loss instead of being scored 0.
    """

    status: VerdictStatus
    language: str
    stages: tuple[StageResult, ...] = ()
    tests_passed: int = 0
    tests_total: int = 0
    tests: tuple[TestOutcome, ...] = ()
    stdout_tail: str = ""
    stderr_tail: str = ""
    masked: bool = False
    problem_id: str | None = None
    #: Why a warm path fell back to the cold one for this sample (codekiln.verifier.warm); empty when it did not.
    warm_fallbacks: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status is VerdictStatus.PASSED

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent per stage, keyed by stage name."""
        return {s.stage.value: s.duration_s for s in self.stages}

    def stage(self, stage: Stage) -> StageResult | None:
        return next((s for s in self.stages if s.stage is stage), None)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for s in self.stages for d in s.diagnostics)


@attrs.frozen
class RewardBreakdown:
    """Each reward component's value (None when it abstained), the weights, and the weighted total.

    The total is the weighted mean over the components that did not abstain; an abstaining component is
    left out rather than counted as 0. ``details`` keeps sub-metrics (e.g. the parts of ``quality``).
    ``masked`` is true when the sample's verdict was masked or no component with a positive weight had a
    value: the total (0.0) means nothing and the sample is left out of the loss.
    """

    components: Mapping[str, float | None]
    weights: Mapping[str, float]
    total: float
    details: Mapping[str, float] = attrs.field(factory=dict)
    masked: bool = False
