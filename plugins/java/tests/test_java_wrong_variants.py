"""A wrong variant of every built-in Java reference fails, through the real verifier (namespaces isolation).

Each variant is made generically from the reference text: its ``class Solution`` is renamed, and a new
``class Solution``, declared exactly as the plugin's ``signature_stub`` renders it, calls the original and
returns a value that differs from the reference's in every test. The change is chosen by the declared
return type; :func:`perturber` generates it from the type tree as typed Java helper methods.
"""

from __future__ import annotations

import re

import attrs
import pytest

from codekiln.datasets import load_dataset
from codekiln.plugins import make_plugins
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.typespec import TypeSpec
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln_java import JavaBackend
from codekiln_java.jdk import find_jdk
from codekiln_java.source import camel_case, java_type, signature_harness

pytestmark = pytest.mark.skipif(find_jdk() is None, reason="no JDK installed")

#: What the reference's ``class Solution`` (and every mention of it) is renamed to.
REFERENCE_CLASS = "KilnReference"
#: How the harness calls the answer's method: ``Solution.name(`` (static) or ``new Solution().name(`` (instance).
_HARNESS_CALL = re.compile(r"= (?P<target>Solution|new Solution\(\))\.(?P<entry>\w+)\(")


def default_value(spec: TypeSpec) -> str:
    """A Java expression of exactly ``java_type(spec, boxed=True)`` (or its primitive): never null."""
    name = spec.name
    if name == "int":
        return "0L"
    if name == "float":
        return "0.0"
    if name == "bool":
        return "false"
    if name == "str":
        return '""'
    if name == "optional":  # a present value is a value of the inner type
        return default_value(spec.args[0])
    boxed = java_type(spec, boxed=True)
    if name == "list":
        return f"new ArrayList<{boxed[len('List<'):-1]}>()"
    if name == "dict":
        return f"new LinkedHashMap<{boxed[len('Map<'):-1]}>()"
    if name == "tuple":
        return f"new {boxed}({', '.join(default_value(arg) for arg in spec.args)})"
    raise ValueError(f"no Java value for type {spec}")


def perturber(spec: TypeSpec, methods: dict[str, tuple[str, str]]) -> str:
    """The name of a static method taking and returning ``spec``'s Java type whose result differs from its
    argument for every argument; it and the methods it calls are added to ``methods`` (type -> name, code)."""
    key = str(spec)
    if key in methods:
        return methods[key][0]
    name = f"kilnPerturb{len(methods)}"
    methods[key] = (name, "")  # reserved before the recursion, so that the numbering follows the type tree
    java = java_type(spec)
    kind = spec.name
    if kind == "int":
        body = "return v + 1;"
    elif kind == "float":  # + 1 is lost in the tolerance of a large float, and does not change inf or nan
        body = "return Double.isFinite(v) ? v + Math.max(1.0, Math.abs(v)) : 0.0;"
    elif kind == "bool":
        body = "return !v;"
    elif kind == "str":
        body = 'return v + "!";'
    elif kind == "list":  # one more element
        body = f"{java} c = new ArrayList<>(v);\n        c.add({default_value(spec.args[0])});\n        return c;"
    elif kind == "dict":  # one entry fewer, or one where there were none
        key_value = ", ".join(default_value(arg) for arg in spec.args)
        body = (f"{java} c = new LinkedHashMap<>(v);\n        if (c.isEmpty()) c.put({key_value});\n"
                "        else c.remove(c.keySet().iterator().next());\n        return c;")
    elif kind == "tuple":  # another first item
        body = f"return v.setAt0({perturber(spec.args[0], methods)}(v.getValue0()));"
    elif kind == "optional":  # a value for none, another value for a value
        body = f"return v == null ? {default_value(spec.args[0])} : {perturber(spec.args[0], methods)}(v);"
    else:
        raise ValueError(f"no perturbation for type {spec}")
    methods[key] = (name, f"\n    private static {java} {name}({java} v) {{\n        {body}\n    }}")
    return name


