"""From a model's Java code and a problem to the two files javac compiles: ``Solution.java`` and the
generated harness ``KilnMain.java``.

Conventions (the prompt stub, :func:`signature_stub`, shows them to the model):

- The solution is ``class Solution`` (``public`` or not) with the function as a method named in camelCase
  (``running_max`` -> ``runningMax``; the snake_case name is accepted too). A ``static`` method is called
  as ``Solution.runningMax(...)``; an instance method, as LeetCode and HumanEval-X write them, on a new
  ``Solution()`` for each test. An answer that is only methods (no class at all) is wrapped in
  ``class Solution { ... }``.
- Types: ``int`` -> ``long``, ``float`` -> ``double``, ``bool`` -> ``boolean``, ``str`` -> ``String``,
  ``list[T]`` -> ``List<T>``, ``dict[K, V]`` -> ``Map<K, V>`` (type arguments boxed: ``List<Long>``),
  ``optional[T]`` -> the boxed type, null for "none" (``Long``, not ``Optional<Long>``), ``tuple[A, B]`` ->
  ``org.javatuples.Pair<A, B>`` (Unit, Pair, Triplet, ... Decade by arity; see :mod:`codekiln_java.tuples`).
  The harness passes arguments and receives the result with exactly these static types, so a method
  declared with other types (``int``, ``int[]``, ``List<Integer>``) is a compile error that names the
  expected declaration. Arguments are mutable (``ArrayList``, ``LinkedHashMap`` in the test's order).
- Imports are optional: Solution.java starts with one added line, ``import java.util.*;`` and the other
  packages of :data:`DEFAULT_IMPORTS`, so an answer that forgot them compiles; its own imports keep
  working. Any ``package`` line is blanked, and ``public`` is blanked from every top-level type other than
  ``Solution`` (an answer with a ``public class Main`` demo still compiles). Blanking replaces characters
  with spaces, so every line and column of the submitted code keeps its number.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs

from codekiln.languages import Source, restated_source
from codekiln.parsing import parse
from codekiln.problem import NativeTests, Problem, Signature
from codekiln.typespec import TypeSpec

from .tuples import TUPLE_CLASSES

__all__ = ["DEFAULT_IMPORTS", "HARNESS_CLASS", "SignatureHarness", "assemble", "assemble_restated", "java_type",
           "signature_harness", "signature_stub"]

DEFAULT_IMPORTS = ("java.util.*", "java.util.function.*", "java.util.stream.*", "java.math.*", "java.io.*",
                   "org.javatuples.*")
#: The generated harness's class and file: a name no answer is likely to declare (``Main`` is).
HARNESS_CLASS = "KilnMain"

_JAVA_KEYWORDS = frozenset({
    "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
    "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
    "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
    "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
    "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null", "_",
})
_TYPE_DECLARATIONS = ("class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                      "annotation_type_declaration")
#: The java.lang types the harness names: imported one by one, so that no class of the answer shadows them.
_HARNESS_LANG_TYPES = ("Boolean", "Double", "Exception", "Long", "Object", "String", "SuppressWarnings", "Throwable")
_SCALARS = {"int": ("long", "Long"), "float": ("double", "Double"), "bool": ("boolean", "Boolean"),
            "str": ("String", "String")}


@attrs.frozen
class SignatureHarness:
    """KilnMain.java for a problem's signature tests, and what its messages need."""

    #: The source of KilnMain.java.
    text: str
    #: The declaration the harness calls, for messages: ``public static long add(long a, long b)``.
    declaration: str
    #: Line of the called method in Solution.java, where the answer declares it.
    entry_line: int | None


# -- names and types ---------------------------------------------------------------------------------------


def camel_case(name: str) -> str:
    """A snake_case name in Java's camelCase, made a legal identifier.

    >>> camel_case("running_max"), camel_case("lis_length"), camel_case("is_2d"), camel_case("default")
    ('runningMax', 'lisLength', 'is2d', 'default_')
    """
    first, *rest = name.split("_") if name.strip("_") else (name,)
    return identifier(first + "".join(part[:1].upper() + part[1:] for part in rest))


def identifier(name: str) -> str:
    """``name`` with ``_`` appended where it is a Java keyword."""
    return name + "_" if name in _JAVA_KEYWORDS else name


