"""The type vocabulary in C++: type names, literals, the prompt stub, and the generated test program.

=================  ======================
vocabulary         C++
=================  ======================
``int``            ``long long``
``float``          ``double``
``bool``           ``bool``
``str``            ``std::string``
``list[T]``        ``std::vector<T>``
``dict[K, V]``     ``std::map<K, V>``
``optional[T]``    ``std::optional<T>``
``tuple[A, ...]``  ``std::tuple<A, ...>``
=================  ======================

A test program is two translation units. ``kiln_entry.cpp`` is the solution (``#include "solution.cpp"``,
so compiler diagnostics name the submitted lines) followed by the headers of the declared types and a
one-line adapter that calls the solution's function with lvalues of the declared types: the solution may
take its parameters by value, by const reference or by reference. ``kiln_harness.cpp`` (see
``kiln_runtime.hpp``) builds each test's arguments from literals, calls the adapter and writes what came
back; it never sees the solution's source.
"""

from __future__ import annotations

import math
from typing import Any

from codekiln.problem import Problem, Signature
from codekiln.typespec import TypeSpec

__all__ = ["ADAPTER", "cpp_literal", "cpp_type", "entry_source", "harness_source", "stub"]

#: The adapter's name: the harness calls it, it calls the solution.
ADAPTER = "kiln_call_solution"

_TEMPLATES = {"list": "std::vector", "dict": "std::map", "optional": "std::optional", "tuple": "std::tuple"}
_SCALARS = {"int": "long long", "float": "double", "bool": "bool", "str": "std::string"}
_LONG_LONG = range(-(2**63), 2**63)


def cpp_type(spec: TypeSpec) -> str:
    """The C++ type of a vocabulary type.

    >>> from codekiln.typespec import parse_type
    >>> cpp_type(parse_type("dict[int, list[optional[tuple[str, float]]]]"))
    'std::map<long long, std::vector<std::optional<std::tuple<std::string, double>>>>'
    """
    if spec.name in _SCALARS:
        return _SCALARS[spec.name]
    return f"{_TEMPLATES[spec.name]}<{', '.join(cpp_type(a) for a in spec.args)}>"


def cpp_literal(value: Any, spec: TypeSpec) -> str:
    """A C++ expression of type ``cpp_type(spec)`` for a Python value of the vocabulary.

    >>> from codekiln.typespec import parse_type
    >>> cpp_literal({2: [("a\\n", 0.5)]}, parse_type("dict[int, list[tuple[str, float]]]"))
    'std::map<long long, std::vector<std::tuple<std::string, double>>>{{2LL, std::vector<std::tuple<std::string, \
double>>{std::tuple<std::string, double>{std::string("a\\\\012", 2), 0.5}}}}'
    """
    name = spec.name
    if name == "int":
        if value not in _LONG_LONG:
            raise ValueError(f"the int {value} does not fit in a C++ long long")
        return "(-9223372036854775807LL - 1)" if value == -(2**63) else f"{value}LL"
    if name == "float":
        value = float(value)
        if math.isnan(value):
            return "std::numeric_limits<double>::quiet_NaN()"
        if math.isinf(value):
            return f"{'-' if value < 0 else ''}std::numeric_limits<double>::infinity()"
        return repr(value)  # the shortest text that reads back as the same double ("1e+20", "0.1", "-0.0")
    if name == "bool":
        return "true" if value else "false"
    if name == "str":
        data = value.encode("utf-8")
        return f'std::string("{_escape(data)}", {len(data)})'
    type_name = cpp_type(spec)
    if name == "optional":
        return f"{type_name}{{}}" if value is None else f"{type_name}{{{cpp_literal(value, spec.args[0])}}}"
    if name == "list":
        return f"{type_name}{{{', '.join(cpp_literal(v, spec.args[0]) for v in value)}}}"
    if name == "tuple":
        return f"{type_name}{{{', '.join(cpp_literal(v, t) for v, t in zip(value, spec.args))}}}"
    key_type, value_type = spec.args
    items = ", ".join(f"{{{cpp_literal(k, key_type)}, {cpp_literal(v, value_type)}}}" for k, v in value.items())
    return f"{type_name}{{{items}}}"


