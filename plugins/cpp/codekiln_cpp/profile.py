"""How C++'s tree-sitter tree reads for the quality, constraints and security rewards.

C++ has no single naming convention (the standard library uses snake_case, Google's style PascalCase
functions, many code bases camelCase): functions may be snake_case, camelCase or PascalCase, variables
snake_case or camelCase (or UPPER_CASE constants), types PascalCase or snake_case; only mixtures such as
``get_Value`` fail. A function is documented by a comment holding a word, ending on the line just before it
(or before its ``template`` line). Each ``goto`` is a decision; a lambda called where it is defined
(``[&] { ... }()``) is measured as part of the function around it. Type hints: C++ declares types, except
where ``auto`` asks the compiler to deduce a parameter's type or a return type without a trailing ``-> T``:
each such ``auto`` counts as undeclared. A lambda bound to an ``auto`` variable at file scope (``auto add =
[](int a, int b) { ... };``) is a function as well, documented by the comment before its declaration, its
return type undeclared without a trailing ``-> T``: otherwise a solution would meet ``required_docstring``
and ``type_hints`` by writing lambdas. Security findings: spawning processes (``system``, ``popen``,
``fork``, the ``exec*`` family), raw system calls (``syscall``, inline ``asm`` holding ``syscall``,
``sysenter`` or ``int 0x80``), deleting files (``unlink``, ``rmdir``, one-argument ``remove``,
``filesystem::remove``), loading code (``dlopen``).
"""

from __future__ import annotations

from codekiln.code_profile import CodeProfile, SecurityRule

BRANCHES = """
[(if_statement) (for_statement) (for_range_loop) (while_statement) (do_statement) (catch_clause)
 (conditional_expression)] @branch
(case_statement value: (_)) @branch
(goto_statement) @branch
(binary_expression operator: ["&&" "||" "and" "or"]) @branch
"""

# Declarators wrap names in pointers and references (``int* f()``, ``const T& x``) and qualify them
# (``Foo::bar``): one pattern per combination, because tree-sitter 0.26 mismatches alternations nested
# inside a pattern.
_FUNCTION_NAMES = ("(identifier) @function.name", "(field_identifier) @function.name",
                   "(qualified_identifier name: (identifier) @function.name)")
_WRAPPED = ("{}", "(pointer_declarator declarator: {})", "(reference_declarator {})")

NAMES = "\n".join(
    "(function_definition declarator: " + wrapper.format(f"(function_declarator declarator: {name})") + ")"
    for wrapper in _WRAPPED
    for name in _FUNCTION_NAMES
) + """
(class_specifier name: (type_identifier) @type.name)
(struct_specifier name: (type_identifier) @type.name)
(init_declarator declarator: (identifier) @variable.name)
(declaration declarator: (identifier) @variable.name)
(field_declaration declarator: (field_identifier) @variable.name)
(parameter_declaration declarator: (identifier) @variable.name)
(parameter_declaration declarator: (reference_declarator (identifier) @variable.name))
(parameter_declaration declarator: (pointer_declarator declarator: (identifier) @variable.name))
(for_range_loop declarator: (identifier) @variable.name)
(for_range_loop declarator: (reference_declarator (identifier) @variable.name))
"""

# A trailing return type is a child, not a field, so the query cannot negate it: the declarator's text
# tells instead (a ``)`` followed by ``->`` before any ``(``: ``f(int a) const -> int``).
UNTYPED = """
(parameter_declaration type: (placeholder_type_specifier) @untyped)
(function_definition type: (placeholder_type_specifier) @untyped
  declarator: (function_declarator) @declarator (#not-match? @declarator "[)][^(]*->"))
(translation_unit (declaration type: (placeholder_type_specifier) declarator: (init_declarator
  value: (lambda_expression declarator: (abstract_function_declarator) @untyped (#not-match? @untyped "[)][^(]*->")))))
(translation_unit (declaration type: (placeholder_type_specifier) declarator: (init_declarator
  value: (lambda_expression !declarator) @untyped)))
"""

#: Functions a reader expects documented: every definition, and a lambda bound to a variable at file scope.
FUNCTIONS = """
(function_definition) @function
(translation_unit (declaration declarator: (init_declarator value: (lambda_expression))) @function)
"""

_CALL = '(call_expression function: (identifier) @fn (#match? @fn "^({names})$")) @finding'
_STD_CALL = ('(call_expression function: (qualified_identifier name: (identifier) @fn) '
             '(#match? @fn "^({names})$")) @finding')
# ``(system)("...")``: a parenthesised name is still a direct call (a macro of the same name would not expand).
_PAREN_CALL = ('(call_expression function: (parenthesized_expression (identifier) @fn) '
               '(#match? @fn "^({names})$")) @finding')
# ``(std::system)("...")`` reads as a cast to a type of that name, which no code means.
_PAREN_STD_CALL = ('(cast_expression type: (type_descriptor type: (qualified_identifier name: (type_identifier) '
                   '@fn)) (#match? @fn "^({names})$")) @finding')
_PROCESS = ("system|popen|fork|vfork|execl|execlp|execle|execv|execvp|execvpe|execve|execveat|fexecve"
            "|posix_spawn|posix_spawnp")


def _calls(name: str, severity: str, names: str) -> tuple[SecurityRule, ...]:
    """``names`` called plainly (``system(...)``) and qualified (``std::system(...)``), each also parenthesised."""
    return tuple(SecurityRule(name, severity, pattern.format(names=names))
                 for pattern in (_CALL, _STD_CALL, _PAREN_CALL, _PAREN_STD_CALL))


SECURITY = (
    *_calls("process_spawn", "high", _PROCESS),
    *_calls("syscall", "high", "syscall"),
    SecurityRule("syscall", "high", "(gnu_asm_expression assembly_code: (_) @code "
                                    r'(#match? @code "(?i)syscall|sysenter|\\bint\\W*(0x80|128)\\b")) @finding'),
    *_calls("native_code", "high", "dlopen"),
    *_calls("file_delete", "medium", "unlink|unlinkat|rmdir|remove_all"),
    # ``remove`` with one argument is <cstdio>'s file deletion; ``std::remove(first, last, value)`` is the
    # <algorithm> one, and harmless.
    SecurityRule("file_delete", "medium", '(call_expression function: (identifier) @fn (#eq? @fn "remove") '
                                          "arguments: (argument_list . (_) .)) @finding"),
    SecurityRule("file_delete", "medium", "(call_expression function: (qualified_identifier name: (identifier) "
                                          '@fn) (#eq? @fn "remove") arguments: (argument_list . (_) .)) @finding'),
)

PROFILE = CodeProfile(
    function_types={"function_definition", "lambda_expression"},
    block_types={"compound_statement"},
    comment_types={"comment"},
    branches=BRANCHES,
    names=NAMES,
    functions=FUNCTIONS,
    naming={"function": ("snake_case", "camelCase", "PascalCase"), "variable": ("snake_case", "camelCase",
            "UPPER_CASE"), "type": ("PascalCase", "snake_case")},
    max_line_length=100,
    doc_wrappers={"template_declaration"},
    inlined="(call_expression function: (lambda_expression) @inlined)",
    untyped=UNTYPED,
    static_types=True,
    security=SECURITY,
)