def java_type(spec: TypeSpec, *, boxed: bool = False) -> str:
    """The Java type of a vocabulary type: primitive where it may be, unless ``boxed`` (type arguments,
    optional values).

    >>> from codekiln.typespec import parse_type
    >>> java_type(parse_type("dict[int, list[tuple[str, float]]]"))
    'Map<Long, List<Pair<String, Double>>>'
    >>> java_type(parse_type("optional[int]"))
    'Long'
    """
    name = spec.name
    if name in _SCALARS:
        return _SCALARS[name][1 if boxed else 0]
    if name == "optional":
        return java_type(spec.args[0], boxed=True)
    args = ", ".join(java_type(arg, boxed=True) for arg in spec.args)
    return f"{_class_name(spec)}<{args}>"


def _class_name(spec: TypeSpec) -> str:
    if spec.name == "tuple":
        if len(spec.args) > len(TUPLE_CLASSES):
            raise ValueError(f"Java tuples have at most {len(TUPLE_CLASSES)} items, not {len(spec.args)}")
        return TUPLE_CLASSES[len(spec.args) - 1]
    return {"list": "List", "dict": "Map"}[spec.name]


def _imports(spec: TypeSpec) -> set[str]:
    """The single-type imports ``java_type(spec)`` needs (besides java.lang)."""
    found = set().union(*(_imports(arg) for arg in spec.args)) if spec.args else set()
    if spec.name in ("list", "dict"):
        found.add(f"java.util.{_class_name(spec)}")
    elif spec.name == "tuple":
        found.add(f"org.javatuples.{_class_name(spec)}")
    return found


def declaration(signature: Signature, *, static: bool = True) -> str:
    """``public static long add(long a, long b)``."""
    params = ", ".join(f"{java_type(t)} {camel_case(p.name)}"
                       for p, t in zip(signature.params, signature.param_types()))
    modifiers = "public static" if static else "public"
    return f"{modifiers} {java_type(signature.return_type())} {camel_case(signature.name)}({params})"


def signature_stub(problem: Problem) -> str:
    """The class and method a solution must define, as a prompt shows it, with the imports its types need.

    >>> from codekiln.problem import Param
    >>> sig = Signature("sort_records", (Param("records", "list[tuple[str, int]]"),), "list[tuple[str, int]]")
    >>> print(signature_stub(Problem(id="p", description="", signature=sig)))
    import java.util.*;
    import org.javatuples.*;
    <BLANKLINE>
    class Solution {
        public static List<Pair<String, Long>> sortRecords(List<Pair<String, Long>> records) {
        }
    }
    """
    signature = problem.signature
    text = " ".join(str(t) for t in (*signature.param_types(), signature.return_type()))
    imports = [f"import {package};" for package, used in (("java.util.*", re.search(r"\b(list|dict)\[", text)),
                                                        ("org.javatuples.*", "tuple[" in text)) if used]
    lines = [*imports, ""] if imports else []
    return "\n".join([*lines, "class Solution {", f"    {declaration(signature)} {{", "    }", "}"])


# -- Solution.java ---------------------------------------------------------------------------------------------


@functools.cache
def java_parser() -> Any:
    """A tree-sitter parser for Java (one per process)."""
    import tree_sitter
    import tree_sitter_java

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_java.language()))


def assemble(code: str, problem: Problem) -> Source:
    """Solution.java for ``code``: one line of imports added before it, and loose methods wrapped in a
    ``class Solution``."""
    data = bytearray(code.encode("utf-8"))
    root = parse(java_parser().language, bytes(data)).root_node  # budgeted: the answer is untrusted
    solution = None
    imports, loose = [], False
    for node in root.named_children:
        if node.type == "package_declaration":
            _blank(data, node)
        elif node.type == "import_declaration":
            imports.append(node)
        elif node.type in _TYPE_DECLARATIONS:
            if _name(node) == "Solution":
                solution = node
            else:
                for modifier in _modifiers(node):
                    if modifier.type == "public":
                        _blank(data, modifier)
        elif node.type not in ("line_comment", "block_comment"):
            loose = True  # a method, field or statement outside any class
    preamble = [f"import {package};" for package in DEFAULT_IMPORTS]
    wrap = solution is None and loose
    if wrap:
        # The whole answer becomes the body of class Solution, so its imports move up to the first line.
        preamble += [" ".join(node.text.decode("utf-8", "replace").split()) for node in imports]
        preamble.append("class Solution {")
        for node in imports:
            _blank(data, node)
    body = data.decode("utf-8")
    if body and not body.endswith("\n"):
        body += "\n"
    text = " ".join(preamble) + "\n" + body + ("}\n" if wrap else "")
    return Source(text, code_line_offset=1)


