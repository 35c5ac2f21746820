"""How JavaScript's tree-sitter tree reads for the quality, constraints and security rewards.

Names: functions, methods and variables camelCase (variables may be UPPER_CASE constants), classes
PascalCase. A function (declaration, method, or a ``const``/``let``/``var`` bound to a function) is
documented by a comment holding a word, ending on the line just before it (``export`` included). A function
called where it is written (``(() => { ... })()``) is measured as part of the function around it. JavaScript
declares no types, so the ``type_hints`` constraint does not apply to it. Security findings: spawning
processes (loading ``child_process``), evaluating strings (``eval``, ``Function``, loading ``vm``), deleting
files (``fs.rm``/``unlink``). A module is loaded by ``require``, ``module.require``, ``import`` or a dynamic
``import()``, its name a string or a template literal without substitutions.
"""

from __future__ import annotations

from codekiln.code_profile import CodeProfile, SecurityRule

BRANCHES = """
[(if_statement) (for_statement) (for_in_statement) (while_statement) (do_statement) (catch_clause)
 (ternary_expression) (switch_case)] @branch
(binary_expression operator: ["&&" "||" "??"]) @branch
"""

# One pattern per function type: in tree-sitter 0.26 an alternation ([...]) nested in a pattern matches
# wrongly (anything, or nothing).
_FUNCTION_VALUES = ("arrow_function", "function_expression", "generator_function")


def _bound_functions(pattern: str) -> str:
    """``pattern`` (with ``{value}`` for a declarator's value) once for each kind of function value."""
    return "\n".join(pattern.format(value=value) for value in _FUNCTION_VALUES)


# ``(function () { ... })()``, ``(() => { ... })()`` and ``(function () { ... }())``.
INLINED = "\n".join(
    f"(call_expression function: (parenthesized_expression ({value}) @inlined))\n"
    f"(call_expression function: ({value}) @inlined)"
    for value in _FUNCTION_VALUES
)

NAMES = """
(function_declaration name: (identifier) @function.name)
(generator_function_declaration name: (identifier) @function.name)
(method_definition name: (property_identifier) @function.name)
(variable_declarator name: (identifier) @variable.name)
(class_declaration name: (identifier) @type.name)
(formal_parameters (identifier) @variable.name)
(assignment_pattern left: (identifier) @variable.name)
(rest_pattern (identifier) @variable.name)
(arrow_function parameter: (identifier) @variable.name)
(catch_clause parameter: (identifier) @variable.name)
(for_in_statement left: (identifier) @variable.name)
""" + _bound_functions("(variable_declarator name: (identifier) @function.name value: ({value}))")

FUNCTIONS = (
    "[(function_declaration) (generator_function_declaration) (method_definition)] @function\n"
    + _bound_functions("(lexical_declaration (variable_declarator value: ({value}))) @function")
    + "\n"
    + _bound_functions("(variable_declaration (variable_declarator value: ({value}))) @function")
)

_FS_DELETE = '(#match? @method "^(rm|rmSync|rmdir|rmdirSync|unlink|unlinkSync)$")'

_LOADERS = ('(identifier) @fn (#eq? @fn "require")',
            '(member_expression object: (identifier) @o (#eq? @o "module") property: (property_identifier) @fn '
            '(#eq? @fn "require"))',
            "(import)")


def _loads(name: str, modules: str) -> tuple[SecurityRule, ...]:
    """Rules named ``name`` for each way of loading one of ``modules`` (a regex), ``node:`` prefixed or not."""
    module = f'(#match? @module "^[\\"\'`](node:)?({modules})[\\"\'`]$")'
    return (
        *(SecurityRule(name, "high", f"(call_expression function: {loader} "
                                     f"arguments: (arguments ({literal}) @module {module})) @finding")
          for loader in _LOADERS for literal in ("string", "template_string")),
        SecurityRule(name, "high", f"(import_statement source: (string) @module {module}) @finding"),
    )


SECURITY = (
    *_loads("process_spawn", "child_process"),
    *_loads("eval", "vm"),
    SecurityRule("eval", "high", '(call_expression function: (identifier) @fn (#match? @fn "^(eval|Function)$")) '
                                 "@finding"),
    SecurityRule("eval", "high", '(new_expression constructor: (identifier) @fn (#eq? @fn "Function")) @finding'),
    SecurityRule("file_delete", "medium", "(call_expression function: (member_expression "
                                          f"property: (property_identifier) @method {_FS_DELETE})) @finding"),
)

PROFILE = CodeProfile(
    function_types={"function_declaration", "generator_function_declaration", "function_expression",
                    "generator_function", "arrow_function", "method_definition"},
    block_types={"statement_block"},
    comment_types={"comment"},
    branches=BRANCHES,
    names=NAMES,
    functions=FUNCTIONS,
    naming={"function": ("camelCase",), "variable": ("camelCase", "UPPER_CASE"), "type": ("PascalCase",)},
    max_line_length=80,
    doc_wrappers={"export_statement"},
    inlined=INLINED,
    security=SECURITY,
)
