"""The data model shared by every part of codekiln: problems, verdicts and reward breakdowns.

All classes are frozen attrs classes. :mod:`codekiln.serde` turns them into JSON and back without loss.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from .types import TypeSpec, check_value, from_json, parse_type

__all__ = [
    "Diagnostic",
    "NativeTests",
    "Param",
    "Problem",
    "RewardBreakdown",
    "Signature",
    "Stage",
    "StageResult",
    "TestCase",
    "TestOutcome",
    "Verdict",
    "VerdictStatus",
]


def _type_text(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    try:
        parse_type(value)
    except ValueError as exc:
        raise ValueError(f"{attribute.name}: {exc}") from None


@attrs.frozen
class Param:
    """One parameter of a :class:`Signature`: a snake_case name and a type of :mod:`codekiln.types`."""

    name: str
    type: str = attrs.field(validator=_type_text)


@attrs.frozen
class Signature:
    """A language-neutral function signature: each language plugin renders it in its own syntax."""

    name: str
    params: tuple[Param, ...]
    returns: str = attrs.field(validator=_type_text)

    def param_types(self) -> tuple[TypeSpec, ...]:
        return tuple(parse_type(p.type) for p in self.params)

    def return_type(self) -> TypeSpec:
        return parse_type(self.returns)


@attrs.frozen
class TestCase:
    """Arguments (plain JSON values, one per parameter) and the value the function must return."""

    __test__ = False  # not a pytest test class, despite the name

    args: tuple[Any, ...]
    expected: Any


@attrs.frozen
class NativeTests:
    """Test material written for one language, as imported benchmarks ship it (HumanEval, HumanEval-X).

    ``prompt`` is what the model continues; ``test`` is the benchmark's test code; ``entry_point`` the
    function under test; ``declaration`` the prompt without its docstring, where the benchmark has one;
    ``stop_tokens`` the strings at which the benchmark stops generating (MultiPL-E's), the completion
    ending before the first of them.
    """

    __test__ = False

    prompt: str
    test: str
    entry_point: str
    declaration: str | None = None
    stop_tokens: tuple[str, ...] = ()


@attrs.frozen
class Problem:
    """One programming task, in the language-neutral form, natively for some languages, or both."""

    id: str = attrs.field(validator=attrs.validators.min_len(1))
    description: str
    signature: Signature | None = None
    tests: tuple[TestCase, ...] = ()
    native: Mapping[str, NativeTests] = attrs.field(factory=dict)
    references: Mapping[str, str] = attrs.field(factory=dict)
    difficulty: int = attrs.field(default=1, validator=[attrs.validators.ge(1), attrs.validators.le(5)])
    tags: tuple[str, ...] = ()
    time_limit_s: float | None = None
    memory_limit_mb: int | None = None
    #: Requirements on the solution's form (``max_lines``, ``required_docstring``, ``type_hints``), read by
    #: the ``constraints`` reward; they override that reward's configured values key by key.
    constraints: Mapping[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.tests and self.signature is None:
            raise ValueError("tests: a problem with tests needs a signature")
        if self.signature is not None:
            _check_tests(self.signature, self.tests)

    def typed_args(self, test: TestCase) -> tuple[Any, ...]:
        """The Python values of ``test``'s arguments (tuples and int keys restored)."""
        return tuple(from_json(v, t) for v, t in zip(test.args, self.signature.param_types()))

    def typed_expected(self, test: TestCase) -> Any:
        return from_json(test.expected, self.signature.return_type())

    def languages(self) -> tuple[str, ...]:
        """Languages this problem can be verified in without translation (its native material)."""
        return tuple(self.native)


def _check_tests(signature: Signature, tests: tuple[TestCase, ...]) -> None:
    param_types = signature.param_types()
    return_type = signature.return_type()
    for index, test in enumerate(tests):
        if len(test.args) != len(param_types):
            raise ValueError(
                f"tests[{index}].args: {signature.name} takes {len(param_types)} argument(s), "
                f"got {len(test.args)}"
            )
        for param, value, spec in zip(signature.params, test.args, param_types):
            problem = check_value(value, spec)
            if problem:
                raise ValueError(f"tests[{index}].args.{param.name}: {problem}")
        problem = check_value(test.expected, return_type)
        if problem:
            raise ValueError(f"tests[{index}].expected: {problem}")


# ---------------------------------------------------------------------------------------------------------
# Verification results
# ---------------------------------------------------------------------------------------------------------


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
    """The outcome of one test: passed or not, with a short reason and its run time when known."""

    __test__ = False

    index: int
    passed: bool
    message: str | None = None
    time_s: float | None = None


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
