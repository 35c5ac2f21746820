"""Families that run a list of integers or a string through steps: filters and maps, then a terminal
that collects, sums, counts or takes the largest.

Every language's reference is the same loop: for each element, each filter may skip it, each map replaces
it, and the terminal accumulates it. A step is an expression over the element (``{v}``) in each language.
Only sign-agnostic integer operations are used (``x % 3 == 0`` holds alike where ``%`` truncates), and
values stay far from any language's integer limits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from codekiln.problem import Param, Signature

from .family import LANGUAGES, Family, Variant

__all__ = ["CHARACTERS", "INTEGERS", "PipelineFamily", "camel_case"]


def camel_case(name: str) -> str:
    """The JavaScript and Java name of a snake_case function (``list_filter`` → ``listFilter``)."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _same(expression: str) -> dict[str, str]:
    return dict.fromkeys(LANGUAGES, expression)


@attrs.frozen
class Step:
    """A filter's predicate or a map's new value: its key, its phrase, its expression per language."""

    key: str
    phrase: str
    code: Mapping[str, str]


@attrs.frozen
class Terminal:
    """What the loop accumulates: per language the lines before the loop, the lines that take one element,
    and the returned expression. ``folds`` counts as a step of the composition."""

    key: str
    phrase: str
    returns: str
    folds: bool
    code: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], str]]


@attrs.frozen
class Elements:
    """What a pipeline runs over: the parameter, its element's name, and the steps that fit its elements."""

    param: str
    type: str
    noun: str
    var: str
    declare: Mapping[str, str]  # language -> the parameter's type
    element: Mapping[str, str]  # language -> the loop variable's type (Python and JavaScript: none)
    iterate: Mapping[str, str]  # language -> what the loop walks
    filters: Callable[[random.Random], tuple[Step, bool]]  # a predicate, and whether it keeps (else removes)
    maps: Callable[[random.Random], Step]
    terminals: Mapping[str, Terminal]
    arguments: Callable[[random.Random], tuple[Any, ...]]
    edge_cases: tuple[tuple[Any, ...], ...]


def _return_type(returns: str) -> dict[str, str]:
    """How Python, Java and C++ declare a terminal's return type (JavaScript declares none)."""
    return {"list[int]": {"python": "list[int]", "java": "List<Long>", "cpp": "std::vector<long long>"},
            "int": {"python": "int", "java": "long", "cpp": "long long"},
            "str": {"python": "str", "java": "String", "cpp": "std::string"}}[returns]


# -- integers ----------------------------------------------------------------------------------------------------


def _int_filter(rng: random.Random) -> tuple[Step, bool]:
    kind = rng.choice(("gt", "lt", "div", "odd", "even"))
    if kind in ("gt", "lt"):
        c = rng.randint(-5, 5)
        sign, word = (">", "greater") if kind == "gt" else ("<", "less")
        return Step(f"{kind}{_key(c)}", f"{word} than {c}", _same(f"{{v}} {sign} {c}")), True
    if kind == "div":
        c = rng.randint(2, 5)
        return Step(f"div{c}", f"divisible by {c}", {**_same(f"{{v}} % {c} == 0"),
                                                    "javascript": f"{{v}} % {c} === 0"}), True
    compare = "!=" if kind == "odd" else "=="
    return Step(kind, kind, {**_same(f"{{v}} % 2 {compare} 0"), "javascript": f"{{v}} % 2 {compare}= 0"}), True


def _int_map(rng: random.Random) -> Step:
    kind = rng.choice(("add", "mul", "neg", "sq", "abs"))
    if kind == "add":
        c = rng.choice([n for n in range(-5, 6) if n])
        phrase = f"add {c} to each value" if c > 0 else f"subtract {-c} from each value"
        return Step(f"add{_key(c)}", phrase, _same(f"{{v}} + {c}" if c > 0 else f"{{v}} - {-c}"))
    if kind == "mul":
        c = rng.randint(2, 4)
        return Step(f"mul{c}", f"multiply each value by {c}", _same(f"{{v}} * {c}"))
    if kind == "neg":
        return Step("neg", "negate each value", _same("-{v}"))
    if kind == "sq":
        return Step("sq", "replace each value by its square", _same("{v} * {v}"))
    return Step("abs", "replace each value by its absolute value",
                {"python": "abs({v})", "javascript": "Math.abs({v})", "java": "Math.abs({v})",
                 "cpp": "std::llabs({v})"})


