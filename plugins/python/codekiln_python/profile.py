"""How Python's tree-sitter tree reads for the quality, constraints and security rewards.

Names follow PEP 8: functions and variables snake_case (variables may be UPPER_CASE constants), classes
PascalCase. A function is documented by a docstring, the first statement of its body, holding a word. Type
hints: every parameter of a ``def`` except ``self``/``cls``, and its return type, are annotated. A ``lambda``
bound to a name at module level (``add = lambda a, b: a + b``, in parentheses or not) is a function as well
(PEP 8 asks for a ``def``): it can carry no docstring, and declares no types unless the assignment is
annotated (``add: Callable[[int, int], int] = ...``); otherwise a solution would meet ``required_docstring``
and ``type_hints`` by writing lambdas. A lambda called where it is written (``(lambda: ...)()``) is measured
as part of the code around it. Security is Python's own linter, bandit, which the core runs.
"""

from __future__ import annotations

from codekiln.code_profile import CodeProfile

BRANCHES = """
[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause) (conditional_expression)
 (for_in_clause) (if_clause) (case_clause) (boolean_operator)] @branch
"""

NAMES = """
(function_definition name: (identifier) @function.name)
(class_definition name: (identifier) @type.name)
(parameters (identifier) @variable.name)
(lambda_parameters (identifier) @variable.name)
(default_parameter name: (identifier) @variable.name)
(typed_parameter (identifier) @variable.name)
(typed_default_parameter name: (identifier) @variable.name)
(list_splat_pattern (identifier) @variable.name)
(dictionary_splat_pattern (identifier) @variable.name)
(assignment left: (identifier) @variable.name)
(assignment left: (pattern_list (identifier) @variable.name))
(assignment left: (tuple_pattern (identifier) @variable.name))
(for_statement left: (identifier) @variable.name)
(for_statement left: (pattern_list (identifier) @variable.name))
"""

DOCSTRING = "(function_definition body: (block . (expression_statement (string (string_content) @doc)))) @documented"


def _parenthesised_lambda(capture: str) -> str:
    """A lambda inside parentheses, at any depth (comments may sit inside them), captured as ``capture``."""
    return rf'(parenthesized_expression) @{capture} (#match? @{capture} "^(?:[(\\s]|#[^\\n]*\\n)*lambda\\b")'


_NOT_SELF = '(#not-match? @untyped "^(self|cls)$")'
UNTYPED = f"""
(function_definition !return_type) @untyped
(parameters ((identifier) @untyped {_NOT_SELF}))
(parameters (default_parameter name: (identifier) @untyped))
(parameters (list_splat_pattern (identifier) @untyped))
(parameters (dictionary_splat_pattern (identifier) @untyped))
(module (expression_statement (assignment left: (identifier) !type right: (lambda) @untyped)))
(module (expression_statement (assignment left: (identifier) !type right: {_parenthesised_lambda('untyped')})))
"""

#: Functions a reader expects documented: every ``def``, and a lambda bound to a name at module level.
FUNCTIONS = f"""
(function_definition) @function
(module (expression_statement (assignment left: (identifier) right: (lambda)) @function))
(module (expression_statement (assignment left: (identifier) right: {_parenthesised_lambda('value')}) @function))
"""

PROFILE = CodeProfile(
    function_types={"function_definition", "lambda"},
    block_types={"block"},
    comment_types={"comment"},
    branches=BRANCHES,
    names=NAMES,
    functions=FUNCTIONS,
    naming={"function": ("snake_case",), "variable": ("snake_case", "UPPER_CASE"), "type": ("PascalCase",)},
    max_line_length=79,
    docstring=DOCSTRING,
    inlined="(call function: (parenthesized_expression (lambda) @inlined))",
    untyped=UNTYPED,
    security_scanner="bandit",
)
