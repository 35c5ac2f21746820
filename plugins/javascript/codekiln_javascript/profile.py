"""How JavaScript's tree-sitter tree reads for the quality, constraints and security rewards.

Names: functions, methods and variables camelCase (variables may be UPPER_CASE constants), classes
PascalCase. A function (declaration, method, or a ``const``/``let``/``var`` bound to a function) is
documented by a comment ending on the line just before it (``export`` included). JavaScript declares no
types, so the ``type_hints`` constraint does not apply to it. Security findings: spawning processes
(``child_process``), evaluating strings (``eval``, ``new Function``), deleting files (``fs.rm``/``unlink``).
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

_MODULE = '(#match? @module "^[\\"\'](node:)?child_process[\\"\']$")'
_FS_DELETE = '(#match? @method "^(rm|rmSync|rmdir|rmdirSync|unlink|unlinkSync)$")'

SECURITY = (
    SecurityRule("process_spawn", "high", f'(call_expression function: (identifier) @fn (#eq? @fn "require") '
                                          f'arguments: (arguments (string) @module {_MODULE})) @finding'),
    SecurityRule("process_spawn", "high", f"(import_statement source: (string) @module {_MODULE}) @finding"),
    SecurityRule("eval", "high", '(call_expression function: (identifier) @fn (#eq? @fn "eval")) @finding'),
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
    security=SECURITY,
)
