"""What a language's tree-sitter tree means for code-quality measures, and the measures themselves.

A language backend describes its grammar in a :class:`CodeProfile` (:meth:`LanguageBackend.code_profile
<codekiln.languages.LanguageBackend.code_profile>`): which node types are functions and blocks, tree-sitter
queries that find branches, declared names, documented functions, missing type hints and dangerous calls.
The core turns a profile into a :class:`CodeAnalyzer` that parses code and measures it the same way for
every language; the ``quality``, ``constraints`` and ``security`` rewards read its results.

Query conventions (every query is an ordinary tree-sitter query over the whole tree):

- ``branches``: ``@branch`` on each node that adds one to cyclomatic complexity.
- ``names``: ``@function.name``, ``@variable.name`` and ``@type.name`` on declared names. A node captured
  under several kinds counts once, as the first of function, type, variable.
- ``functions``: ``@function`` on each function a reader expects documented (named functions, methods, a
  lambda or arrow function bound to a name at the top level); the node a doc comment precedes (a
  declaration wrapping an arrow function, say).
- ``docstring``: ``@documented`` on the functions that carry a docstring inside their body (Python), ``@doc``
  on the docstring's text. When a profile has none, a function is documented when a comment ends on the line
  just before it (or a run of comments, one per line). Either way the documentation must hold a word: an
  empty docstring or a bare ``//`` documents nothing.
- ``inlined``: ``@inlined`` on each function called right where it is defined (an immediately invoked
  lambda). It is measured as part of the function around it, its body a block like any other: otherwise
  wrapping code in such lambdas would split its complexity and nesting into functions of their own.
- ``untyped``: ``@untyped`` on each parameter or return type a function leaves undeclared.
- ``SecurityRule.query``: ``@finding`` on each dangerous construct. With ``SecurityRule.receivers``, only the
  matches whose ``@receiver`` is one of the names that query captures as ``@name`` count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .parsing import UnparsableCode, parse

if TYPE_CHECKING:
    import tree_sitter

__all__ = ["NAMING_STYLES", "CodeAnalysis", "CodeAnalyzer", "CodeProfile", "Finding", "SecurityRule"]

#: Naming conventions a profile may ask for, by name. Leading/trailing ``_`` (and a leading ``$``) are
#: allowed in every style: they mark privacy or dunders, not a convention.
NAMING_STYLES: Mapping[str, re.Pattern[str]] = {
    style: re.compile(rf"[_$]*(?:{body})_*")
    for style, body in {
        "snake_case": r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*",
        "camelCase": r"[a-z][a-zA-Z0-9]*",
        "PascalCase": r"[A-Z][a-zA-Z0-9]*",
        "UPPER_CASE": r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*",
    }.items()
}

_NAME_KINDS = ("function", "type", "variable")
SEVERITIES = ("high", "medium", "low")


@attrs.frozen
class SecurityRule:
    """A dangerous construct: every ``@finding`` capture of ``query`` is one finding named ``name``."""

    name: str
    severity: str = attrs.field(validator=attrs.validators.in_(SEVERITIES))
    query: str
    #: Where the names a dangerous method is called on are declared (``@name``): a ``Runtime rt`` in Java,
    #: whose ``rt.exec(...)`` is a finding where another object's ``exec`` is not.
    receivers: str | None = None


@attrs.frozen
class Finding:
    """One dangerous construct found in code, with its 1-based line."""

    name: str
    severity: str
    line: int


def _styles(value: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    styles = {kind: tuple(names) for kind, names in value.items()}
    for kind, names in styles.items():
        if kind not in _NAME_KINDS:
            raise ValueError(f"naming: unknown name kind '{kind}'; known: {', '.join(_NAME_KINDS)}")
        unknown = [n for n in names if n not in NAMING_STYLES]
        if unknown:
            raise ValueError(f"naming.{kind}: unknown style(s) {unknown}; known: {', '.join(NAMING_STYLES)}")
    return styles


@attrs.frozen
class CodeProfile:
    """How one language's tree-sitter tree is read for quality, constraints and security (see the module
    docstring for the capture names each query uses)."""

    #: Node types that start a new function scope (definitions, methods, lambdas).
    function_types: frozenset[str] = attrs.field(converter=frozenset)
    #: Node types of statement blocks; each block inside a function body adds one level of nesting.
    block_types: frozenset[str] = attrs.field(converter=frozenset)
    comment_types: frozenset[str] = attrs.field(converter=frozenset)
    branches: str
    names: str
    functions: str
    #: Allowed styles (keys of :data:`NAMING_STYLES`) per name kind: "function", "type", "variable".
    naming: Mapping[str, tuple[str, ...]] = attrs.field(converter=_styles)
    max_line_length: int = 100
    docstring: str | None = None
    #: Where a function is called right where it is defined (see the module docstring).
    inlined: str | None = None
    #: Node types a documented function may sit inside, the doc comment preceding them (``export``).
    doc_wrappers: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    #: Where a function leaves a type undeclared; with neither this nor ``static_types``, the language has
    #: no types to check.
    untyped: str | None = None
    #: True when the language makes every signature declare its types (``untyped`` may still find the
    #: exceptions, such as C++ ``auto``).
    static_types: bool = False
    #: "queries" (the ``security`` rules below) or "bandit" (Python's own security linter).
    security_scanner: str = attrs.field(default="queries", validator=attrs.validators.in_(("queries", "bandit")))
    security: tuple[SecurityRule, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class CodeAnalysis:
    """Raw measures of one program (see :meth:`CodeAnalyzer.analyze`)."""

    #: The highest cyclomatic complexity of any function, or of the code outside functions.
    complexity: int
    #: The deepest nesting of blocks inside any function (or outside functions), 0 for straight code.
    nesting: int
    #: Lines spanned by the longest function; None when the code defines none.
    longest_function: int | None
    #: Non-blank lines, and how many of them exceed the profile's ``max_line_length``.
    lines: int
    long_lines: int
    #: Distinct declared (kind, name) pairs, and how many follow the profile's naming convention.
    names: int
    well_named: int
    #: Functions a reader expects documented, and how many are.
    functions: int
    documented: int
    #: Parameters and return types left undeclared; None when the language has nothing to check.
    untyped: int | None


class CodeAnalyzer:
    """A profile bound to its grammar: parses code and measures it. Not picklable (it holds tree-sitter
    objects); build one per process.

    It reads code the verifier has accepted: the code of a verdict that passed the syntax stage, whose
    parse went through the budget of :mod:`codekiln.parsing` (the code rewards read no other). Parse
    anything else with :func:`codekiln.parsing.parse` first."""

    def __init__(self, profile: CodeProfile, language: tree_sitter.Language) -> None:
        import tree_sitter

        self.profile = profile
        self._language = language

        def query(source: str | None) -> tree_sitter.Query | None:
            return tree_sitter.Query(language, source) if source else None

        self._branches = query(profile.branches)
        self._names = query(profile.names)
        self._functions = query(profile.functions)
        self._docstring = query(profile.docstring)
        if self._docstring is not None and "doc" not in map(self._docstring.capture_name,
                                                            range(self._docstring.capture_count)):
            raise ValueError("code profile: the docstring query must capture the docstring's text as @doc")
        self._untyped = query(profile.untyped)
        self._inlined = query(profile.inlined)
        self._security = [(rule, query(rule.query), query(rule.receivers)) for rule in profile.security]

    def parse(self, code: str) -> tree_sitter.Node | None:
        """The root of ``code``'s tree, or None when the code is empty, does not parse, or is not Unicode.
        The tree is shared (:func:`codekiln.parsing.parse`): the rewards that read one program parse it
        once."""
        if not code.strip():
            return None
        try:
            root = parse(self._language, code, budget=None).root_node
        except UnparsableCode:
            return None
        return None if root.has_error else root

    def analyze(self, code: str) -> CodeAnalysis | None:
        """Measure ``code``; None when it is empty or does not parse (its structure would be a guess)."""
        root = self.parse(code)
        if root is None:
            return None
        complexity, nesting, longest = self._scopes(root)
        text_lines = [line.expandtabs(4) for line in code.splitlines() if line.strip()]
        names = self._declared_names(root)
        functions = _captures(self._functions, root, "function")
        return CodeAnalysis(
            complexity=complexity,
            nesting=nesting,
            longest_function=longest,
            lines=len(text_lines),
            long_lines=sum(len(line) > self.profile.max_line_length for line in text_lines),
            names=len(names),
            well_named=sum(self._follows_convention(kind, name) for kind, name in names),
            functions=len(functions),
            documented=sum(self._is_documented(node, root) for node in functions),
            untyped=self._count_untyped(root),
        )

    def findings(self, code: str) -> list[Finding] | None:
        """The profile's security rules' matches in ``code``; None when it is empty or does not parse."""
        root = self.parse(code)
        if root is None:
            return None
        found = [
            Finding(rule.name, rule.severity, node.start_point[0] + 1)
            for rule, query, receivers in self._security
            for node in _findings(query, receivers, root)
        ]
        return sorted(found, key=lambda f: (f.line, f.name))

    # -- measures ------------------------------------------------------------------------------------------

    def _scopes(self, root: tree_sitter.Node) -> tuple[int, int, int | None]:
        """(highest complexity, deepest nesting, longest function) over the function scopes and the code
        outside them. A scope's own body block is level 0; nested functions are scopes of their own, except
        inlined ones, whose body is a block of the scope around them."""
        inlined = {node.id for node in _captures(self._inlined, root, "inlined")}

        def is_scope(node: tree_sitter.Node) -> bool:
            return node.type in self.profile.function_types and node.id not in inlined

        branches_in: dict[int, int] = {}
        for node in _captures(self._branches, root, "branch"):
            scope = _enclosing(node, is_scope) or root
            branches_in[scope.id] = branches_in.get(scope.id, 0) + 1
        complexity = 1 + max(branches_in.values(), default=0)

        nesting = 0
        longest: int | None = None
        pending = [(root, 0)]
        while pending:
            node, depth = pending.pop()
            if is_scope(node):
                depth = 0
                lines = node.end_point[0] - node.start_point[0] + 1
                longest = max(longest or 0, lines)
            elif node.type in self.profile.block_types and not is_scope(node.parent):
                depth += 1
                nesting = max(nesting, depth)
            pending.extend((child, depth) for child in node.named_children)
        return complexity, nesting, longest

    def _count_untyped(self, root: tree_sitter.Node) -> int | None:
        if self._untyped is not None:
            return len(_captures(self._untyped, root, "untyped"))
        return 0 if self.profile.static_types else None

    def function_names(self, root: tree_sitter.Node) -> set[str]:
        """The names of the functions (and methods) ``root``'s tree declares; a tree with errors gives those
        tree-sitter could still read."""
        return {node.text.decode("utf-8") for node in _captures_by_name(self._names, root).get("function.name", ())}

    def _declared_names(self, root: tree_sitter.Node) -> set[tuple[str, str]]:
        kind_of: dict[int, tuple[str, str]] = {}
        captured = _captures_by_name(self._names, root)
        for kind in reversed(_NAME_KINDS):  # later kinds overwrite: function wins over type over variable
            for node in captured.get(f"{kind}.name", ()):
                kind_of[node.id] = (kind, node.text.decode("utf-8"))
        return set(kind_of.values())

    def _follows_convention(self, kind: str, name: str) -> bool:
        styles = self.profile.naming.get(kind)
        if styles is None:  # the profile sets no convention for this kind of name
            return True
        return any(NAMING_STYLES[style].fullmatch(name) for style in styles)

    def _is_documented(self, function: tree_sitter.Node, root: tree_sitter.Node) -> bool:
        if self._docstring is not None:
            import tree_sitter

            return any(
                match["documented"][0].id == function.id and any(_WORD.search(_text(doc)) for doc in match["doc"])
                for _, match in tree_sitter.QueryCursor(self._docstring).matches(function)
            )
        anchor = function
        while anchor.parent is not None and anchor.parent.type in self.profile.doc_wrappers:
            anchor = anchor.parent
        # The comments ending each on the line before the next, up to the function.
        comments = []
        before = anchor.prev_named_sibling
        while (before is not None and before.type in self.profile.comment_types
               and before.end_point[0] >= anchor.start_point[0] - 1):
            comments.append(before)
            anchor, before = before, before.prev_named_sibling
        return any(_WORD.search(_text(comment)) for comment in comments)


#: What documentation must hold: a letter (comment and string delimiters have none).
_WORD = re.compile(r"[^\W\d_]")


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8")


def _enclosing(node: tree_sitter.Node, is_scope: Callable[[tree_sitter.Node], bool]) -> tree_sitter.Node | None:
    parent = node.parent
    while parent is not None and not is_scope(parent):
        parent = parent.parent
    return parent


def _findings(query: tree_sitter.Query, receivers: tree_sitter.Query | None,
              root: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The distinct ``@finding`` nodes of ``query``, where ``receivers`` (if any) declares the ``@receiver``."""
    if receivers is None:
        return _captures(query, root, "finding")
    import tree_sitter

    names = {_text(node) for node in _captures(receivers, root, "name")}
    unique = {
        node.id: node
        for _, match in tree_sitter.QueryCursor(query).matches(root)
        if any(_text(receiver) in names for receiver in match.get("receiver", ()))
        for node in match.get("finding", ())
    }
    return sorted(unique.values(), key=lambda n: n.start_byte)


def _captures_by_name(query: tree_sitter.Query | None, node: tree_sitter.Node) -> dict[str, list]:
    if query is None:
        return {}
    import tree_sitter

    return tree_sitter.QueryCursor(query).captures(node)


def _captures(query: tree_sitter.Query | None, node: tree_sitter.Node, name: str) -> list[tree_sitter.Node]:
    """The distinct nodes captured as ``@name``, in document order."""
    unique = {n.id: n for n in _captures_by_name(query, node).get(name, ())}
    return sorted(unique.values(), key=lambda n: n.start_byte)
