"""Native benchmark tests (HumanEval-X): the C++ programs of the core relay (:mod:`codekiln.verifier.relay`).

The benchmark's test code holds the expected values and calls the entry function itself, so it runs in a
sandbox of its own, apart from the solution; the core relays the calls. This module writes the two C++
programs from the problem's prompt:

- the *solver*: the prompt and the completion (``solution.cpp``), then a typed wrapper that serves calls,
  linked after :data:`SOLVER_START` (its ``main`` and the ready row, which so run before anything of the
  solution's);
- the *tester*: the prompt with the entry function's body replaced by a proxy, then the benchmark's
  ``test`` code. It is compiled from the problem alone and cached like the harness objects.

Neither program takes the address of the entry function or names it unqualified: both get its type from a
``typedef`` generated from the declaration's own parameter and return types (read with tree-sitter), and the
solver calls it as ``(::name)(args...)``. So a name that is overloaded (``strlen`` beside the C library's),
a std template under ``using namespace std`` (``unique``, ``is_sorted``) or a function-like macro works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from codekiln.problem import NativeTests

__all__ = ["SIGNATURE", "SOLVER_START", "EntryFunction", "entry_function", "solver_source", "tester_source"]

#: The name of the generated typedef of the entry function's type.
SIGNATURE = "kiln_signature"

#: The solver's first object (linked before the solution): the ready row, then ``main`` serving calls.
SOLVER_START = (
    '#define KILN_NATIVE_MAIN\n#include "kiln_native.hpp"\n'
    "int kiln_serve();\n"
    "int main() { return kiln_serve(); }\n"
    '__attribute__((section(".preinit_array"), used)) static void (*kiln_preinit)(int, char**, char**) = '
    "kiln::say_ready;\n"
)

# The tester's start and its assertions: glibc's assert() calls __assert_fail, which the test program defines
# itself, so a failed assertion writes the "failed" verdict with its text.
_TESTER_PRELUDE = (
    '#define KILN_NATIVE_MAIN\n#include "kiln_native.hpp"\n'
    '__attribute__((section(".preinit_array"), used)) static void (*kiln_preinit)(int, char**, char**) = '
    "kiln::start_tester;\n"
    'extern "C" void __assert_fail(const char* assertion, const char*, unsigned line, const char*) noexcept '
    "{ kiln::assertion_failed(assertion, line); }\n"
)

# After the prompt's includes, in both programs: the codecs of types a prompt may bring (boost::any).
_AFTER_PROMPT = '#include "kiln_any.hpp"\n'


@attrs.frozen
class EntryFunction:
    """The function a native prompt leaves open, as tree-sitter read it."""

    #: Its name, as the prompt spells it.
    name: str
    #: ``typedef R kiln_signature(P1, P2);``: its type, parameter names and default values left out.
    typedef: str
    #: Its parameters' names, in order.
    params: tuple[str, ...]
    #: The prompt before the function (its includes, helpers and comments).
    preamble: str
    #: The function's head, up to and including the opening brace of its body.
    opening: str


def entry_function(native: NativeTests, parse: Callable[[bytes], Any]) -> EntryFunction:
    """The function under test: the last function the prompt opens, whose body holds nothing but comments.

    Raises ``ValueError`` when the prompt does not end inside the opening of a (non-template) function.
    """
    data = (native.prompt.rstrip() + "\n}\n").encode("utf-8")
    root = parse(data)
    functions = [node for node in root.children if node.type in ("function_definition", "template_declaration")]
    if root.has_error or not functions:
        raise ValueError("the prompt does not end in the opening of a function")
    function = functions[-1]
    if function.type == "template_declaration":
        raise ValueError("the function under test is a template: its argument types are not known")
    body = function.child_by_field_name("body")
    if any(child.type != "comment" for child in body.named_children):
        raise ValueError("the prompt has more after the opening of the function under test")
    declarator = _function_declarator(function)
    named = declarator.child_by_field_name("declarator")
    cuts = [(named.start_byte, named.end_byte, SIGNATURE.encode())]
    name_node = named
    while name_node.type == "parenthesized_declarator":  # int (name)(...): kept from a function-like macro
        name_node = name_node.named_children[0]
    params = []
    for parameter in declarator.child_by_field_name("parameters").named_children:
        if parameter.type == "comment":
            cuts.append((parameter.start_byte, parameter.end_byte, b""))
            continue
        identifier = _parameter_name(parameter)
        if identifier is None:
            raise ValueError(f"a parameter of the function under test has no name: {parameter.text.decode()!r}")
        params.append(identifier.text.decode("utf-8"))
        cuts.append((identifier.start_byte, identifier.end_byte, b""))
        default = parameter.child_by_field_name("default_value")
        if default is not None:  # "= value", from the end of the declarator
            cuts.append((parameter.child_by_field_name("declarator").end_byte, default.end_byte, b""))
    start = function.child_by_field_name("type").start_byte
    typedef = bytearray(data[start:declarator.end_byte])
    for begin, end, text in sorted(cuts, reverse=True):
        typedef[begin - start:end - start] = text
    return EntryFunction(
        name=name_node.text.decode("utf-8"),
        typedef=f"typedef {bytes(typedef).decode('utf-8')};",
        params=tuple(params),
        preamble=data[: function.start_byte].decode("utf-8"),
        opening=data[function.start_byte: body.start_byte + 1].decode("utf-8"),
    )


def solver_source(entry: EntryFunction) -> str:
    """The solver's translation unit: the solution (prompt and completion), then the typed wrapper.

    Nothing of ours comes before the solution (but the precompiled header, see
    :meth:`codekiln_cpp.backend.CppBackend.compile`): our names cannot collide with those it declares."""
    args = ", ".join(f"a{i}" for i in range(len(entry.params)))
    call = f"[]({', '.join(f'auto& a{i}' for i in range(len(entry.params)))}) {{ return (::{entry.name})({args}); }}"
    return (f'#include "solution.cpp"\n#include "kiln_native.hpp"\n{_AFTER_PROMPT}{entry.typedef}\n'
            f"int kiln_serve() {{ return kiln::serve(static_cast<{SIGNATURE}*>(nullptr), {call}); }}\n")


def tester_source(native: NativeTests, entry: EntryFunction) -> str:
    """The test program: the prompt with a proxy for the entry function, then the benchmark's tests.

    The prompt's helpers (HumanEval-X's ``encode_cyclic``, ``poly``) stay: the tests use the benchmark's
    own versions. The typedef goes right before the function, where the prompt's types are in scope.
    """
    params = "".join(f", {name}" for name in entry.params)
    proxy = f" return kiln::call_remote(static_cast<{SIGNATURE}*>(nullptr){params}); }}\n"
    # #line: an assertion names its line in the benchmark's test code.
    return (f"{_TESTER_PRELUDE}{entry.preamble}{_AFTER_PROMPT}{entry.typedef}\n{entry.opening}{proxy}"
            f"#line 1\n{native.test}\n")


def _function_declarator(function: Any) -> Any:
    declarator = function.child_by_field_name("declarator")
    while declarator.type != "function_declarator":  # through the & and * of the return type
        declarator = declarator.child_by_field_name("declarator")
    return declarator


def _parameter_name(parameter: Any) -> Any:
    node = parameter.child_by_field_name("declarator")
    while node is not None and node.type != "identifier":
        inner = node.child_by_field_name("declarator")
        node = inner if inner is not None else next((c for c in node.named_children if c.type == "identifier"), None)
    return node
