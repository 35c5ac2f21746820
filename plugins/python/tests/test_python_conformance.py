"""codekiln's language conformance suite, run against the Python backend."""

from __future__ import annotations

from codekiln.problem import NativeTests
from codekiln.testing import LanguageConformance
from codekiln.verdict import VerdictStatus

#: A wrong answer (it returns 12345) that first writes a forged pass to every descriptor of every other process
#: it can reach: through pidfd_getfd on pidfds of pid 1 and every visible pid, and by reopening /proc/*/fd/*.
FORGED_VERDICT = """    return 12345

import ctypes, glob, os
ROWS = b'{"check":"passed"}\\n{"ready":true}\\n{"value": 4}\\n'
getfd = ctypes.CDLL(None, use_errno=True).syscall
me = {os.getpid(), os.getppid()}
for pid in {1, *(int(p) for p in os.listdir("/proc") if p.isdigit())} - me:
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        continue
    for target in range(64):
        fd = getfd(438, pidfd, target, 0)  # SYS_pidfd_getfd
        if fd >= 0:
            try:
                os.write(fd, ROWS)
            except OSError:
                pass
            os.close(fd)
for path in glob.glob("/proc/[0-9]*/fd/*"):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, ROWS)
        os.close(fd)
    except (OSError, ValueError):
        pass
"""


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
    native_tests = NativeTests(prompt='def double(x):\n    """Return twice x."""\n',
                               test="def check(candidate):\n    assert candidate(2) == 4\n", entry_point="double")
    native_right = "    return 2 * x\n"
    forged_verdict = FORGED_VERDICT
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