def _key(c: int) -> str:
    return str(c) if c >= 0 else f"m{-c}"


_COUNT = Terminal("count", "Return how many {noun}s remain.", "int", True, {
    "python": (("result = 0",), ("result += 1",), "result"),
    "javascript": (("let result = 0;",), ("result += 1;",), "result"),
    "java": (("long result = 0;",), ("result += 1;",), "result"),
    "cpp": (("long long result = 0;",), ("result += 1;",), "result"),
})

INTEGERS = Elements(
    param="values", type="list[int]", noun="value", var="x",
    declare={"python": "list[int]", "java": "List<Long>", "cpp": "std::vector<long long>"},
    element={"java": "long", "cpp": "long long"},
    iterate=_same("values"),
    filters=_int_filter, maps=_int_map,
    terminals={
        "list": Terminal("list", "Return the remaining values as a list, in their original order.", "list[int]",
                         False, {
            "python": (("result = []",), ("result.append(x)",), "result"),
            "javascript": (("const result = [];",), ("result.push(x);",), "result"),
            "java": (("List<Long> result = new ArrayList<>();",), ("result.add(x);",), "result"),
            "cpp": (("std::vector<long long> result;",), ("result.push_back(x);",), "result"),
        }),
        "sum": Terminal("sum", "Return the sum of the remaining values (0 when none remain).", "int", True, {
            "python": (("result = 0",), ("result += x",), "result"),
            "javascript": (("let result = 0;",), ("result += x;",), "result"),
            "java": (("long result = 0;",), ("result += x;",), "result"),
            "cpp": (("long long result = 0;",), ("result += x;",), "result"),
        }),
        "count": _COUNT,
        "max": Terminal("max", "Return the largest remaining value (0 when none remain).", "int", True, {
            "python": (("found = False", "result = 0"),
                       ("result = x if not found or x > result else result", "found = True"), "result"),
            "javascript": (("let found = false;", "let result = 0;"),
                           ("if (!found || x > result) result = x;", "found = true;"), "result"),
            "java": (("boolean found = false;", "long result = 0;"),
                     ("if (!found || x > result) result = x;", "found = true;"), "result"),
            "cpp": (("bool found = false;", "long long result = 0;"),
                    ("if (!found || x > result) result = x;", "found = true;"), "result"),
        }),
    },
    arguments=lambda rng: ([rng.randint(-20, 20) for _ in range(rng.randint(1, 8))],),
    edge_cases=(([],), ([0],)),
)


# -- characters ----------------------------------------------------------------------------------------------------

_UNSIGNED = "static_cast<unsigned char>({v})"


def _char_class(low: str, high: str) -> dict[str, str]:
    return {"python": f'"{low}" <= {{v}} <= "{high}"', "javascript": f'{{v}} >= "{low}" && {{v}} <= "{high}"',
            "java": f"{{v}} >= '{low}' && {{v}} <= '{high}'", "cpp": f"{{v}} >= '{low}' && {{v}} <= '{high}'"}


_CHAR_PREDICATES = (
    Step("vowel", "vowels (a, e, i, o or u, in either case)",
         {"python": '{v} in "aeiouAEIOU"', "javascript": '"aeiouAEIOU".includes({v})',
          "java": '"aeiouAEIOU".indexOf({v}) >= 0', "cpp": 'std::string("aeiouAEIOU").find({v}) != std::string::npos'}),
    Step("digit", "digits (0 to 9)", _char_class("0", "9")),
    Step("upper", "upper-case letters (A to Z)", _char_class("A", "Z")),
    Step("lower", "lower-case letters (a to z)", _char_class("a", "z")),
    Step("space", "spaces", {"python": '{v} == " "', "javascript": '{v} === " "', "java": "{v} == ' '",
                             "cpp": "{v} == ' '"}),
)