def wrong_variant(problem: Problem) -> str:
    """The problem's Java reference, renamed, behind a ``class Solution`` that changes every result."""
    backend = JavaBackend()
    reference = problem.references["java"]
    solution_java = backend.assemble(reference, problem).text
    call = _HARNESS_CALL.search(signature_harness(solution_java, problem).text)
    assert call is not None, f"{problem.id}: the harness does not call the reference"
    target = REFERENCE_CLASS if call["target"] == "Solution" else f"new {REFERENCE_CLASS}()"
    renamed = re.sub(r"\bSolution\b", REFERENCE_CLASS, reference)
    signature = problem.signature
    args = ", ".join(camel_case(p.name) for p in signature.params)
    methods: dict[str, tuple[str, str]] = {}
    perturb = perturber(signature.return_type(), methods)
    body = [f"        return {perturb}({target}.{call['entry']}({args}));"]
    # The stub: its imports, `class Solution {`, the declaration line, `    }`, `}`.
    stub = backend.signature_stub(problem).splitlines()
    start = stub.index("class Solution {")
    imports, solution = stub[:start], stub[start:]
    solution[2:2] = body
    solution[-1:-1] = [code for _, code in methods.values()]
    return "\n".join([*imports, renamed, *solution, ""])


@pytest.fixture(scope="module")
def verifier():
    with Verifier(make_plugins(), isolation="namespaces", workers=0, cache=False) as v:
        yield v


def test_wrong_variant_of_every_reference_fails(verifier):
    problems = [p for p in load_dataset("builtin", make_plugins(autoload=False).datasets()) if "java" in p.references]
    assert len(problems) == 64
    samples = [Sample(p, wrong_variant(p), "java") for p in problems]
    verdicts = verifier.verify_batch(samples)
    # Every test of every variant fails (the change holds for every value), and only as a wrong answer.
    failed = {s.problem.id: (v.status.value, v.tests_passed, v.diagnostics[:1], v.stderr_tail[-300:])
              for s, v in zip(samples, verdicts) if v.status is not VerdictStatus.WRONG_ANSWER or v.tests_passed}
    assert failed == {}


# Return types the built-in problems do not have (tuples outside optional, floats, bools and optionals
# inside containers, dicts nested, non-finite floats), on problems whose "reference" returns its argument.
_RICH = {
    "tuple[optional[float], str, bool]": ([None, "a", True], [2.5, "", False]),
    "dict[int, list[tuple[str, float]]]": ({"3": [["x", 1.5]], "-1": []}, {}),
    "list[optional[bool]]": ([None, False], []),
    "optional[list[dict[str, optional[int]]]]": ([{"k": None, "j": 2}], None, []),
    "float": (1e300, -0.5, 0.0, float("inf"), float("-inf"), float("nan")),
}


def _identity_problem(type_name: str, values: tuple) -> Problem:
    signature = Signature("same", (Param("value", type_name),), type_name)
    tests = tuple(TestCase((value,), value) for value in values)
    problem = Problem(id=f"same {type_name}", description="", signature=signature, tests=tests)
    declaration = JavaBackend().signature_stub(problem).splitlines()[-3]
    reference = f"class Solution {{\n{declaration}\n        return value;\n    }}\n}}\n"
    return attrs.evolve(problem, references={"java": reference})


def test_wrong_variants_of_rich_return_types_fail(verifier):
    problems = [_identity_problem(type_name, values) for type_name, values in _RICH.items()]
    references = verifier.verify_batch([Sample(p, p.references["java"], "java") for p in problems])
    assert {p.id: v.status for p, v in zip(problems, references)} == {p.id: VerdictStatus.PASSED for p in problems}
    verdicts = verifier.verify_batch([Sample(p, wrong_variant(p), "java") for p in problems])
    statuses = {p.id: (v.status, v.tests_passed) for p, v in zip(problems, verdicts)}
    assert statuses == {p.id: (VerdictStatus.WRONG_ANSWER, 0) for p in problems}
