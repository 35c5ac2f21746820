"""The python code profile, read with this plugin's own grammar only: measures and findings by hand."""

from __future__ import annotations

import attrs
import pytest

from codekiln.code_profile import CodeAnalysis, CodeAnalyzer
from codekiln_python.backend import PythonBackend

CODE = '''import subprocess

MAX_N = 3


class Counter:
    def count_up(self, items: list, limit: int = 0) -> int:
        """Count the items above limit."""
        total = 0
        for item in items:
            if item > limit and item < MAX_N:
                total += 1
        return total

    def Reset(self):
        self.total = 0
'''


def analyzer() -> CodeAnalyzer:
    backend = PythonBackend()
    return CodeAnalyzer(backend.code_profile(), backend.tree_sitter_language())


def test_measures_by_hand():
    assert analyzer().analyze(CODE) == CodeAnalysis(
        complexity=4,  # count_up: for, if, and
        nesting=2,  # the for block, then the if block
        longest_function=7,  # count_up
        lines=12,
        long_lines=0,
        names=9,  # MAX_N Counter count_up self items limit total item Reset
        well_named=8,  # Reset is not snake_case
        functions=2,
        documented=1,
        untyped=1,  # Reset's return type
    )


def test_code_that_does_not_parse_is_not_measured():
    assert analyzer().analyze("def f(:\n") is None
    assert analyzer().analyze("  \n") is None


def test_security_is_left_to_bandit():
    assert PythonBackend().code_profile().security_scanner == "bandit"
    assert analyzer().findings(CODE) == []


def test_documentation_must_hold_a_word():
    empty = 'def f():\n    ""\n\n\ndef g():\n    """ -- """\n\n\ndef h():\n    r"""Ünïcode."""\n'
    analysis = analyzer().analyze(empty)
    assert (analysis.functions, analysis.documented) == (3, 1)  # h only


def test_a_docstring_query_must_capture_the_text():
    backend = PythonBackend()
    profile = attrs.evolve(backend.code_profile(), docstring="(function_definition) @documented")
    with pytest.raises(ValueError, match="the docstring query must capture the docstring's text as @doc"):
        CodeAnalyzer(profile, backend.tree_sitter_language())
