"""codekiln.sandbox.Zygote: runs forked from a warm interpreter keep a cold run's isolation, and nothing of one
run reaches the next."""

from __future__ import annotations

import json
import os
import py_compile
import signal
import time

import pytest

from codekiln.sandbox import Isolation, Limits, SandboxError, Zygote, ZygoteUnavailable, available_levels, run

from .conftest import REAL_PYTHON

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="the namespaces sandbox level is unavailable here")

# What a run reports about itself; VALUE is module state the zygote loaded, for a run to change.
PROGRAM = b'''
import json, os, sys
VALUE = "loaded"

def _read(path):
    try:
        with open(path) as file:
            return file.read()
    except OSError as exc:
        return type(exc).__name__

def main():
    global VALUE
    if "serve" in sys.argv:
        with os.fdopen(3, "w") as channel:
            for line in sys.stdin:
                channel.write(line.upper())
                channel.flush()
        return
    status = dict(line.split(":\\t", 1) for line in _read("/proc/self/status").splitlines() if ":\\t" in line)
    me = {
        "argv": sys.argv, "uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(), "files": sorted(os.listdir(".")),
        "main": __name__, "importable": "prog" in sys.modules, "input": _read("input.txt"),
        "stdin": sys.stdin.read(), "env": dict(os.environ), "value": VALUE,
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "caps": [status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")],
        "no_new_privs": status["NoNewPrivs"].strip(), "limits": _read("/proc/self/limits"),
        "marks": [_read(p) for p in ("/tmp/mark", "/dev/shm/mark", "/sandbox/mark")],
        "ns": {n: os.readlink("/proc/self/ns/" + n) for n in ("mnt", "pid", "ipc", "net", "uts")},
    }
    print(json.dumps(me), flush=True)
    if "mark" in sys.argv:
        VALUE = "changed by a run"
        os.environ["KILN_MARK"] = "1"
        for path in ("/tmp/mark", "/dev/shm/mark", "/sandbox/mark"):
            with open(path, "w") as file:
                file.write("left by a run")
    if "ending" in sys.argv:
        import atexit, threading, time
        atexit.register(lambda: print("atexit ran"))
        threading.Thread(target=lambda: (time.sleep(0.2), print("thread finished"))).start()
        print("buffered, never flushed by the program", end="")
    if "raise" in sys.argv:
        raise ValueError("the program failed")
    if "exit" in sys.argv:
        sys.exit(7)
    if "loop" in sys.argv:
        while True:
            pass
'''
LIMITS = Limits(wall_time_s=5.0, cpu_time_s=5.0)


@pytest.fixture
def zygote():
    warm = Zygote(REAL_PYTHON, "prog.py", {"prog.py": PROGRAM})
    yield warm
    warm.close()


def _report(result) -> dict:
    assert result.exit_code == 0, result
    return json.loads(result.stdout.decode().splitlines()[0])


