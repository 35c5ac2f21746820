"""Per-run limits: where the machine gives cgroups, memory binds the run's whole process tree."""

from __future__ import annotations

import os
import subprocess

import pytest

from codekiln import sandbox
from codekiln.sandbox import Isolation, Limits, Zygote, available_levels, cgroup_unavailable
from codekiln.sandbox._cgroup import RUN_MEMORY_FACTOR, RunGroup
from codekiln.sandbox._uids import lease_uid

from .conftest import ISOLATED, REAL_PYTHON, python_for

pytestmark = pytest.mark.skipif(cgroup_unavailable() is not None,
                                reason=f"per-run limits need a cgroup: {cgroup_unavailable()}")

# ``n`` processes of 200 MB each, every page touched, all holding it at once: each waits until every other
# one holds its own, or one of them was killed (a fixed sleep let early ones exit before late ones had theirs
# on a loaded machine). Each one is under memory_mb=256.
_MANY = """
import os, select, sys
n = int(sys.argv[1])
ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
kids = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        hog = bytearray(200 * 2**20)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        os.write(ready_w, b"x")
        os.read(go_r, 1)
        os._exit(0)
    kids.append(pid)
ready, ended = 0, {}
while ready < n and not ended:
    if select.select([ready_r], [], [], 0.05)[0]:
        ready += len(os.read(ready_r, n))
    pid, status = os.waitpid(-1, os.WNOHANG)
    if pid:
        ended[pid] = status
os.close(go_w)
for pid in kids:
    if pid not in ended:
        ended[pid] = os.waitpid(pid, 0)[1]
killed = sum(os.waitstatus_to_exitcode(status) == -9 for status in ended.values())
print(killed, "killed")
"""
LIMITS = Limits(memory_mb=256, wall_time_s=30.0, cpu_time_s=30.0)
_MEMORY_LIMIT = {"v1": "memory.limit_in_bytes", "v2": "memory.max"}


@pytest.mark.parametrize("level", ISOLATED)
def test_processes_under_their_own_limit_cannot_hold_more_together(level):
    # 6 x 200 MB is more than the run's 4 x 256 MB (see codekiln.sandbox._cgroup.RUN_MEMORY_FACTOR).
    result = sandbox.run([python_for(level), "-c", _MANY, "6"], isolation=level, limits=LIMITS)
    assert result.limit_hit == "memory", result
    assert result.stdout != b"0 killed\n"  # the kernel killed at least one of them


@pytest.mark.parametrize("level", ISOLATED)
def test_a_run_within_its_bound_is_untouched(level):
    result = sandbox.run([python_for(level), "-c", _MANY, "3"], isolation=level, limits=LIMITS)
    assert result.exit_code == 0 and result.limit_hit is None, result
    assert result.stdout == b"0 killed\n"


def _groups(proc_cgroup: str) -> dict[str, str]:
    """Controller -> cgroup path in /proc/PID/cgroup text (v2's single line under both controllers)."""
    found = {}
    for _, controllers, path in (line.split(":", 2) for line in proc_cgroup.splitlines()):
        for controller in controllers.split(",") if controllers else ("memory", "pids"):
            found.setdefault(controller, path)
    return {controller: found[controller] for controller in ("memory", "pids")}


def test_the_command_and_its_children_start_inside_its_groups_and_the_groups_go_afterwards():
    # The command moves itself in by its thread alone (v1's ``tasks``): its children must be in every group too.
    probe = ("import os\nif os.fork() == 0:\n    print(open('/proc/self/cgroup').read(), end='', flush=True)\n"
             "    os._exit(0)\nos.wait()\nprint('--'); print(open('/proc/self/cgroup').read(), end='')")
    result = sandbox.run([python_for(sandbox.Isolation.PROCESS), "-c", probe], isolation="process")
    assert result.exit_code == 0, result
    with open("/proc/self/cgroup", encoding="utf-8") as file:
        own = _groups(file.read())
    child, command = (_groups(text) for text in result.stdout.decode().split("--\n"))
    assert child == command
    names = {os.path.basename(path) for path in command.values()}
    assert len(names) == 1 and names.pop().startswith("codekiln-")
    for controller, path in command.items():
        assert path == os.path.join(own[controller], os.path.basename(path))
        mount = f"/sys/fs/cgroup/{controller}" if os.path.isdir("/sys/fs/cgroup/memory") else "/sys/fs/cgroup"
        assert not os.path.exists(mount + path)


def _as_main(script: str) -> bytes:
    """``script`` as the ``main()`` of a zygote's program."""
    return ("def main():\n" + "".join(f"    {line}\n" for line in script.strip().splitlines())).encode()


_MANY_MAIN = _as_main(_MANY)


@pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None, reason="zygotes need namespaces")
def test_a_run_forked_by_a_zygote_is_bound_as_a_cold_run():
    warm = Zygote(REAL_PYTHON, "prog.py", {"prog.py": _MANY_MAIN})
    try:
        over = warm.run(["prog.py", "6"], files={}, limits=LIMITS, env={})
        within = warm.run(["prog.py", "3"], files={}, limits=LIMITS, env={})
    finally:
        warm.close()
    assert over.limit_hit == "memory" and over.stdout != b"0 killed\n", over
    assert within.exit_code == 0 and within.limit_hit is None and within.stdout == b"0 killed\n", within


