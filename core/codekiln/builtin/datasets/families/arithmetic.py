"""Families of integer arithmetic: one expression over the arguments, with constants.

The expression is written once per language; only ``+``, ``-``, ``*`` and max/min appear, which mean the
same in all four, and arguments stay small enough that no language's integers overflow.
"""

from __future__ import annotations

import random

import attrs

from codekiln.problem import Param, Signature

from .family import LANGUAGES, Family, Variant
from .pipeline import camel_case

__all__ = ["AffineFamily", "ClampFamily", "ScaleFamily", "WeightedSumFamily"]

_LIMIT = 1000  # arguments lie in [-_LIMIT, _LIMIT]


def _plus(c: int) -> str:
    """`` + c`` or `` - |c|``: how a constant is added in every language's source."""
    return f" + {c}" if c >= 0 else f" - {-c}"


def _key(c: int) -> str:
    return str(c) if c >= 0 else f"m{-c}"


def _variant(name: str, key: str, depth: int, params: tuple[str, ...], description: str,
             expression: dict[str, str]) -> Variant:
    """A variant whose every reference returns ``expression`` (per language) of integer ``params``."""
    python_params = ", ".join(f"{p}: int" for p in params)
    java_params = ", ".join(f"long {p}" for p in params)
    cpp_params = ", ".join(f"long long {p}" for p in params)
    references = {
        "python": f"def {name}({python_params}) -> int:\n    return {expression['python']}\n",
        "javascript": (f"function {camel_case(name)}({', '.join(params)}) {{\n"
                       f"  return {expression['javascript']};\n}}\n"),
        "java": (f"class Solution {{\n    public static long {camel_case(name)}({java_params}) {{\n"
                 f"        return {expression['java']};\n    }}\n}}\n"),
        "cpp": f"#include <algorithm>\n\nlong long {name}({cpp_params}) {{\n    return {expression['cpp']};\n}}\n",
    }
    return Variant(key=key, depth=depth, signature=Signature(name, tuple(Param(p, "int") for p in params), "int"),
                   description=description, references=references,
                   arguments=lambda rng: tuple(rng.randint(-_LIMIT, _LIMIT) for _ in params),
                   edge_cases=((0,) * len(params),))


@attrs.frozen
class ScaleFamily(Family):
    """``a * k``: one step."""

    name: str = "arith_scale"
    tags: tuple[str, ...] = ("math",)

    def draw(self, rng: random.Random) -> Variant:
        k = rng.choice([n for n in range(-9, 10) if n not in (0, 1)])
        return _variant(self.name, f"mul{_key(k)}", 1, ("a",),
                        f"Given an integer `a`, return `a` multiplied by {k}.", dict.fromkeys(LANGUAGES, f"a * {k}"))


@attrs.frozen
class AffineFamily(Family):
    """``a * k + c``: two steps."""

    name: str = "arith_affine"
    tags: tuple[str, ...] = ("math",)

    def draw(self, rng: random.Random) -> Variant:
        k = rng.choice([n for n in range(-9, 10) if n not in (0, 1)])
        c = rng.choice([n for n in range(-20, 21) if n])
        return _variant(self.name, f"mul{_key(k)}-add{_key(c)}", 2, ("a",),
                        f"Given an integer `a`, multiply it by {k}, then add {c}, and return the result.",
                        dict.fromkeys(LANGUAGES, f"a * {k}{_plus(c)}"))


@attrs.frozen
class ClampFamily(Family):
    """``a`` limited to ``[low, high]``: two steps (a max and a min)."""

    name: str = "arith_clamp"
    tags: tuple[str, ...] = ("math",)

    def draw(self, rng: random.Random) -> Variant:
        low = rng.randint(-50, 0)
        high = rng.randint(1, 50)
        # std::max<long long> fixes the type: a plain literal is an int, and std::max wants both alike.
        expression = {"python": f"min(max(a, {low}), {high})", "javascript": f"Math.min(Math.max(a, {low}), {high})",
                      "java": f"Math.min(Math.max(a, {low}), {high})",
                      "cpp": f"std::min<long long>(std::max<long long>(a, {low}), {high})"}
        variant = _variant(self.name, f"{_key(low)}-{high}", 2, ("a",),
                           f"Given an integer `a`, return it limited to the range from {low} to {high}: {low} when "
                           f"`a` is below {low}, {high} when it is above {high}, and `a` itself otherwise.",
                           expression)
        # Most random arguments lie outside the range: test inside it as often.
        return attrs.evolve(variant, arguments=lambda rng: (rng.randint(low - 60, high + 60),))


@attrs.frozen
class WeightedSumFamily(Family):
    """``a * k1 + b * k2 + c``: three steps over two arguments."""

    name: str = "arith_weighted"
    tags: tuple[str, ...] = ("math",)

    def draw(self, rng: random.Random) -> Variant:
        k1, k2 = (rng.choice([n for n in range(-5, 6) if n]) for _ in range(2))
        c = rng.randint(-9, 9)
        return _variant(self.name, f"{_key(k1)}-{_key(k2)}-{_key(c)}", 3, ("a", "b"),
                        f"Given integers `a` and `b`, return {k1} * `a` + {k2} * `b` + {c}.",
                        dict.fromkeys(LANGUAGES, f"a * {k1} + b * {k2}{_plus(c)}"))
