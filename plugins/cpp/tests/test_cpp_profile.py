"""The cpp code profile, read with this plugin's own grammar only: measures and findings by hand."""

from __future__ import annotations

from codekiln.code_profile import CodeAnalysis, CodeAnalyzer, Finding
from codekiln_cpp.backend import CppBackend

CODE = '''#include <cstdlib>

// Count the items above limit.
int count_up(const std::vector<int>& items, int limit) {
    int total = 0;
    for (int item : items) {
        if (item > limit && item < 3) {
            total += 1;
        }
    }
    return total;
}

auto Reset_all(auto path) {
    return std::system(path);
}
'''


def analyzer() -> CodeAnalyzer:
    backend = CppBackend()
    return CodeAnalyzer(backend.code_profile(), backend.tree_sitter_language())


def test_measures_by_hand():
    assert analyzer().analyze(CODE) == CodeAnalysis(
        complexity=4,  # count_up: for, if, &&
        nesting=2,
        longest_function=9,  # count_up, lines 4-12
        lines=14,
        long_lines=0,
        names=7,  # count_up items limit total item Reset_all path
        well_named=6,  # Reset_all mixes conventions
        functions=2,
        documented=1,
        untyped=2,  # the auto parameter and the deduced auto return type
    )


def test_findings_by_hand():
    assert analyzer().findings(CODE) == [Finding("process_spawn", "high", 15)]
    algorithm = "void f(std::vector<int>& v) { v.erase(std::remove(v.begin(), v.end(), 0), v.end()); }\n"
    assert analyzer().findings(algorithm) == []
    assert analyzer().findings('int g() { return remove("x") + syscall(1); }\n') == [
        Finding("file_delete", "medium", 1), Finding("syscall", "high", 1)]
    assert analyzer().findings("int f( {") is None
