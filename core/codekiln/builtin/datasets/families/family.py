"""What a task family is, and how its problems are generated and split.

A :class:`Family` draws :class:`Variant` s: one parameter combination each, with its signature, its
description and its reference in every language. :func:`generate` turns the variants into problems: it runs
the Python reference in this process (it is our own code) on random arguments to get each test's expected
value, and assigns every problem to one split.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from codekiln.problem import SPLIT_TAG, Problem, Signature, TestCase
from codekiln.typespec import to_json

__all__ = ["LANGUAGES", "SPLITS", "TRAINED_SPLITS", "Family", "Generated", "Variant", "generate",
           "reference_function"]

#: The languages every family renders its references in.
LANGUAGES = ("python", "javascript", "java", "cpp")
#: The splits, in the order :func:`generate` fills them. ``sft`` problems carry their references; the others
#: carry none, so no trainer can show them to the model.
SPLITS = ("sft", "rl", "heldout", "heldout_families")

#: The splits a model learns from; the others are held out of training.
TRAINED_SPLITS = ("sft", "rl")

#: Distinct test arguments per problem, and how many draws a family gets to find them.
TESTS_PER_PROBLEM = 10
_DRAWS_PER_TEST = 20
#: Arguments each variant draws (besides its edge cases) to tell whether two variants compute the same.
_PROBES = 300


@attrs.frozen
class Variant:
    """One parameter combination of a family, rendered.

    ``key`` names the combination within its family (``gt3-mul2-sum``); ``depth`` is how many steps it
    composes, 1-5, and becomes the problem's difficulty. ``references`` holds the solution in each of
    :data:`LANGUAGES`, each defining the signature's function as that language's plugin renders it (see
    docs/languages/index.md); the Python one computes the tests' expected values. ``arguments`` draws one
    tuple of random arguments; ``edge_cases`` are arguments every problem of the variant is tested on.
    """

    key: str
    depth: int = attrs.field(validator=[attrs.validators.ge(1), attrs.validators.le(5)])
    signature: Signature
    description: str
    references: Mapping[str, str]
    arguments: Callable[[random.Random], tuple[Any, ...]] = attrs.field(eq=False)
    edge_cases: tuple[tuple[Any, ...], ...] = ()

    def __attrs_post_init__(self) -> None:
        missing = [language for language in LANGUAGES if language not in self.references]
        if missing:
            raise ValueError(f"variant {self.key}: no reference in {', '.join(missing)}")


class Family:
    """A parameterised family of problems: subclass, set ``name`` and ``tags`` (on the class or the instance),
    implement :meth:`draw`.

    ``draw`` returns one variant chosen with ``rng``; drawing the same key twice is fine (the generator
    keeps distinct keys), so a family need not enumerate its parameter space.
    """

    name: str
    tags: tuple[str, ...] = ()

    def draw(self, rng: random.Random) -> Variant:
        raise NotImplementedError


@attrs.frozen
class Generated:
    """A generated problem with the variant it came from and its split (the problem's references are
    empty outside ``sft``; the variant keeps them, for tests and tools that verify them)."""

    problem: Problem
    variant: Variant
    family: str
    split: str


def generate(families: Sequence[Family], *, seed: int, per_family: int, rl: float, heldout: float,
             heldout_families: Sequence[str]) -> list[Generated]:
    """``per_family`` problems of each family (fewer where a family has fewer combinations), the same for the
    same arguments.

    A family's variants compute distinct functions. A family named in ``heldout_families`` is wholly
    ``heldout_families``. Of each other family's variants, the fraction ``heldout`` goes to ``heldout`` (new
    combinations of known parts where it can, see :func:`_splits`), the fraction ``rl`` to ``rl`` and the rest
    to ``sft``, so no parameter combination is in two splits. Last, a held-out problem that computes what a
    trained problem of another family computes is left out (list_count's ``odd-count`` is
    list_map_filter_map_fold's ``abs-odd-sq-count``): it would measure a function the model was trained on.
    """
    drawn_by_family = []
    for family in families:
        rng = random.Random(f"{seed}/{family.name}")  # a family's draws do not shift when others change
        drawn = _drawn(family, rng, per_family)
        if family.name in heldout_families:
            splits = ["heldout_families"] * len(drawn)
        else:
            splits = _splits([variant for variant, _, _ in drawn], rl=rl, heldout=heldout)
        drawn_by_family.append((family, drawn, splits))
    trained = [behaviour for _, drawn, splits in drawn_by_family
               for (_, _, behaviour), split in zip(drawn, splits) if split in TRAINED_SPLITS]
    problems = []
    for family, drawn, splits in drawn_by_family:
        for (variant, tests, behaviour), split in zip(drawn, splits):
            if split not in TRAINED_SPLITS and any(behaviour.same_as(known) for known in trained):
                continue
            problem = Problem(
                id=f"families/{family.name}/{variant.key}",
                description=variant.description,
                signature=variant.signature,
                tests=tests,
                references=dict(variant.references) if split == "sft" else {},
                difficulty=variant.depth,
                tags=("families", f"family:{family.name}", f"{SPLIT_TAG}{split}", *family.tags),
            )
            problems.append(Generated(problem, variant, family.name, split))
    return problems


def _splits(variants: Sequence[Variant], *, rl: float, heldout: float) -> list[str]:
    """Each variant's split. ``heldout`` takes, in drawn order, the variants whose every part (of the key,
    between dashes: ``gt3``, ``mul2``, ``sum``) a variant left in training also has, so that a held-out
    problem asks for a new combination of steps the model can have learned; where too few are, the first
    others. ``rl`` takes first, for each held-out combination, every variant of one of its parts (the one
    fewest others have that the quota can take), so that this part is shown by no ``sft`` reference and a
    held-out problem asks for a step that only RL teaches; then the next of the rest. ``sft`` takes the
    remainder."""
    held_count, rl_count = round(len(variants) * heldout), round(len(variants) * rl)
    parts = [set(variant.key.split("-")) for variant in variants]
    held: list[int] = []
    for index in range(len(variants)):
        if len(held) == held_count:
            break
        candidate = [*held, index]
        trained = set().union(*(p for i, p in enumerate(parts) if i not in candidate))
        if all(parts[i] <= trained for i in candidate):  # taking this one must not strand an earlier one
            held.append(index)
    held += [i for i in range(len(variants)) if i not in held][: held_count - len(held)]
    rest = [i for i in range(len(variants)) if i not in held]
    # Measured: GRPO lifts the held-out combinations that have a part only rl shows, and hardly those whose
    # every part an sft reference shows (docs/datasets.md, "Splits"). So each held-out one gets such a part.
    taught: list[int] = []
    for index in held:
        sharing = {part: [i for i in rest if part in parts[i]] for part in sorted(parts[index])}
        for part in sorted((p for p in sharing if sharing[p]), key=lambda p: len(sharing[p])):
            needed = [i for i in sharing[part] if i not in taught]
            if len(taught) + len(needed) <= rl_count:
                taught += needed
                break
    rl_picks = taught + [i for i in rest if i not in taught][: rl_count - len(taught)]
    splits = {**dict.fromkeys(held, "heldout"), **dict.fromkeys(rest, "sft"), **dict.fromkeys(rl_picks, "rl")}
    return [splits[index] for index in range(len(variants))]


def _drawn(family: Family, rng: random.Random,
           wanted: int) -> list[tuple[Variant, tuple[TestCase, ...], _Behaviour]]:
    """Up to ``wanted`` variants of distinct keys and distinct functions, with their tests and behaviour. A
    variant whose tests all expect the same value (``x * 4`` then "keep the odd values" leaves none) is left
    out: a constant answer would pass it. So is one that computes what an earlier draw computes ("keep the
    values divisible by 2" after "keep the even values")."""
    seen: set[str] = set()
    found: list[tuple[Variant, tuple[TestCase, ...], _Behaviour]] = []
    for _ in range(wanted * _DRAWS_PER_TEST):
        if len(found) == wanted:
            break
        variant = family.draw(rng)
        if variant.key in seen:
            continue
        seen.add(variant.key)
        behaviour = _Behaviour(variant)
        tests = _tests(variant, behaviour.function, rng)
        if len({repr(test.expected) for test in tests}) < 2:
            continue
        if not any(behaviour.same_as(earlier) for _, _, earlier in found):
            found.append((variant, tests, behaviour))
    return found


class _Behaviour:
    """What a variant's reference computes, to tell two variants that ask for the same function apart from
    two that do not: same parameter and return types, and equal results on each one's edge cases and
    :data:`_PROBES` arguments drawn by each (from a generator seeded by its key, not by the dataset's seed).
    Random arguments cannot prove two functions equal; they show them different where it matters here, on
    the arguments the tests are drawn from."""

    def __init__(self, variant: Variant) -> None:
        signature = variant.signature
        self.types = (tuple(param.type for param in signature.params), signature.returns)
        self.function = reference_function(variant)
        self.variant = variant
        self._probes: list[tuple[Any, ...]] | None = None

    @property
    def probes(self) -> list[tuple[Any, ...]]:
        if self._probes is None:  # drawn only when a variant of the same types is compared
            rng = random.Random(f"probe/{self.variant.key}")
            self._probes = [*self.variant.edge_cases, *(self.variant.arguments(rng) for _ in range(_PROBES))]
        return self._probes

    def same_as(self, other: _Behaviour) -> bool:
        return self.types == other.types and all(
            _result(self.function, arguments) == _result(other.function, arguments)
            for arguments in (*self.probes, *other.probes))


def _result(function: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
    """What ``function`` returns for ``arguments``, or the name of what it raises (as a result to compare)."""
    try:
        return function(*arguments)
    except Exception as error:  # a family's own reference; raising is a result like any other
        return ("raised", type(error).__name__)


def _tests(variant: Variant, function: Callable[..., Any], rng: random.Random) -> tuple[TestCase, ...]:
    """The edge cases and random arguments, distinct, with what the Python reference ``function`` returns for
    each."""
    arguments: list[tuple[Any, ...]] = []
    for edge in variant.edge_cases:
        if edge not in arguments:
            arguments.append(edge)
    for _ in range(TESTS_PER_PROBLEM * _DRAWS_PER_TEST):
        if len(arguments) >= TESTS_PER_PROBLEM:
            break
        drawn = variant.arguments(rng)
        if drawn not in arguments:
            arguments.append(drawn)
    return tuple(TestCase(tuple(to_json(a) for a in args), to_json(function(*args))) for args in arguments)


def reference_function(variant: Variant) -> Callable[..., Any]:
    """The variant's Python reference, executed here: it is code the family wrote, not a model's."""
    namespace: dict[str, Any] = {}
    exec(compile(variant.references["python"], f"<family reference {variant.key}>", "exec"), namespace)
    return namespace[variant.signature.name]
