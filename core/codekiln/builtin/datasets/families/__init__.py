"""``families``: problems generated from parameterised task families, with declared splits.

Named ``families`` or ``families?seed=0&per_family=40&rl=0.4&heldout=0.2&heldout_families=a,b&splits=sft,rl``.
Each family (:mod:`.pipeline`: filters, maps, folds and counts over lists and strings, and their
compositions; :mod:`.arithmetic`) draws parameter combinations; :func:`.family.generate` makes each a
problem with tests computed by its Python reference and references in Python, JavaScript, Java and C++.
A problem's difficulty is its composition depth; its split is the tag ``split:NAME`` (``problem.split``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from codekiln.datasets import DatasetLoader
from codekiln.errors import DataError
from codekiln.problem import Problem

from .arithmetic import AffineFamily, ClampFamily, ScaleFamily, WeightedSumFamily
from .family import LANGUAGES, SPLITS, Family, Generated, Variant, generate, reference_function
from .pipeline import CHARACTERS, INTEGERS, PipelineFamily

__all__ = ["BUILTIN_FAMILIES", "LANGUAGES", "SPLITS", "FamiliesDataset", "Family", "Generated", "PipelineFamily",
           "Variant", "generate", "reference_function"]

#: The built-in families, from one step to five.
BUILTIN_FAMILIES: tuple[Family, ...] = (
    PipelineFamily("list_filter", INTEGERS, ("filter",), ("list",), ("list",)),
    PipelineFamily("list_map", INTEGERS, ("map",), ("list",), ("list",)),
    PipelineFamily("list_count", INTEGERS, ("filter",), ("count",), ("list",)),
    PipelineFamily("list_fold", INTEGERS, ("map",), ("sum", "max"), ("list",)),
    PipelineFamily("list_filter_map", INTEGERS, ("filter", "map"), ("list",), ("list",)),
    PipelineFamily("list_filter_map_fold", INTEGERS, ("filter", "map"), ("sum", "max"), ("list",)),
    PipelineFamily("list_map_filter_map_fold", INTEGERS, ("map", "filter", "map"), ("sum", "count"), ("list",)),
    PipelineFamily("list_chain", INTEGERS, ("map", "filter", "map", "filter"), ("sum", "count", "max"), ("list",)),
    PipelineFamily("str_filter", CHARACTERS, ("filter",), ("str",), ("string",)),
    PipelineFamily("str_map", CHARACTERS, ("map",), ("str",), ("string",)),
    PipelineFamily("str_count", CHARACTERS, ("filter",), ("count",), ("string",)),
    PipelineFamily("str_filter_map", CHARACTERS, ("filter", "map"), ("str",), ("string",)),
    PipelineFamily("str_map_filter_count", CHARACTERS, ("map", "filter"), ("count",), ("string",)),
    ScaleFamily(),
    AffineFamily(),
    ClampFamily(),
    WeightedSumFamily(),
)

#: Whole families held out by default: compositions of steps that the other families teach one by one.
DEFAULT_HELDOUT_FAMILIES = ("list_filter_map_fold", "str_map_filter_count")


class FamiliesDataset(DatasetLoader):
    """Problems generated from task families (lists, strings, arithmetic), split into sft, rl, heldout and
    heldout_families; options: ``families?seed=0&per_family=40``.

    A subclass with its own ``name`` and ``families`` adds families (docs/datasets.md).

    >>> problem = FamiliesDataset(per_family=5, splits="rl").load(None)[0]
    >>> problem.id, problem.difficulty, problem.split, dict(problem.references)
    ('families/list_filter/even-list', 1, 'rl', {})
    >>> print(problem.description)
    Given a list of integers `values`, apply these steps in order:
    1. Keep only the values that are even.
    Return the remaining values as a list, in their original order.
    >>> problem.tests[2]
    TestCase(args=([18, -18, -9],), expected=[18, -18])
    """

    name = "families"
    needs_path = False
    families: ClassVar[Sequence[Family]] = BUILTIN_FAMILIES
    default_heldout_families: ClassVar[Sequence[str]] = DEFAULT_HELDOUT_FAMILIES

    def __init__(self, seed: Any = 0, per_family: Any = 40, rl: Any = 0.4, heldout: Any = 0.2,
                 heldout_families: Any = None, splits: Any = None) -> None:
        super().__init__()
        names = [family.name for family in self.families]
        self.seed = self._integer("seed", seed, low=0)
        self.per_family = self._integer("per_family", per_family, low=1)
        self.rl = self._fraction("rl", rl)
        self.heldout = self._fraction("heldout", heldout)
        if self.rl + self.heldout > 1:
            raise self._error("rl", f"rl ({self.rl:g}) and heldout ({self.heldout:g}) add up to more than 1")
        chosen = self.default_heldout_families if heldout_families is None else _names(heldout_families)
        self.heldout_families = self._known("heldout_families", chosen, names)
        self.splits = self._known("splits", SPLITS if splits is None else _names(splits), SPLITS)

    def generated(self) -> list[Generated]:
        """Every problem with its variant and split (before ``splits`` chooses), for tools and tests."""
        return generate(self.families, seed=self.seed, per_family=self.per_family, rl=self.rl,
                        heldout=self.heldout, heldout_families=self.heldout_families)

    def load(self, path: str | None) -> list[Problem]:
        return [g.problem for g in self.generated() if g.split in self.splits]

    # -- options: given as text in the dataset's name, or as values from Python --------------------------------

    def _error(self, option: str, reason: str) -> DataError:
        return DataError(f"dataset '{self.name}': {option}: {reason}")

    def _integer(self, option: str, value: Any, *, low: int) -> int:
        try:
            number = int(value) if not isinstance(value, bool | float) else None
        except ValueError:
            number = None
        if number is None or number < low:
            raise self._error(option, f"expected an integer of at least {low}, got {value!r}")
        return number

    def _fraction(self, option: str, value: Any) -> float:
        try:
            number = float(value) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not 0 <= number <= 1:
            raise self._error(option, f"expected a fraction between 0 and 1, got {value!r}")
        return number

    def _known(self, option: str, chosen: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise self._error(option, f"unknown {', '.join(map(repr, unknown))}; available: {', '.join(known)}")
        return tuple(chosen)


def _names(value: Any) -> list[str]:
    """``"a,b"`` (from a dataset name) or a list of names (from Python); ``""`` is none."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return [str(name) for name in value]
