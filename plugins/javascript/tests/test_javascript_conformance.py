"""codekiln's language conformance suite, run against the JavaScript backend."""

from __future__ import annotations

from codekiln.testing import LanguageConformance
from codekiln.verdict import VerdictStatus


class TestJavaScriptConformance(LanguageConformance):
    language = "javascript"
    fence_tag = "javascript"
    right = "function add(a, b) {\n  return a + b;\n}\n"
    wrong = "function add(a, b) {\n  return a - b;\n}\n"
    syntax_error = "function add(a, b) {\n  return a +;\n}\n"
    # tree-sitter accepts a redeclared parameter; V8 does not.
    compile_error = "function add(a, b) {\n  let a = 0;\n  return a + b;\n}\n"
    runtime_error = "function add(a, b) {\n  return a.missing.field;\n}\n"
    infinite_loop = "function add(a, b) {\n  for (;;) {}\n}\n"
    parse_bomb = ", x => " * 2500
    huge_float = "function half(x) {\n  return 10n ** 400n;\n}\n"
    attacks = {
        "exit_zero_at_load": ("process.exit(0);\n", VerdictStatus.RUNTIME_ERROR),
        "really_exit_zero_in_call": ("function add(a, b) {\n  process.reallyExit(0);\n}\n",
                                     VerdictStatus.RUNTIME_ERROR),
        "print_success": (
            "function add(a, b) {\n  console.log('PASS');\n"
            "  require('fs').writeSync(1, '{\"i\":0,\"value\":3}\\n{\"done\":true}\\n');\n  return 0;\n}\n",
            VerdictStatus.WRONG_ANSWER,
        ),
        # Only plain data crosses: no method of the solution's making runs where results are compared.
        "lying_object": (
            "function add(a, b) {\n  return { valueOf: () => a + b, toJSON: () => a + b };\n}\n",
            VerdictStatus.RUNTIME_ERROR,
        ),
        "class_instance": ("class Yes { equals() { return true; } }\nfunction add(a, b) {\n  return new Yes();\n}\n",
                           VerdictStatus.RUNTIME_ERROR),
        "fork_bomb": (
            "const { spawn } = require('child_process');\nfunction add(a, b) {\n"
            "  for (;;) {\n"
            "    try { spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }); } catch (e) {}\n"
            "  }\n}\n",
            VerdictStatus.TIMEOUT,
        ),
        "detached_child": (
            "const { spawn } = require('child_process');\nfunction add(a, b) {\n"
            "  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' })"
            ".unref();\n  return a + b + 1;\n}\n",
            VerdictStatus.WRONG_ANSWER,
        ),
    }
