"""Forged verdict rows in native benchmark tests (issue 11, part 1), in Python, JavaScript and Java.

The class: a wrong answer (``return 12345``) that reaches a descriptor, a process or a file a result row
travels on, and writes a forged pass there. Seen before the relay: ``pidfd_open(1)`` and ``pidfd_getfd``
on the sandbox's pid-1 wrapper copied its stdout, and a forged ``{"check": "passed"}`` was the first
verdict row. Each attack here tries every way in at once, on every process it can see:

- ``pidfd_open`` on every pid, then ``pidfd_getfd`` of each of its first 64 descriptors (a Python helper,
  run as a subprocess from JavaScript and Java, which have no such call);
- ``/proc/*/fd/*`` reopened for writing;

and writes verdict rows, ready rows and answers on everything it got. Since native tests run through the
core's relay (:mod:`codekiln.verifier.relay`), the verdict travels on the tester's channel, in another
sandbox under another uid and pid namespace: none of it is in reach. The run must end not passed and not
masked: ``wrong_answer`` where the forgery reached nothing, ``runtime_error`` where it reached only the
solution's own answer channel (its answers are then malformed, still the code's failure). No process may
be left, and the same verifier must pass a right answer afterwards.
"""

from __future__ import annotations

import json

import pytest
from attack_support import assert_no_leftovers, new_marker

from codekiln.problem import NativeTests, Problem
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Verifier

FORGED = '{"check":"passed"}\\n{"check": "passed", "message": null}\\n{"ready":true}\\n{"value": 4}\\nPASS\\n'

#: The pidfd attack, as Python. It skips its own process: writing to its own answer channel is
#: ``native_forge_channel`` in test_attacks.py.
PIDFD = f"""
import ctypes, glob, os
ROWS = b'{FORGED}'
syscall = ctypes.CDLL(None, use_errno=True).syscall
SYS_PIDFD_GETFD = 438  # the same number on every architecture
def forge(fd):
    try:
        os.write(fd, ROWS)
    except OSError:
        pass
me = {{os.getpid(), os.getppid()}}
for pid in {{1, *(int(p) for p in os.listdir("/proc") if p.isdigit())}} - me:
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        continue
    for target in range(64):
        fd = syscall(SYS_PIDFD_GETFD, pidfd, target, 0)
        if fd >= 0:
            forge(fd)
            os.close(fd)
    os.close(pidfd)
for path in glob.glob("/proc/[0-9]*/fd/*"):
    if int(path.split("/")[2]) in me:
        continue
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        continue
    forge(fd)
    os.close(fd)
"""

PYTHON = NativeTests(
    prompt='def double(x):\n    """Return twice x."""\n',
    test="def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-3) == -6\n",
    entry_point="double",
)
JAVASCRIPT = NativeTests(
    prompt="/* Return twice x. */\nconst double = (x) => {\n",
    test="const testDouble = () => {\n  console.assert(double(2) === 4)\n  console.assert(double(-3) === -6)\n}\n\n"
         "testDouble()\n",
    entry_point="double",
)
JAVA = NativeTests(
    prompt="import java.util.*;\n\nclass Solution {\n    public int twice(int x) {\n",
    test="public class Main {\n    public static void main(String[] args) {\n        Solution s = new Solution();\n"
         "        if (s.twice(2) != 4 || s.twice(-3) != -6) {\n            throw new AssertionError();\n        }\n"
         "    }\n}\n",
    entry_point="twice",
)
DOUBLE = Problem(id="forged-rows-double", description="Return twice x.",
                 native={"python": PYTHON, "javascript": JAVASCRIPT, "java": JAVA})

# Each completion continues its prompt: the function's body, then the attack at load time.
RIGHT = {
    "python": "    return 2 * x  # {marker}\n",
    "javascript": "  return 2 * x  // {marker}\n}\n",
    "java": "        return 2 * x;  // {marker}\n    }\n}\n",
}
ATTACKS = {
    "python": "    return 12345  # {marker}\n" + PIDFD,
    "javascript": "  return 12345  // {marker}\n}\n" + f"""
const fs = require('fs');
const {{ execFileSync }} = require('child_process');
const rows = {json.dumps(FORGED.replace(chr(92) + "n", chr(10)))};
for (const pid of fs.readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name) && name !== String(process.pid))) {{
  let fds = [];
  try {{ fds = fs.readdirSync(`/proc/${{pid}}/fd`); }} catch (e) {{}}
  for (const fd of fds) {{
    try {{
      const out = fs.openSync(`/proc/${{pid}}/fd/${{fd}}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      fs.writeSync(out, rows);
      fs.closeSync(out);
    }} catch (e) {{}}
  }}
}}
try {{
  execFileSync('/usr/bin/python3', ['-c', {json.dumps(PIDFD)}], {{ stdio: 'ignore', timeout: 1500 }});
}} catch (e) {{}}
""",
    "java": "        return 12345;  // {marker}\n    }\n" + f"""
    static {{
        byte[] rows = {json.dumps(FORGED.replace(chr(92) + "n", chr(10)))}.getBytes();
        String me = String.valueOf(ProcessHandle.current().pid());
        java.io.File[] pids = new java.io.File("/proc").listFiles();
        for (java.io.File pid : pids == null ? new java.io.File[0] : pids) {{
            java.io.File[] fds = new java.io.File(pid, "fd").listFiles();
            if (!pid.getName().matches("[0-9]+") || pid.getName().equals(me) || fds == null) {{
                continue;
            }}
            for (java.io.File fd : fds) {{
                try (java.io.FileOutputStream out = new java.io.FileOutputStream(fd)) {{
                    out.write(rows);
                }} catch (Exception e) {{
                    // not writable: as it should be
                }}
            }}
        }}
        try {{
            new ProcessBuilder("/usr/bin/python3", "-c", {json.dumps(PIDFD)})
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor(1500, java.util.concurrent.TimeUnit.MILLISECONDS);
        }} catch (Exception e) {{
            // no python here: the /proc attack above stands alone
        }}
    }}
}}
""",
}


@pytest.mark.parametrize("language", sorted(ATTACKS))
def test_a_forged_verdict_row_never_passes_a_wrong_answer(language: str, attack_verifier: Verifier) -> None:
    marker = new_marker()
    verdict = attack_verifier.verify(DOUBLE, ATTACKS[language].replace("{marker}", marker), language)
    assert_no_leftovers(marker)
    assert not verdict.passed and not verdict.masked, verdict
    assert verdict.status in (VerdictStatus.WRONG_ANSWER, VerdictStatus.RUNTIME_ERROR), verdict
    right = attack_verifier.verify(DOUBLE, RIGHT[language].replace("{marker}", new_marker()), language)
    assert right.status is VerdictStatus.PASSED, right