_CHAR_MAPS = (
    Step("upper", "turn each character into upper case",
         {"python": "{v}.upper()", "javascript": "{v}.toUpperCase()", "java": "Character.toUpperCase({v})",
          "cpp": f"static_cast<char>(std::toupper({_UNSIGNED}))"}),
    Step("lower", "turn each character into lower case",
         {"python": "{v}.lower()", "javascript": "{v}.toLowerCase()", "java": "Character.toLowerCase({v})",
          "cpp": f"static_cast<char>(std::tolower({_UNSIGNED}))"}),
    Step("swap", "swap the case of each letter (upper case becomes lower case and the other way round)",
         {"python": "{v}.swapcase()",
          "javascript": "{v} === {v}.toUpperCase() ? {v}.toLowerCase() : {v}.toUpperCase()",
          "java": "Character.isUpperCase({v}) ? Character.toLowerCase({v}) : Character.toUpperCase({v})",
          "cpp": (f"static_cast<char>(std::isupper({_UNSIGNED}) ? std::tolower({_UNSIGNED})"
                  f" : std::toupper({_UNSIGNED}))")}),
)

#: What random strings are made of: both cases, vowels and consonants, digits, spaces, punctuation (ASCII).
_ALPHABET = "abeiouxyzAEIOUBXZ01579   .,!-"

CHARACTERS = Elements(
    param="text", type="str", noun="character", var="ch",
    declare={"python": "str", "java": "String", "cpp": "std::string"},
    element={"java": "char", "cpp": "char"},
    iterate={**_same("text"), "java": "text.toCharArray()"},
    filters=lambda rng: (rng.choice(_CHAR_PREDICATES), rng.random() < 0.5),
    maps=lambda rng: rng.choice(_CHAR_MAPS),
    terminals={
        "str": Terminal("str", "Return the remaining characters as a string, in their original order.", "str",
                        False, {
            "python": (('result = ""',), ("result += ch",), "result"),
            "javascript": (('let result = "";',), ("result += ch;",), "result"),
            "java": (("StringBuilder result = new StringBuilder();",), ("result.append(ch);",), "result.toString()"),
            "cpp": (("std::string result;",), ("result += ch;",), "result"),
        }),
        "count": _COUNT,
    },
    arguments=lambda rng: ("".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 14))),),
    edge_cases=(("",), ("aB3 x!",)),
)


# -- the family ------------------------------------------------------------------------------------------------------


@attrs.frozen
class PipelineFamily(Family):
    """Steps over ``elements``: ``steps`` names each one (``filter`` or ``map``), and a problem ends with one
    of ``terminals``. Its depth is the number of steps, plus one when the terminal folds (sum, count, max)."""

    name: str
    elements: Elements
    steps: tuple[str, ...]
    terminals: tuple[str, ...]
    tags: tuple[str, ...] = ()

    def draw(self, rng: random.Random) -> Variant:
        chosen: list[tuple[str, Step, bool]] = []
        for kind in self.steps:
            if kind == "filter":
                step, keep = self.elements.filters(rng)
                chosen.append((kind, step, keep))
            else:
                chosen.append((kind, self.elements.maps(rng), True))
        terminal = self.elements.terminals[rng.choice(self.terminals)]
        key = "-".join([(s.key if keep else f"no{s.key}") for _, s, keep in chosen] + [terminal.key])
        return Variant(
            key=key,
            depth=len(self.steps) + terminal.folds,
            signature=Signature(self.name, (Param(self.elements.param, self.elements.type),), terminal.returns),
            description=self._describe(chosen, terminal),
            references={language: self._render(language, chosen, terminal) for language in LANGUAGES},
            arguments=self.elements.arguments,
            edge_cases=self.elements.edge_cases,
        )

    def _describe(self, chosen: Sequence[tuple[str, Step, bool]], terminal: Terminal) -> str:
        elements = self.elements
        what = "a list of integers" if elements.type == "list[int]" else "a string"
        lines = [f"Given {what} `{elements.param}`, apply these steps in order:"]
        for number, (kind, step, keep) in enumerate(chosen, start=1):
            if kind == "map":
                sentence = step.phrase
            elif keep:
                sentence = f"keep only the {elements.noun}s that are {step.phrase}"
            else:
                sentence = f"remove the {elements.noun}s that are {step.phrase}"
            lines.append(f"{number}. {sentence[0].upper()}{sentence[1:]}.")
        lines.append(terminal.phrase.format(noun=elements.noun))
        return "\n".join(lines)

    def _render(self, language: str, chosen: Sequence[tuple[str, Step, bool]], terminal: Terminal) -> str:
        v = self.elements.var
        body = []
        for kind, step, keep in chosen:
            expression = step.code[language].format(v=v)
            body.append(_STATEMENTS[language][kind if kind == "map" else ("keep" if keep else "remove")]
                        .format(v=v, e=expression))
        before, take, result = terminal.code[language]
        return _FUNCTIONS[language](self, terminal, before, [*body, *take], result)