def assemble_restated(code: str, native: NativeTests) -> Source | None:
    """Solution.java for a chat answer to a native problem that restates the entry method instead of continuing
    the prompt; None when ``code`` declares no method of that name (a continuation, as the benchmark expects).

    - the prompt's class with the method in it: the prompt's text before the class (its imports), then the code;
    - the method alone (helpers and imports beside it): the prompt's text up to the method, then the code, then
      the ``}`` that closes the class (imports of the code's move up, onto one line of their own).

    The prompt's own helpers (``encodeCyclic``) are kept and a method of the code with a helper's name is
    blanked: the tests call the helpers through the solution, so they must be the benchmark's. In the class
    form they go, on one line, before the class's closing brace. Lines and columns of the code are kept."""
    prompt = (native.prompt.rstrip() + "\n}\n}\n").encode("utf-8")  # the prompt stops inside the entry method
    prompt_class, entry = _entry_method(parse(java_parser().language, prompt).root_node, native.entry_point)
    if entry is None:
        return None
    members = [node for node in prompt_class.child_by_field_name("body").named_children
               if node.end_byte <= entry.start_byte and node.type not in ("line_comment", "block_comment")]
    helpers = {_name(node) for node in members if node.type == "method_declaration"}
    data = bytearray(code.encode("utf-8"))
    root = parse(java_parser().language, bytes(data)).root_node  # budgeted: the answer is untrusted
    code_class, code_entry = _entry_method(root, native.entry_point, _name(prompt_class))
    loose = any(node.type == "method_declaration" and _name(node) == native.entry_point for node in root.named_children)
    if code_entry is None and not loose:
        return None
    if not parse(java_parser().language, native.prompt + code).root_node.has_error:
        return None  # the prompt and the code make a program: the code continues the prompt after all
    if code_entry is not None:
        for method in _methods(code_class):
            if _name(method) in helpers:
                _blank(data, method)
        for node in root.named_children:
            if node.type in _TYPE_DECLARATIONS and _name(node) != "Solution":
                for modifier in _modifiers(node):
                    if modifier.type == "public":  # Solution.java may hold one public class: Solution
                        _blank(data, modifier)
        closing = code_class.child_by_field_name("body").children[-1].start_byte
        data[closing:closing] = "".join(_one_line(node) + " " for node in members).encode("utf-8")
        preamble = prompt[:prompt_class.start_byte].decode("utf-8")
        after = ""
    else:
        imports = []
        for node in root.named_children:
            if node.type == "import_declaration":
                imports.append(" ".join(node.text.decode("utf-8", "replace").split()))
                _blank(data, node)
            elif node.type == "package_declaration" or (node.type == "method_declaration" and _name(node) in helpers):
                _blank(data, node)
        start = prompt_class.start_byte
        head = prompt[:start].decode("utf-8")
        if imports:
            head = (head if head.endswith("\n") or not head else head + "\n") + " ".join(imports) + "\n"
        preamble = head + prompt[start:entry.start_byte].decode("utf-8")
        after = "\n}\n"
    return restated_source(preamble, data.decode("utf-8"), after)


def _entry_method(root: Any, entry: str, class_name: str | None = None) -> tuple[Any, Any]:
    """The top-level class (named ``class_name``, when given) that declares a method named ``entry``, and the
    last such method; (None, None) when there is none."""
    for node in root.named_children:
        if node.type == "class_declaration" and class_name in (None, _name(node)):
            found = [method for method in _methods(node) if _name(method) == entry]
            if found:
                return node, found[-1]
    return None, None


def _methods(type_declaration: Any) -> list[Any]:
    body = type_declaration.child_by_field_name("body")
    return [node for node in body.named_children if node.type == "method_declaration"] if body else []


def _one_line(node: Any) -> str:
    """``node``'s text without its comments, its line breaks made spaces (the prompt's, so no text blocks)."""
    data = bytearray(node.text)
    pending = [node]
    comments = []
    while pending:
        child = pending.pop()
        if child.type in ("line_comment", "block_comment"):
            comments.append((child.start_byte - node.start_byte, child.end_byte - node.start_byte))
        else:
            pending.extend(child.children)
    for start, end in sorted(comments, reverse=True):
        del data[start:end]
    return data.decode("utf-8").replace("\r", " ").replace("\n", " ")