def test_a_run_is_confined_as_a_cold_run_is(zygote):
    result = zygote.run(["prog.py", "a"], files={"input.txt": "in", "sub/x.txt": "x"}, stdin=b"stdin!",
                        limits=LIMITS, env={"KEY": "v"})
    me = _report(result)
    assert me["argv"] == ["prog.py", "a"]
    assert me["main"] == "__main__" and not me["importable"]  # the program runs as a script
    assert 61000 <= me["uid"] < 62000
    # Its own pid namespace: itself as pid 2 below its pid 1, nothing else (the zygote, other runs) visible.
    assert me["pid"] == 2 and me["pids"] == [1, 2]
    assert me["cwd"] == "/sandbox" and me["files"] == ["input.txt", "sub"] and me["input"] == "in"
    assert me["stdin"] == "stdin!"
    assert me["env"] == {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/sandbox", "LANG": "C.UTF-8", "KEY": "v"}
    assert me["caps"] == ["0000000000000000"] * 5 and me["no_new_privs"] == "1"
    assert result.limit_hit is None and result.cpu_time_s > 0 and result.peak_memory_mb > 0
    # The rlimits a cold run of the same limits gets; its process count also holds its pid 1 (``timeout``, under
    # the run's uid), where a warm run's pid 1 is the zygote's (root).
    cold = run([REAL_PYTHON, "-I", "-S", "-c", "print(open('/proc/self/limits').read(), end='')"], limits=LIMITS)
    warm_limits, cold_limits = me["limits"].splitlines(), cold.stdout.decode().splitlines()
    assert [line for line in warm_limits if "processes" not in line] == \
        [line for line in cold_limits if "processes" not in line]
    assert f"Max processes             {LIMITS.processes}  " in me["limits"]


def test_nothing_of_one_run_reaches_the_next(zygote):
    first = _report(zygote.run(["prog.py", "mark"], files={}, limits=LIMITS, env={}))
    second = _report(zygote.run(["prog.py"], files={}, limits=LIMITS, env={}))
    assert first["marks"] == second["marks"] == ["FileNotFoundError"] * 3
    assert second["value"] == "loaded" and "KILN_MARK" not in second["env"]
    assert second["uid"] != first["uid"]
    # Namespaces of their own, not the zygote's (an ended run's may be numbered again: compared with the living).
    zygote_ns = {name: os.readlink(f"/proc/{zygote.pid}/ns/{name}") for name in first["ns"]}
    assert all(run["ns"][name] != zygote_ns[name] for run in (first, second) for name in zygote_ns)
    assert zygote.runs == 2


def test_a_run_ends_as_a_script_does(zygote):
    failed = zygote.run(["prog.py", "raise"], files={}, limits=LIMITS, env={})
    assert failed.exit_code == 1 and b"ValueError: the program failed" in failed.stderr
    assert zygote.run(["prog.py", "exit"], files={}, limits=LIMITS, env={}).exit_code == 7
    # Its threads are waited for, its atexit handlers run and its buffered output is flushed.
    ended = zygote.run(["prog.py", "ending"], files={}, limits=LIMITS, env={})
    assert ended.exit_code == 0
    assert ended.stdout.decode().endswith("buffered, never flushed by the programthread finished\natexit ran\n")


def test_the_wall_time_kills_the_run_and_leaves_nothing(zygote):
    start = time.monotonic()
    result = zygote.run(["prog.py", "loop"], files={}, limits=Limits(wall_time_s=1.0, cpu_time_s=5.0), env={})
    assert result.limit_hit == "wall_time" and result.signal == signal.SIGKILL
    assert time.monotonic() - start < 4.0
    assert zygote.run(["prog.py"], files={}, limits=LIMITS, env={}).exit_code == 0  # the zygote is unharmed


def test_a_run_whose_set_up_fails_says_why_and_the_zygote_goes_on(zygote):
    # Its input files do not fit its work dir (a tmpfs of memory_mb): its pid 1 reports why, before any code runs.
    with pytest.raises(SandboxError, match=r"the warm run could not start: OSError: .*No space left on device"):
        zygote.run(["prog.py"], files={"big.bin": b"x" * (3 << 20)}, limits=Limits(memory_mb=2, wall_time_s=5.0,
                   cpu_time_s=5.0), env={})
    assert zygote.run(["prog.py"], files={}, limits=LIMITS, env={}).exit_code == 0


def test_a_spawned_run_answers_on_fd_3(zygote):
    with zygote.spawn(["prog.py", "serve"], files={}, limits=LIMITS, env={}) as proc:
        assert proc.send(b"hello\n")
        assert proc.channel.readline() == b"HELLO\n"
    assert proc.result.exit_code is not None or proc.result.signal is not None


def test_a_dead_zygote_is_reported_once_then_started_again(zygote):
    assert zygote.run(["prog.py"], files={}, limits=LIMITS, env={}).exit_code == 0
    pid = zygote.pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while zygote.pid is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(ZygoteUnavailable, match="died"):
        zygote.run(["prog.py"], files={}, limits=LIMITS, env={})
    assert zygote.run(["prog.py"], files={}, limits=LIMITS, env={}).exit_code == 0
    assert zygote.pid not in (None, pid)


def test_a_program_that_does_not_load_is_not_tried_again():
    broken = Zygote(REAL_PYTHON, "prog.py", {"prog.py": b"raise ImportError('no such thing')\n"})
    try:
        for _ in range(2):
            with pytest.raises(ZygoteUnavailable, match=r"did not start.*ImportError: no such thing"):
                broken.run(["prog.py"], files={}, limits=LIMITS, env={})
    finally:
        broken.close()


def test_preloaded_modules_are_loaded_before_a_run_and_a_missing_one_is_skipped():
    program = b"import sys\ndef main():\n    print(sorted(set(sys.modules) & {'fractions', 'no_such_module'}))\n"
    warm = Zygote(REAL_PYTHON, "prog.py", {"prog.py": program}, preload=("fractions", "no_such_module"))
    try:
        result = warm.run(["prog.py"], files={}, limits=LIMITS, env={})
    finally:
        warm.close()
    assert result.exit_code == 0 and result.stdout == b"['fractions']\n"


def test_a_run_finds_the_compilers_ast_types_built(tmp_path):
    # The interpreter builds its AST node types at its first compile() of source text: about 1,500 memory
    # blocks and 1.5 ms, which every run that compiles code would pay again unless the zygote built them first.
    # The program comes compiled, as the language plugins' do, so that loading it compiles nothing.
    source = tmp_path / "prog.py"
    source.write_text("import sys\ndef main():\n    before = sys.getallocatedblocks()\n"
                      "    compile('def f(x):\\n    return x\\n', 'f.py', 'exec')\n"
                      "    print(sys.getallocatedblocks() - before)\n")
    compiled = tmp_path / "prog.pyc"
    py_compile.compile(str(source), cfile=str(compiled), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    warm = Zygote(REAL_PYTHON, "prog.pyc", {"prog.pyc": compiled.read_bytes()})
    try:
        result = warm.run(["prog.pyc"], files={}, limits=LIMITS, env={})
    finally:
        warm.close()
    assert result.exit_code == 0, result
    assert int(result.stdout) < 100
