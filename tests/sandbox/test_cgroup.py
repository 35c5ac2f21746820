"""Per-run limits: where the machine gives cgroups, memory binds the run's whole process tree."""

from __future__ import annotations

import os

import pytest

from codekiln import sandbox
from codekiln.sandbox import Limits, cgroup_unavailable

from .conftest import ISOLATED, python_for

pytestmark = pytest.mark.skipif(cgroup_unavailable() is not None,
                                reason=f"per-run limits need a cgroup: {cgroup_unavailable()}")

# ``n`` processes of 200 MB each, every page touched, all alive at once; each one is under memory_mb=256.
_MANY = """
import os, sys, time
n = int(sys.argv[1])
kids = []
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        hog = bytearray(200 * 2**20)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        time.sleep(1)
        os._exit(0)
    kids.append(pid)
killed = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == -9 for pid in kids)
print(killed, "killed")
"""
LIMITS = Limits(memory_mb=256, wall_time_s=30.0, cpu_time_s=30.0)


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


def _memory_group(proc_cgroup: str) -> str:
    """The memory cgroup in /proc/PID/cgroup text: v1's memory line, else v2's single one."""
    groups = {controllers: path for _, controllers, path in (line.split(":", 2) for line in proc_cgroup.splitlines())}
    return next((path for controllers, path in groups.items() if "memory" in controllers.split(",")), groups.get(""))


def test_the_command_starts_inside_its_group_and_the_group_goes_afterwards():
    probe = "print(open('/proc/self/cgroup').read(), end='')"
    result = sandbox.run([python_for(sandbox.Isolation.PROCESS), "-c", probe], isolation="process")
    with open("/proc/self/cgroup", encoding="utf-8") as file:
        own = _memory_group(file.read())
    group = _memory_group(result.stdout.decode())
    assert os.path.basename(group).startswith("codekiln-")
    assert group == os.path.join(own, os.path.basename(group))
    mount = "/sys/fs/cgroup/memory" if os.path.isdir("/sys/fs/cgroup/memory") else "/sys/fs/cgroup"
    assert not os.path.exists(mount + group)
