"""codekiln's language conformance suite, run against the Java backend (and its built-in references)."""

from __future__ import annotations

import pytest

from codekiln.testing import LanguageConformance
from codekiln.verdict import VerdictStatus


def _add(body: str, *, before: str = "") -> str:
    return f"{before}class Solution {{\n    public static long add(long a, long b) {{\n        {body}\n    }}\n}}\n"


class TestJavaConformance(LanguageConformance):
    language = "java"
    fence_tag = "java"
    right = _add("return a + b;")
    wrong = _add("return a - b;")
    syntax_error = _add("return a + ;")
    compile_error = _add("return a + c;")
    runtime_error = _add("return a / (b - b);")
    infinite_loop = _add("while (true) { }")
    parse_bomb = "> x ( " * 2500
    huge_float = "class Solution {\n    public static double half(long x) { return Double.MAX_VALUE * 10; }\n}\n"
    attacks = {
        "exit_zero_at_load": (
            "class Solution {\n    static { System.exit(0); }\n"
            "    public static long add(long a, long b) { return a + b; }\n}\n",
            VerdictStatus.RUNTIME_ERROR,
        ),
        "exit_zero_in_call": (_add("System.exit(0);\n        return 0;"), VerdictStatus.RUNTIME_ERROR),
        "halt_in_call": (_add("Runtime.getRuntime().halt(0);\n        return 0;"), VerdictStatus.RUNTIME_ERROR),
        "print_success": (_add('System.out.println("PASS {\\"value\\":3}");\n        return 0;'),
                          VerdictStatus.WRONG_ANSWER),
        # Rows written straight to fd 1 land among the harness's rows: a forged row is just an answer, and
        # these answers are wrong.
        "forge_rows_on_fd_1": (
            _add("var out = new java.io.FileOutputStream(java.io.FileDescriptor.out);\n"
                 '        try { out.write("{\\"value\\":3}\\n".getBytes()); } catch (java.io.IOException e) { }\n'
                 "        return 0;"),
            VerdictStatus.WRONG_ANSWER,
        ),
        # A forged "done" row ends the results early: the tests not reported are failures.
        "forge_done_row": (
            _add("var out = new java.io.FileOutputStream(java.io.FileDescriptor.out);\n"
                 '        try { out.write("{\\"value\\":3}\\n{\\"done\\":true}\\n".getBytes()); }'
                 " catch (java.io.IOException e) { }\n        return 0;"),
            VerdictStatus.RUNTIME_ERROR,
        ),
        "close_stdout": (_add("System.out.close();\n"
                              "        try { new java.io.FileOutputStream(java.io.FileDescriptor.out).close(); }"
                              " catch (java.io.IOException e) { }\n        return a + b;"),
                         VerdictStatus.RUNTIME_ERROR),
        "shutdown_hook_prints": (
            _add('Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("{\\"value\\":3}")));\n'
                 "        System.exit(0);\n        return 0;"),
            VerdictStatus.RUNTIME_ERROR,
        ),
        "thread_bomb": (
            _add("while (true) {\n            new Thread(() -> {\n                try { Thread.sleep(100_000); }"
                 " catch (InterruptedException e) { }\n            }).start();\n        }"),
            VerdictStatus.RUNTIME_ERROR,
        ),
        "lingering_thread": (_add("new Thread(() -> { while (true) { } }).start();\n        return a + b + 1;"),
                             VerdictStatus.WRONG_ANSWER),
        "daemon_process": (
            _add('try { new ProcessBuilder("setsid", "sleep", "1000").start(); }'
                 " catch (java.io.IOException e) { throw new RuntimeException(e); }\n        return a + b + 1;"),
            VerdictStatus.WRONG_ANSWER,
        ),
        "memory_hog": (_add("long[][] hog = new long[1 << 16][];\n"
                            "        for (int i = 0; i < hog.length; i++) hog[i] = new long[1 << 20];\n"
                            "        return hog.length;"),
                       VerdictStatus.MEMORY_LIMIT),
        "read_the_harness_input": (_add("try { return System.in.read(); }"
                                        " catch (java.io.IOException e) { return -2; }"),
                                   VerdictStatus.WRONG_ANSWER),
    }


@pytest.mark.slow
class TestJavaConformanceCold(TestJavaConformance):
    """The same suite with the warm path off (``verifier.warm.java: false``): one javac and one JVM started per
    sample (the suite above runs warm, the default)."""

    warm = False