def test_a_group_left_behind_is_replaced_and_one_still_in_use_is_emptied_then_removed():
    lease = lease_uid()  # the uid is ours alone, as a run's is, even with other verifiers on the machine
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        stale = RunGroup.create(lease.uid, Limits(memory_mb=64), own_processes=0)  # never closed: its run "died"
        fresh = RunGroup.create(lease.uid, Limits(memory_mb=128), own_processes=0)
        assert fresh.directories == stale.directories
        with open(os.path.join(fresh.directories[0], _MEMORY_LIMIT[fresh.version]), encoding="ascii") as file:
            assert int(file.read()) == RUN_MEMORY_FACTOR * 128 * 2**20
        for path in fresh.entry_files():  # a process still inside: closing kills it, then removes the group
            with open(path, "w", encoding="ascii") as file:
                file.write(str(sleeper.pid))
        fresh.close()
        assert sleeper.wait(timeout=5) == -9
        assert not any(os.path.exists(directory) for directory in fresh.directories)
    finally:
        sleeper.kill()
        lease.release()


def test_a_group_left_in_some_hierarchies_only_is_replaced_whole():
    # What a run of another session leaves: each process of this machine may sit in a memory group of its own, so
    # that run's memory group is elsewhere, while the pids and cpuacct hierarchies (v1) are shared.
    lease = lease_uid()
    try:
        left = RunGroup.create(lease.uid, Limits(memory_mb=64), own_processes=0)
        for directory in left.directories[:-1]:
            os.rmdir(directory)
        fresh = RunGroup.create(lease.uid, Limits(memory_mb=128), own_processes=0)
        try:
            assert all(os.path.isdir(directory) for directory in fresh.directories)
            with open(os.path.join(fresh.directories[0], _MEMORY_LIMIT[fresh.version]), encoding="ascii") as file:
                assert int(file.read()) == RUN_MEMORY_FACTOR * 128 * 2**20
        finally:
            fresh.close()
        assert not any(os.path.exists(directory) for directory in fresh.directories)
    finally:
        lease.release()


# A child that does the run's work (half a second of CPU, 200 MB touched), answers on a pipe, and is never
# waited for: it waits to be killed with the run. wait4 never sees it; the run's cgroup does.
_HIDDEN_WORK = """
import os, signal, time
r, w = os.pipe()
if os.fork() == 0:
    hog = bytearray(200 * 2**20)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
    end = time.process_time() + 0.5
    while time.process_time() < end:
        pass
    os.write(w, b"done")
    signal.pause()
print(os.read(r, 4).decode())
"""
_HIDDEN_WORK_MAIN = _as_main(_HIDDEN_WORK)


def _kept_figures() -> tuple[bool, bool]:
    """Whether this machine's run groups keep (CPU time, peak memory)."""
    lease = lease_uid()
    try:
        group = RunGroup.create(lease.uid, Limits(), own_processes=0)
        try:
            return tuple(figure is not None for figure in group.usage())
        finally:
            group.close()
    finally:
        lease.release()


@pytest.mark.parametrize("how", ["process", "namespaces", "zygote"])
def test_a_child_never_waited_for_counts_in_the_runs_cpu_time_and_memory(how):
    if how != "process" and available_levels()[Isolation.NAMESPACES] is not None:
        pytest.skip("needs the namespaces level")
    if how == "zygote":
        warm = Zygote(REAL_PYTHON, "prog.py", {"prog.py": _HIDDEN_WORK_MAIN})
        try:
            result = warm.run(["prog.py"], files={}, limits=LIMITS, env={})
        finally:
            warm.close()
    else:
        level = Isolation(how)
        result = sandbox.run([python_for(level), "-c", _HIDDEN_WORK], isolation=level, limits=LIMITS)
    assert result.exit_code == 0 and result.stdout == b"done\n", result
    cpu_kept, memory_kept = _kept_figures()
    if not cpu_kept and not memory_kept:
        pytest.skip("this kernel's cgroups keep neither figure (v1 without cpuacct, v2 before Linux 5.19)")
    if cpu_kept:
        assert result.cpu_time_s >= 0.5
    if memory_kept:
        assert result.peak_memory_mb >= 200


def test_usage_reads_each_layouts_files(tmp_path):
    # cgroup v2 (this machine may be v1: the files are the kernel's format, written here).
    (tmp_path / "cpu.stat").write_text("usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
    (tmp_path / "memory.peak").write_text(f"{300 * 2**20}\n")
    assert RunGroup("v2", (str(tmp_path),)).usage() == (1.5, 300.0)
    (tmp_path / "memory.peak").unlink()  # before Linux 5.19
    assert RunGroup("v2", (str(tmp_path),)).usage() == (1.5, None)
    # cgroup v1: memory, pids, and cpuacct where it is mounted.
    memory, pids, cpuacct = (tmp_path / name for name in ("memory", "pids", "cpuacct"))
    for folder in (memory, pids, cpuacct):
        folder.mkdir()
    (memory / "memory.max_usage_in_bytes").write_text(f"{64 * 2**20}\n")
    (cpuacct / "cpuacct.usage").write_text("250000000\n")
    assert RunGroup("v1", (str(memory), str(pids), str(cpuacct))).usage() == (0.25, 64.0)
    assert RunGroup("v1", (str(memory), str(pids))).usage() == (None, 64.0)