def signature_harness(solution_java: str, problem: Problem) -> SignatureHarness | None:
    """The harness calling the method of Solution.java (``solution_java``, as :func:`assemble` made it) that
    ``problem``'s signature tests call; None for a problem without tests."""
    if problem.signature is None or not problem.tests:
        return None
    root = parse(java_parser().language, solution_java.encode("utf-8")).root_node  # the syntax stage's tree
    solution = next((node for node in root.named_children
                     if node.type in _TYPE_DECLARATIONS and _name(node) == "Solution"), None)
    method = _find_method(solution, problem.signature.name) if solution is not None else None
    entry = _name(method) if method is not None else camel_case(problem.signature.name)
    static = method is None or "static" in {m.type for m in _modifiers(method)}
    return SignatureHarness(harness_source(problem.signature, entry, static), declaration(problem.signature),
                            method.start_point[0] + 1 if method is not None else None)


def _blank(data: bytearray, node: Any) -> None:
    """Spaces over ``node``'s bytes, newlines kept: every other character keeps its line and column."""
    for index in range(node.start_byte, node.end_byte):
        if data[index] not in b"\r\n":
            data[index] = 0x20


def _name(node: Any) -> str | None:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else None


def _modifiers(node: Any) -> list[Any]:
    for child in node.children:
        if child.type == "modifiers":
            return list(child.children)
    return []


def _find_method(container: Any, snake_name: str) -> Any | None:
    """The method the tests call: by its camelCase name, else by the snake_case one; static ones first."""
    body = container if container.type == "program" else container.child_by_field_name("body")
    if body is None:
        return None
    methods = []
    for child in body.named_children:
        if child.type == "enum_body_declarations":
            methods += [c for c in child.named_children if c.type == "method_declaration"]
        elif child.type == "method_declaration":
            methods.append(child)
    for wanted in (camel_case(snake_name), snake_name):
        found = [m for m in methods if _name(m) == wanted]
        found.sort(key=lambda m: "static" not in {c.type for c in _modifiers(m)})
        if found:
            return found[0]
    return None


# -- KilnMain.java ---------------------------------------------------------------------------------------------


def harness_source(signature: Signature, entry: str, static: bool) -> str:
    """The harness: decodes each test's arguments to the parameter types, calls ``entry`` with exactly those
    static types, and hands the result, typed as the return type, to ``kiln.Harness``.

    Every type it names comes from a single-type import, and import declarations resolve their names as
    packages (the answer's types are not in scope there). Qualified names in the code would not be safe:
    an answer declaring a class ``kiln`` or ``java`` would capture ``kiln.Harness`` or ``java.util.List``
    (in Java a type obscures a package of the same name); an answer's class ``Long`` or ``List`` is shadowed
    by the imports.

    >>> from codekiln.problem import Param
    >>> print(harness_source(Signature("add", (Param("a", "int"), Param("b", "int")), "int"), "add", True))
    import java.lang.Boolean;
    import java.lang.Double;
    import java.lang.Exception;
    import java.lang.Long;
    import java.lang.Object;
    import java.lang.String;
    import java.lang.SuppressWarnings;
    import java.lang.Throwable;
    import kiln.Harness;
    <BLANKLINE>
    final class KilnMain {
        private static final String[] PARAMETER_TYPES = {"int", "int"};
    <BLANKLINE>
        @SuppressWarnings("unchecked")
        private static Object call(Object[] a) throws Throwable {
            long result = Solution.add((Long) a[0], (Long) a[1]);
            return result;
        }
    <BLANKLINE>
        public static void main(String[] args) throws Exception {
            Harness.run(PARAMETER_TYPES, KilnMain::call, args);
        }
    }
    <BLANKLINE>
    """
    types = signature.param_types()
    imports = {"kiln.Harness", *(f"java.lang.{name}" for name in _HARNESS_LANG_TYPES)}
    for spec in (*types, signature.return_type()):
        imports |= _imports(spec)
    names = ", ".join(f'"{t}"' for t in types)
    args = ", ".join(f"({java_type(t, boxed=True)}) a[{i}]" for i, t in enumerate(types))
    target = "Solution" if static else "new Solution()"
    import_lines = "".join(f"import {name};\n" for name in sorted(imports))
    return f"""\
{import_lines}
final class {HARNESS_CLASS} {{
    private static final String[] PARAMETER_TYPES = {{{names}}};

    @SuppressWarnings("unchecked")
    private static Object call(Object[] a) throws Throwable {{
        {java_type(signature.return_type())} result = {target}.{entry}({args});
        return result;
    }}

    public static void main(String[] args) throws Exception {{
        Harness.run(PARAMETER_TYPES, {HARNESS_CLASS}::call, args);
    }}
}}
"""
