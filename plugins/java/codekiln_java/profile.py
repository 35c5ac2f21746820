"""How Java's tree-sitter tree reads for the quality, constraints and security rewards.

Names follow the Java conventions: methods and variables camelCase (variables may be UPPER_CASE
constants), types PascalCase; constructors carry their class's name and are not checked. A method or
constructor is documented by a comment (``/** ... */`` or ``//``) holding a word, ending on the line just
before it. Java declares every parameter and return type, so the ``type_hints`` constraint is always met.
Security findings: spawning processes (``exec`` on ``Runtime.getRuntime()`` or on a name declared a
``Runtime`` or bound to ``getRuntime()``, ``new ProcessBuilder``), deleting files (``Files.delete``,
``Files.deleteIfExists``, ``File.delete``/``deleteOnExit`` with no argument), loading native code
(``System.load``/``loadLibrary``, and the same on the ``Runtime``). Class names may be qualified
(``java.lang.ProcessBuilder``).
"""

from __future__ import annotations

from codekiln.code_profile import CodeProfile, SecurityRule

BRANCHES = """
[(if_statement) (for_statement) (enhanced_for_statement) (while_statement) (do_statement) (catch_clause)
 (ternary_expression)] @branch
(switch_label (_)) @branch
(binary_expression operator: ["&&" "||"]) @branch
"""

NAMES = """
(method_declaration name: (identifier) @function.name)
(class_declaration name: (identifier) @type.name)
(interface_declaration name: (identifier) @type.name)
(enum_declaration name: (identifier) @type.name)
(record_declaration name: (identifier) @type.name)
(variable_declarator name: (identifier) @variable.name)
(formal_parameter name: (identifier) @variable.name)
(catch_formal_parameter name: (identifier) @variable.name)
(enhanced_for_statement name: (identifier) @variable.name)
(lambda_expression parameters: (identifier) @variable.name)
"""

_GET_RUNTIME = '(method_invocation name: (identifier) @g (#eq? @g "getRuntime"))'
_RUNTIME_TYPE = '(_) @t (#match? @t "(^|[.])Runtime$")'
# The names that hold the Runtime: declared of its type, or bound to ``getRuntime()``.
_RUNTIMES = f"""
(local_variable_declaration type: {_RUNTIME_TYPE} declarator: (variable_declarator name: (identifier) @name))
(field_declaration type: {_RUNTIME_TYPE} declarator: (variable_declarator name: (identifier) @name))
(formal_parameter type: {_RUNTIME_TYPE} name: (identifier) @name)
(variable_declarator name: (identifier) @name value: {_GET_RUNTIME})
(assignment_expression left: (identifier) @name right: {_GET_RUNTIME})
"""


def _on_runtime(name: str, methods: str) -> tuple[SecurityRule, ...]:
    """Rules named ``name`` for ``methods`` (a regex) called on the Runtime: on ``getRuntime()``'s value, or on
    a name (``rt``, ``this.rt``) that holds it."""
    method = f'name: (identifier) @m (#match? @m "^({methods})$")'
    return (
        SecurityRule(name, "high", f"(method_invocation object: {_GET_RUNTIME} {method}) @finding"),
        SecurityRule(name, "high", f"(method_invocation object: (identifier) @receiver {method}) @finding",
                     receivers=_RUNTIMES),
        SecurityRule(name, "high", "(method_invocation object: (field_access field: (identifier) @receiver) "
                                   f"{method}) @finding", receivers=_RUNTIMES),
    )


SECURITY = (
    *_on_runtime("process_spawn", "exec"),
    SecurityRule("process_spawn", "high", '(object_creation_expression type: (_) @t '
                                          '(#match? @t "(^|[.])ProcessBuilder$")) @finding'),
    # ``Files.delete(path)``, ``Files.deleteIfExists(path)``; ``File``'s ``delete()`` takes no argument, which
    # tells it from ``StringBuilder.delete(start, end)``.
    SecurityRule("file_delete", "medium", '(method_invocation object: (_) @o (#match? @o "(^|[.])Files$") '
                                          'name: (identifier) @m (#match? @m "^(delete|deleteIfExists)$")) '
                                          '@finding'),
    SecurityRule("file_delete", "medium", '(method_invocation name: (identifier) @m '
                                          '(#match? @m "^(delete|deleteOnExit)$") '
                                          'arguments: (argument_list) @a (#eq? @a "()")) @finding'),
    SecurityRule("native_code", "high", '(method_invocation object: (_) @o (#match? @o "(^|[.])System$") '
                                        'name: (identifier) @m (#match? @m "^(load|loadLibrary)$")) @finding'),
    *_on_runtime("native_code", "load|loadLibrary"),
)

PROFILE = CodeProfile(
    function_types={"method_declaration", "constructor_declaration", "lambda_expression"},
    block_types={"block"},
    comment_types={"line_comment", "block_comment"},
    branches=BRANCHES,
    names=NAMES,
    functions="[(method_declaration) (constructor_declaration)] @function",
    naming={"function": ("camelCase",), "variable": ("camelCase", "UPPER_CASE"), "type": ("PascalCase",)},
    max_line_length=100,
    static_types=True,
    security=SECURITY,
)
