"""The javascript code profile, read with this plugin's own grammar only: measures and findings by hand."""

from __future__ import annotations

from codekiln.code_profile import CodeAnalysis, CodeAnalyzer, Finding
from codekiln_javascript.backend import JavaScriptBackend

CODE = '''const fs = require("fs");

// Count the items above limit.
export function countUp(items, limit = 0) {
  let total = 0;
  for (const item of items) {
    if (item > limit && item < 3) {
      total += 1;
    }
  }
  return total;
}

const reset_all = () => fs.rmSync("out", { recursive: true });
'''


def analyzer() -> CodeAnalyzer:
    backend = JavaScriptBackend()
    return CodeAnalyzer(backend.code_profile(), backend.tree_sitter_language())


def test_measures_by_hand():
    assert analyzer().analyze(CODE) == CodeAnalysis(
        complexity=4,  # countUp: for, if, &&
        nesting=2,
        longest_function=9,  # countUp, lines 4-12
        lines=12,
        long_lines=0,
        names=7,  # fs countUp items limit total item reset_all
        well_named=6,  # reset_all is not camelCase
        functions=2,
        documented=1,  # countUp, through its export
        untyped=None,  # JavaScript declares no types
    )


def test_findings_by_hand():
    assert analyzer().findings(CODE) == [Finding("file_delete", "medium", 14)]
    spawn = 'const { exec } = require("node:child_process");\nexec("ls");\neval("1 + 1");\n'
    assert analyzer().findings(spawn) == [Finding("process_spawn", "high", 1), Finding("eval", "high", 3)]
    assert analyzer().findings("function f( {") is None
