"""The ``families`` dataset: deterministic, split without overlap, expected values right, references passing
in all four languages through the real verifier, difficulty following composition depth, clear errors."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from codekiln.builtin.curricula.ordered import OrderedCurriculum
from codekiln.builtin.datasets.families import (
    BUILTIN_FAMILIES,
    LANGUAGES,
    FamiliesDataset,
    Family,
    PipelineFamily,
    Variant,
    generate,
    reference_function,
)
from codekiln.curricula import Task
from codekiln.datasets import load_dataset
from codekiln.errors import CodekilnError
from codekiln.jsonio import from_json, to_json
from codekiln.plugins import make_plugins
from codekiln.problem import Param, Problem, Signature
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample


@pytest.fixture(scope="module")
def datasets():
    return make_plugins(autoload=False).datasets()


@pytest.fixture(scope="module")
def generated():
    return FamiliesDataset(per_family=20).generated()  # the counts below are for 20 per family


def one_per_family(generated):
    first = {}
    for item in generated:
        first.setdefault(item.family, item)
    return list(first.values())


def test_same_seed_same_problems_other_seed_others(datasets):
    first = load_dataset("families?seed=3", datasets)
    assert load_dataset("families?seed=3", datasets) == first
    assert FamiliesDataset(seed=3).load(None) == first  # options as text or as values: the same
    other = load_dataset("families?seed=4", datasets)
    assert {p.id for p in other} != {p.id for p in first}
    shared = {p.id: p for p in first}.keys() & {p.id for p in other}
    # A combination drawn under both seeds is tested on other arguments.
    assert all(next(p for p in first if p.id == i).tests != next(p for p in other if p.id == i).tests for i in shared)


def test_every_family_generates_graded_distinct_problems(generated):
    assert {item.family for item in generated} == {family.name for family in BUILTIN_FAMILIES}
    assert len({item.problem.id for item in generated}) == len(generated)
    for item in generated:
        problem = item.problem
        assert len(problem.tests) >= 8, problem.id
        assert len({repr(t.expected) for t in problem.tests}) >= 2, f"{problem.id}: a constant would pass"
        assert from_json(Problem, to_json(problem), where=problem.id) == problem  # travels to workers as JSON
    per_family = Counter(item.family for item in generated)
    assert max(per_family.values()) == 20
    assert FamiliesDataset().per_family == 40  # the default run's size (docs/training/learning.md)


def test_splits_are_disjoint_and_only_sft_shows_references(generated):
    splits = Counter(item.split for item in generated)
    assert set(splits) == {"sft", "rl", "heldout", "heldout_families"}
    held_families = {item.family for item in generated if item.split == "heldout_families"}
    assert held_families == {"list_filter_map_fold", "str_map_filter_count"}
    for item in generated:
        assert item.problem.split == item.split
        assert (item.family in held_families) == (item.split == "heldout_families")
        assert set(item.problem.references) == (set(LANGUAGES) if item.split == "sft" else set())
    combinations = Counter((item.family, item.variant.key) for item in generated)
    assert max(combinations.values()) == 1  # no parameter combination in two splits (or twice in one)
    # A held-out combination of a composing family is new, but each of its parts is in training.
    for family in ("list_fold", "list_filter_map", "list_map_filter_map_fold", "list_chain", "str_filter_map",
                   "arith_weighted"):
        items = [item for item in generated if item.family == family]
        trained = {part for item in items if item.split in ("sft", "rl") for part in item.variant.key.split("-")}
        held = [item.variant.key for item in items if item.split == "heldout"]
        # 20% of 20 are held out; one that another family trains is left out (the test below).
        assert len(held) in (3, 4) and all(set(key.split("-")) <= trained for key in held), family
        # ... and has a part that only rl problems show, RL's to teach.
        shown = {part for item in items if item.split == "sft" for part in item.variant.key.split("-")}
        assert all(set(key.split("-")) - shown for key in held), family
    # Per family of the others: 20% held out, 40% for RL, the rest for SFT.
    list_filter = Counter(item.split for item in generated if item.family == "list_filter")
    assert list_filter == {"heldout": 4, "rl": 8, "sft": 8}


class _Measured:
    """A generated problem's reference with its results on 1,000 arguments its variant draws and on its tests:
    to find two problems computing one function apart from the generator's own check."""

    def __init__(self, item, rng):
        self.item, self.function = item, reference_function(item.variant)
        signature = item.problem.signature
        self.types = ([p.type for p in signature.params], signature.returns)
        arguments = [item.variant.arguments(rng) for _ in range(1000)]
        arguments += [item.problem.typed_args(test) for test in item.problem.tests]
        self.results = [(args, self.function(*args)) for args in arguments]

    def same_as(self, other):
        return self.types == other.types and all(
            b.function(*args) == result for a, b in ((self, other), (other, self)) for args, result in a.results)


