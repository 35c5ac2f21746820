"""A task family of your own: ``wrap`` puts a text between brackets; ``my-families`` generates it beside the
built-in families, with the same options and splits.

Shown in docs/datasets.md. A family draws one parameter combination at a time (a ``Variant``) with its
signature, its description and its reference in Python, JavaScript, Java and C++; the generator computes
the tests' expected values by running the Python reference.
"""

from __future__ import annotations

import random

from codekiln import hookimpl
from codekiln.builtin.datasets.families import BUILTIN_FAMILIES, FamiliesDataset, Family, Variant
from codekiln.problem import Param, Signature

_BRACKETS = {"round": "()", "square": "[]", "angle": "<>", "curly": "{}"}


class WrapFamily(Family):
    """``wrap(text)``: the text between one to three pairs of one kind of bracket.

    >>> variant = WrapFamily().draw(random.Random(0))
    >>> variant.key, variant.description
    ('square2', 'Return `text` wrapped in 2 pairs of square brackets: [[text]].')
    """

    name = "wrap"
    tags = ("string",)

    def draw(self, rng: random.Random) -> Variant:
        kind = rng.choice(sorted(_BRACKETS))
        pairs = rng.randint(1, 3)
        opening, closing = (bracket * pairs for bracket in _BRACKETS[kind])
        wrapped = f'"{opening}" + text + "{closing}"'  # the same expression in all four languages
        return Variant(
            key=f"{kind}{pairs}",
            depth=1,  # one step: the problem's difficulty
            signature=Signature("wrap", (Param("text", "str"),), "str"),
            description=(f"Return `text` wrapped in {pairs} {'pair' if pairs == 1 else 'pairs'} of {kind} brackets: "
                         f"{opening}text{closing}."),
            references={
                "python": f"def wrap(text: str) -> str:\n    return {wrapped}\n",
                "javascript": "function wrap(text) {\n  return " + wrapped + ";\n}\n",
                "java": ("class Solution {\n    public static String wrap(String text) {\n"
                         f"        return {wrapped};\n    }}\n}}\n"),
                "cpp": f"#include <string>\n\nstd::string wrap(std::string text) {{\n    return {wrapped};\n}}\n",
            },
            arguments=lambda rng: ("".join(rng.choice("abc xyz") for _ in range(rng.randint(1, 8))),),
            edge_cases=(("",),),
        )


class MyFamilies(FamiliesDataset):
    """The built-in task families and ``wrap``."""

    name = "my-families"
    families = (*BUILTIN_FAMILIES, WrapFamily())


@hookimpl
def codekiln_register_datasets(registry):
    registry.register(MyFamilies)