def _escape(data: bytes) -> str:
    """Printable ASCII as itself, every other byte as a three-digit octal escape (never longer, so a digit
    after it cannot be read into it)."""
    return "".join(
        chr(b) if 0x20 <= b < 0x7F and b not in b'"\\?' else f"\\{b:03o}"
        for b in data
    )


def stub(signature: Signature) -> str:
    """The declaration a solution defines, parameters by value: ``R name(T1 p1, T2 p2)``."""
    params = ", ".join(f"{cpp_type(t)} {p.name}" for p, t in zip(signature.params, signature.param_types()))
    return f"{cpp_type(signature.return_type())} {signature.name}({params})"


def _adapter_declaration(signature: Signature) -> str:
    params = ", ".join(f"{cpp_type(t)}& a{i}" for i, t in enumerate(signature.param_types()))
    return f"{cpp_type(signature.return_type())} {ADAPTER}({params})"


def entry_source(signature: Signature) -> str:
    """The solution's translation unit: the solution, then the headers of the declared types and the adapter
    the harness calls. Nothing of ours comes before the solution (but the precompiled header, see
    :meth:`codekiln_cpp.backend.CppBackend.compile`): our names cannot collide with those it declares.

    >>> from codekiln.problem import Param
    >>> print(entry_source(Signature("add", (Param("a", "int"), Param("b", "int")), "int")), end="")
    #include "solution.cpp"
    long long kiln_call_solution(long long& a0, long long& a1) { return ::add(a0, a1); }
    >>> print(entry_source(Signature("f", (Param("xs", "list[str]"),), "optional[int]")), end="")
    #include "solution.cpp"
    #include <optional>
    #include <string>
    #include <vector>
    std::optional<long long> kiln_call_solution(std::vector<std::string>& a0) { return ::f(a0); }
    """
    args = ", ".join(f"a{i}" for i in range(len(signature.params)))
    headers = sorted({header for spec in (*signature.param_types(), signature.return_type())
                      for header in _headers(spec)})
    includes = "".join(f"#include <{header}>\n" for header in headers)
    return (f'#include "solution.cpp"\n{includes}'
            f"{_adapter_declaration(signature)} {{ return ::{signature.name}({args}); }}\n")


def _headers(spec: TypeSpec) -> set[str]:
    """The standard headers that declare the C++ type of ``spec``."""
    own = {"str": {"string"}, "list": {"vector"}, "dict": {"map"}, "optional": {"optional"}, "tuple": {"tuple"}}
    return own.get(spec.name, set()).union(*(_headers(arg) for arg in spec.args))


def harness_source(problem: Problem) -> str:
    """The harness's translation unit: one function per test (arguments, call, result row) and ``main``."""
    signature = problem.signature
    param_types = signature.param_types()
    return_type = cpp_type(signature.return_type())
    args = ", ".join(f"a{i}" for i in range(len(param_types)))
    lines = [
        f"// Generated by codekiln-cpp: calls {signature.name} on each test's arguments of {problem.id}.",
        '#include "kiln_runtime.hpp"',
        "",
        f"{_adapter_declaration(signature)};",
    ]
    for index, test in enumerate(problem.tests):
        lines += ["", f"static void kiln_test_{index}() {{"]
        for number, (value, spec) in enumerate(zip(problem.typed_args(test), param_types)):
            lines.append(f"    {cpp_type(spec)} a{number} = {cpp_literal(value, spec)};")
        lines += [
            "    kiln::Timer timer;",
            f"    {return_type} result = {ADAPTER}({args});",
            "    kiln::send_value(result, timer.seconds());",
            "}",
        ]
    lines += ["", "int main() {", "    kiln::start();"]
    lines += [f"    kiln::run(kiln_test_{index});" for index in range(len(problem.tests))]
    lines += ["    kiln::finish();", "}", ""]
    return "\n".join(lines)
