"""The java code profile, read with this plugin's own grammar only: measures and findings by hand."""

from __future__ import annotations

from codekiln.code_profile import CodeAnalysis, CodeAnalyzer, Finding
from codekiln_java.backend import JavaBackend

CODE = '''import java.nio.file.*;

class Solution {
    static final int MAX_N = 3;

    /** Count the items above limit. */
    static int countUp(int[] items, int limit) {
        int total = 0;
        for (int item : items) {
            if (item > limit && item < MAX_N) {
                total += 1;
            }
        }
        return total;
    }

    void Reset(Path p) throws Exception {
        Files.delete(p);
    }
}
'''


def analyzer() -> CodeAnalyzer:
    backend = JavaBackend()
    return CodeAnalyzer(backend.code_profile(), backend.tree_sitter_language())


def test_measures_by_hand():
    assert analyzer().analyze(CODE) == CodeAnalysis(
        complexity=4,  # countUp: for, if, &&
        nesting=2,
        longest_function=9,  # countUp, lines 7-15
        lines=17,
        long_lines=0,
        names=9,  # Solution MAX_N countUp items limit total item Reset p
        well_named=8,  # Reset is not camelCase
        functions=2,
        documented=1,
        untyped=0,  # Java declares every parameter and return type
    )


def test_findings_by_hand():
    assert analyzer().findings(CODE) == [Finding("file_delete", "medium", 18)]
    spawn = 'class S {\n  void f() throws Exception {\n    Runtime.getRuntime().exec("ls");\n  }\n}\n'
    assert analyzer().findings(spawn) == [Finding("process_spawn", "high", 3)]
    assert analyzer().findings("class {") is None


def test_file_deletion_is_told_from_string_builder_delete():
    code = ('class S {\n  void f(java.io.File f, java.nio.file.Path p) throws Exception {\n'
            '    new StringBuilder("ab").delete(0, 1);\n    f.delete();\n    java.nio.file.Files.deleteIfExists(p);\n'
            '  }\n}\n')
    assert analyzer().findings(code) == [Finding("file_delete", "medium", 4), Finding("file_delete", "medium", 5)]