_STATEMENTS = {
    "python": {"keep": "if not ({e}):\n    continue", "remove": "if {e}:\n    continue", "map": "{v} = {e}"},
    "javascript": {"keep": "if (!({e})) continue;", "remove": "if ({e}) continue;", "map": "{v} = {e};"},
    "java": {"keep": "if (!({e})) continue;", "remove": "if ({e}) continue;", "map": "{v} = {e};"},
    "cpp": {"keep": "if (!({e})) continue;", "remove": "if ({e}) continue;", "map": "{v} = {e};"},
}


def _indent(lines: Sequence[str], spaces: int) -> str:
    return "\n".join(" " * spaces + line for text in lines for line in text.split("\n"))


def _python(family: PipelineFamily, terminal: Terminal, before, body, result) -> str:
    e = family.elements
    return (f"def {family.name}({e.param}: {e.declare['python']}) -> {_return_type(terminal.returns)['python']}:\n"
            f"{_indent(before, 4)}\n    for {e.var} in {e.iterate['python']}:\n{_indent(body, 8)}\n"
            f"    return {result}\n")


def _javascript(family: PipelineFamily, terminal: Terminal, before, body, result) -> str:
    e = family.elements
    return (f"function {camel_case(family.name)}({e.param}) {{\n{_indent(before, 2)}\n"
            f"  for (let {e.var} of {e.iterate['javascript']}) {{\n{_indent(body, 4)}\n  }}\n"
            f"  return {result};\n}}\n")


def _java(family: PipelineFamily, terminal: Terminal, before, body, result) -> str:
    e = family.elements
    returns = _return_type(terminal.returns)["java"]
    return (f"import java.util.*;\n\nclass Solution {{\n"
            f"    public static {returns} {camel_case(family.name)}({e.declare['java']} {e.param}) {{\n"
            f"{_indent(before, 8)}\n        for ({e.element['java']} {e.var} : {e.iterate['java']}) {{\n"
            f"{_indent(body, 12)}\n        }}\n        return {result};\n    }}\n}}\n")


def _cpp(family: PipelineFamily, terminal: Terminal, before, body, result) -> str:
    e = family.elements
    returns = _return_type(terminal.returns)["cpp"]
    return ("#include <cctype>\n#include <cstdlib>\n#include <string>\n#include <vector>\n\n"
            f"{returns} {family.name}({e.declare['cpp']} {e.param}) {{\n{_indent(before, 4)}\n"
            f"    for ({e.element['cpp']} {e.var} : {e.iterate['cpp']}) {{\n{_indent(body, 8)}\n    }}\n"
            f"    return {result};\n}}\n")


_FUNCTIONS = {"python": _python, "javascript": _javascript, "java": _java, "cpp": _cpp}
