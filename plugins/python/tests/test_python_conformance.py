"""codekiln's language conformance suite, run against the Python backend."""

from __future__ import annotations

from codekiln.testing import LanguageConformance
from codekiln.verdict import VerdictStatus


class TestPythonConformance(LanguageConformance):
    language = "python"
    fence_tag = "python"
    right = "def add(a, b):\n    return a + b\n"
    wrong = "def add(a, b):\n    return a - b\n"
    syntax_error = "def add(a, b)\n    return a + b\n"
    compile_error = "def add(a, b):\n    return a + b\nreturn 0\n"
    runtime_error = "def add(a, b):\n    return [a][b]\n"
    infinite_loop = "def add(a, b):\n    while True:\n        pass\n"
    parse_bomb = ", not " * 3000
    huge_float = "def half(x):\n    return 10 ** 400\n"
    attacks = {
        "exit_zero_at_import": ("import os\nos._exit(0)\n", VerdictStatus.RUNTIME_ERROR),
        "exit_zero_in_call": ("import sys\ndef add(a, b):\n    sys.exit(0)\n", VerdictStatus.RUNTIME_ERROR),
        "print_success": ("def add(a, b):\n    print('PASS', '{\"value\": 3}')\n    return 0\n",
                          VerdictStatus.WRONG_ANSWER),
        "lying_eq": (
            "class Yes(int):\n    def __eq__(self, other):\n        return True\n"
            "def add(a, b):\n    return Yes(0)\n",
            VerdictStatus.RUNTIME_ERROR,
        ),
        "fork_bomb": ("import os\ndef add(a, b):\n    while True:\n        os.fork()\n", VerdictStatus.RUNTIME_ERROR),
        "daemon_child": (
            "import os, time\ndef add(a, b):\n    if os.fork() == 0:\n        os.setsid()\n"
            "        while True:\n            time.sleep(1)\n    return a + b + 1\n",
            VerdictStatus.WRONG_ANSWER,
        ),
    }