def test_no_heldout_problem_computes_what_a_trained_one_computes():
    # 38 of 151 did before: list_count's odd-count is list_map_filter_map_fold's abs-odd-sq-count, and
    # str_map_filter_count's lower-digit-count is str_count's digit-count.
    rng = random.Random(0)
    measured = [_Measured(item, rng) for item in FamiliesDataset().generated()]
    trained = [m for m in measured if m.item.split in ("sft", "rl")]
    held = [m for m in measured if m.item.split not in ("sft", "rl")]
    assert not [(h.item.problem.id, t.item.problem.id) for h in held for t in trained if h.same_as(t)]
    # Nor do two problems of one family compute one function (div2-sq-list is even-sq-list).
    assert not [(a.item.problem.id, b.item.problem.id) for i, a in enumerate(measured) for b in measured[i + 1:]
                if a.item.family == b.item.family and a.same_as(b)]
    assert len(held) >= 100  # what is left is still a measure


class _Listed(Family):
    """Draws the variants of ``keys`` in order: a family whose draw order a test chooses. Each key's reference
    adds a number of its own, or the number of the key ``computes`` names for it."""

    def __init__(self, keys, name="listed", computes=None):
        self.keys = iter(keys)
        self.name = name
        self.computes = computes or {}

    def draw(self, rng):
        key = next(self.keys)
        number = int.from_bytes(self.computes.get(key, key).encode())
        return Variant(key=key, depth=1, signature=Signature("f", (Param("a", "int"),), "int"), description=key,
                       references={**dict.fromkeys(LANGUAGES, ""), "python": f"def f(a):\n    return a + {number}\n"},
                       arguments=lambda rng: (rng.randint(-9, 9),))


def test_a_problem_is_what_it_computes_not_its_key():
    def splits(families, **options):
        made = generate(families, seed=0, per_family=4, rl=0, **options)
        return {split: [(g.family, g.variant.key) for g in made if g.split == split]
                for split in ("sft", "heldout", "heldout_families")}

    # A draw that computes what an earlier one of its family computes is left out; the next draw takes its place.
    assert splits([_Listed(["a", "b", "c", "d", "e"], computes={"c": "a"})], heldout=0,
                  heldout_families=())["sft"] == [("listed", key) for key in "abde"]
    # A held-out problem that computes what another family trains is left out: two's p is one's c; one's a,
    # held out, is two's s, trained.
    one, two = ["a", "b", "c", "d"], ["p", "q", "r", "s"]
    computes = {"p": "c", "s": "a"}
    assert splits([_Listed(one, "one"), _Listed(two, "two", computes)], heldout=0.25, heldout_families=()) == {
        "sft": [("one", "b"), ("one", "c"), ("one", "d"), ("two", "q"), ("two", "r"), ("two", "s")],
        "heldout": [], "heldout_families": []}
    # With two held out whole, s is no longer trained, so one's a stays held out; p is still one's trained c.
    assert splits([_Listed(one, "one"), _Listed(two, "two", computes)], heldout=0.25, heldout_families=("two",)) == {
        "sft": [("one", "b"), ("one", "c"), ("one", "d")], "heldout": [("one", "a")],
        "heldout_families": [("two", "q"), ("two", "r"), ("two", "s")]}


def test_heldout_takes_combinations_whose_parts_are_trained():
    def held(keys, heldout):
        made = generate([_Listed(keys)], seed=0, per_family=len(keys), rl=0, heldout=heldout, heldout_families=())
        return [g.variant.key for g in made if g.split == "heldout"]

    # The first draw has parts no other has: held out, it would ask for steps never trained.
    assert held(["c-z", "a-x", "b-y", "a-y", "b-x"], heldout=0.2) == ["a-x"]
    # Holding out b-x after a-x would leave x untrained: b-y is taken instead.
    assert held(["a-x", "b-x", "a-y", "b-y"], heldout=0.5) == ["a-x", "b-y"]
    # Where no combination qualifies, the first ones are held out all the same.
    assert held(["a", "b", "c"], heldout=0.7) == ["a", "b"]


