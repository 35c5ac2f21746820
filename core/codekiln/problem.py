"""Problems: what a model is asked to solve and how its answer is tested.

A :class:`Problem` carries a language-neutral :class:`Signature` with :class:`TestCase` rows, native test
material for imported benchmarks (:class:`NativeTests`), or both. All classes are frozen attrs classes;
:mod:`codekiln.jsonio` turns them into JSON and back without loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .errors import DataError
from .typespec import TypeSpec, check_value, from_json, parse_type

__all__ = ["MAX_MEMORY_LIMIT_MB", "MAX_TIME_LIMIT_S", "NativeTests", "Param", "Problem", "Signature", "TestCase"]

MAX_TIME_LIMIT_S = 3600.0
MAX_MEMORY_LIMIT_MB = 1 << 20


def _type_text(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    try:
        parse_type(value)
    except ValueError as exc:
        raise ValueError(f"{attribute.name}: {exc}") from None


@attrs.frozen
class Param:
    """One parameter of a :class:`Signature`: a snake_case name and a type of :mod:`codekiln.typespec`."""

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


#: A problem's split is its tag ``split:<name>`` (:attr:`Problem.split`).
SPLIT_TAG = "split:"


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
    #: Its own sandbox limits, in place of the verifier's (bounded: a day's limit is a mistake, not a need).
    time_limit_s: float | None = attrs.field(default=None, validator=attrs.validators.optional(
        [attrs.validators.gt(0), attrs.validators.le(MAX_TIME_LIMIT_S)]))
    memory_limit_mb: int | None = attrs.field(default=None, validator=attrs.validators.optional(
        [attrs.validators.ge(1), attrs.validators.le(MAX_MEMORY_LIMIT_MB)]))
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

    def tested_in(self, language: str) -> bool:
        """Whether it has tests to run in ``language``: native ones, or a signature's, which every language runs."""
        return language in self.native or bool(self.signature is not None and self.tests)

    def check_testable(self, language: str) -> None:
        """Raise DataError where it has tests, but none in ``language``: an answer in it could only be compiled,
        and would pass whatever it does. (A problem without any tests is checked up to compilation.)"""
        if not self.tested_in(language) and (self.native or self.tests):
            raise DataError(f"problem '{self.id}' has tests in {', '.join(self.native)} only, none in {language}: "
                            f"ask it in one of those")

    @property
    def split(self) -> str | None:
        """The split its dataset declared for it (the tag ``split:NAME``), or None. The trainer fine-tunes on
        ``sft``, runs GRPO on ``rl`` and holds out every other split (docs/datasets.md)."""
        for tag in self.tags:
            if tag.startswith(SPLIT_TAG):
                return tag.removeprefix(SPLIT_TAG)
        return None


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