def test_rl_alone_shows_a_part_of_each_heldout_combination():
    def splits(keys, rl):
        made = generate([_Listed(keys)], seed=0, per_family=len(keys), rl=rl, heldout=1 / len(keys),
                        heldout_families=())
        return {split: [g.variant.key for g in made if g.split == split] for split in ("heldout", "rl", "sft")}

    keys = ["a-x", "a-y", "b-x", "b-y", "c-x", "c-y", "a-z", "b-z"]
    # a-x is held out; of its parts, a and x each have two other variants: a (first by name) goes wholly to
    # rl, so no sft reference shows it (drawn order alone would have put a-y and b-x in rl, a-z in sft).
    assert splits(keys, rl=0.25) == {"heldout": ["a-x"], "rl": ["a-y", "a-z"],
                                     "sft": ["b-x", "b-y", "c-x", "c-y", "b-z"]}
    # Where the rl quota cannot take every variant of any part, rl takes the rest in drawn order.
    assert splits(keys, rl=0.125)["rl"] == ["a-y"]
    # The part fewest others share is the one taken: here x (b-x) rather than a (a-y, a-z).
    assert splits(["a-x", "a-y", "b-x", "a-z", "b-y"], rl=0.2)["rl"] == ["b-x"]


def test_splits_option_chooses_splits(datasets):
    rl = load_dataset("families?splits=rl,heldout&per_family=5", datasets)
    assert {p.split for p in rl} == {"rl", "heldout"}
    assert all(not p.references for p in rl)
    everything = load_dataset("families?per_family=5&heldout_families=", datasets)
    assert "heldout_families" not in {p.split for p in everything}


# -- expected values, computed here independently from each problem's key -----------------------------------------

_INT_STEPS = {
    "gt": lambda c: lambda x: x > c, "lt": lambda c: lambda x: x < c, "div": lambda c: lambda x: x % c == 0,
    "add": lambda c: lambda x: x + c, "mul": lambda c: lambda x: x * c,
}
_INT_FIXED = {"odd": lambda x: x % 2 == 1, "even": lambda x: x % 2 == 0, "neg": lambda x: -x,
              "sq": lambda x: x**2, "abs": abs}
_CHAR_PREDICATES = {"vowel": lambda ch: ch.lower() in "aeiou", "digit": str.isdigit,
                    "upper": lambda ch: ch.isupper(), "lower": lambda ch: ch.islower(), "space": str.isspace}
_CHAR_MAPS = {"upper": str.upper, "lower": str.lower, "swap": str.swapcase}


def _int_step(token: str):
    match = re.fullmatch(r"([a-z]+?)(m?)(\d+)", token)
    if match is None:
        return _INT_FIXED[token]
    name, minus, digits = match.groups()
    return _INT_STEPS[name](-int(digits) if minus else int(digits))


def _pipeline_oracle(family: PipelineFamily, key: str):
    *tokens, terminal = key.split("-")
    steps = []
    for kind, token in zip(family.steps, tokens):
        if family.elements.param == "values":
            steps.append((kind, True, _int_step(token)))
        elif kind == "map":
            steps.append((kind, True, _CHAR_MAPS[token]))
        else:
            keep = not token.startswith("no")
            steps.append((kind, keep, _CHAR_PREDICATES[token.removeprefix("no")]))

    def run(values):
        kept = []
        for value in values:
            for kind, keep, step in steps:
                if kind == "map":
                    value = step(value)
                elif step(value) != keep:
                    break
            else:
                kept.append(value)
        finish = {"list": list, "str": "".join, "sum": sum, "count": len, "max": lambda v: max(v, default=0)}
        return finish[terminal](kept)

    return run


def _arithmetic_oracle(name: str, key: str):
    numbers = [-int(t[1:]) if t.startswith("m") else int(t) for t in re.findall(r"m?\d+", key)]
    return {"arith_scale": lambda a: a * numbers[0],
            "arith_affine": lambda a: a * numbers[0] + numbers[1],
            "arith_clamp": lambda a: min(max(a, numbers[0]), numbers[1]),
            "arith_weighted": lambda a, b: a * numbers[0] + b * numbers[1] + numbers[2]}[name]


def test_expected_values_are_what_the_problem_asks(generated):
    families = {family.name: family for family in BUILTIN_FAMILIES}
    for item in generated:
        family = families[item.family]
        oracle = (_pipeline_oracle(family, item.variant.key) if isinstance(family, PipelineFamily)
                  else _arithmetic_oracle(family.name, item.variant.key))
        for test in item.problem.tests:
            assert oracle(*item.problem.typed_args(test)) == item.problem.typed_expected(test), item.problem.id


def test_difficulty_follows_composition_depth(generated):
    for item in generated:
        problem = item.problem
        if problem.signature.params[0].name in ("values", "text"):
            steps = len(re.findall(r"^\d+\. ", problem.description, re.MULTILINE))
            folds = problem.signature.returns == "int"  # sum, count, max: a step of its own
            assert problem.difficulty == steps + folds, problem.id
    assert {item.problem.difficulty for item in generated} == {1, 2, 3, 4, 5}
    # The ordered curriculum has something to schedule: it starts on depth 1 only.
    tasks = [Task(item.problem, "python") for item in generated if item.split in ("sft", "rl")]
    first = OrderedCurriculum(tasks, seed=0).select(64)
    assert {task.problem.difficulty for task in first} == {1}


@pytest.mark.parametrize(("spec", "message"), [
    ("families?per_family=0", r"dataset 'families': per_family: expected an integer of at least 1, got '0'"),
    ("families?seed=one", r"dataset 'families': seed: expected an integer of at least 0, got 'one'"),
    ("families?rl=1.5", r"dataset 'families': rl: expected a fraction between 0 and 1, got '1.5'"),
    ("families?rl=0.7&heldout=0.5", r"dataset 'families': rl: rl \(0.7\) and heldout \(0.5\) add up to more than 1"),
    ("families?heldout_families=list_filter,nope", r"dataset 'families': heldout_families: unknown 'nope'; "
                                                    r"available: list_filter, list_map, "),
    ("families?splits=train", r"dataset 'families': splits: unknown 'train'; available: sft, rl, heldout, "
                              r"heldout_families$"),
    ("families?colour=red", r"dataset 'families': bad parameters \['colour'\]"),
    ("builtin?seed=1", r"dataset 'builtin': bad parameters \['seed'\]"),
])
def test_bad_options_give_one_clear_line(datasets, spec, message):
    with pytest.raises(CodekilnError, match=f"^{message}") as caught:
        load_dataset(spec, datasets)
    assert "\n" not in str(caught.value)


# -- through the real verifier ----------------------------------------------------------------------------------------


def _step_kinds(item) -> set[tuple[str, ...]]:
    """What rendering paths a problem takes: each step kind and operation, constants left out (``gt3`` and
    ``gtm2`` render alike), per kind of element."""
    family = next(f for f in BUILTIN_FAMILIES if f.name == item.family)
    if not isinstance(family, PipelineFamily):
        return {(family.name,)}
    return {(family.elements.type, kind, re.sub(r"m?\d+$", "", token))
            for kind, token in zip([*family.steps, "end"], item.variant.key.split("-"))}


def covering_sample(generated):
    """One problem of each family, and more until every step of every kind appears in one."""
    chosen = one_per_family(generated)
    covered = set().union(*map(_step_kinds, chosen))
    for item in generated:
        if not _step_kinds(item) <= covered:
            chosen.append(item)
            covered |= _step_kinds(item)
    return chosen


def test_references_pass_in_every_language(verifier, generated):
    chosen = covering_sample(generated)
    every_kind = set().union(*map(_step_kinds, generated))
    assert set().union(*map(_step_kinds, chosen)) == every_kind and len(every_kind) >= 30
    samples = [Sample(item.problem, item.variant.references[language], language)
               for item in chosen for language in LANGUAGES]
    verdicts = verifier.verify_batch(samples)
    failures = {(s.problem.id, s.language): v.status for s, v in zip(samples, verdicts) if not v.passed}
    assert failures == {}
    assert all(v.tests_passed == v.tests_total == len(s.problem.tests) for s, v in zip(samples, verdicts))


def _wrong_sibling(item, generated):
    """Another combination of the same family whose reference answers at least one of ``item``'s tests wrongly."""
    problem = item.problem
    for other in generated:
        if other.family != item.family or other.variant.key == item.variant.key:
            continue
        function = reference_function(other.variant)
        if any(to_json(function(*problem.typed_args(t))) != t.expected for t in problem.tests):
            return other.variant
    raise AssertionError(f"{problem.id}: no sibling answers differently")


def test_a_wrong_variant_fails(verifier, generated):
    """Every family in Python; one list, string and arithmetic family in the other languages (their compile
    steps are the slow part)."""
    chosen = one_per_family(generated)
    samples = [Sample(item.problem, _wrong_sibling(item, generated).references["python"], "python") for item in chosen]
    samples += [Sample(item.problem, _wrong_sibling(item, generated).references[language], language)
                for item in chosen if item.family in ("list_chain", "str_filter_map", "arith_weighted")
                for language in LANGUAGES if language != "python"]
    verdicts = verifier.verify_batch(samples)
    statuses = {(s.problem.id, s.language): v.status for s, v in zip(samples, verdicts)}
    assert {k: s for k, s in statuses.items() if s is not VerdictStatus.WRONG_ANSWER} == {}
    assert len(samples) == len(BUILTIN_FAMILIES) + 9
