"""Per-run memory and process limits with a cgroup, where the machine gives us one.

An rlimit binds each process separately: a run of n processes could hold n x ``memory_mb``, plus its tmpfs
pages, which no rlimit sees. A cgroup bounds the run's whole process tree, tmpfs pages included: every run
above ``none`` gets one of its own (``codekiln-<uid>``, named after its leased uid, so a group left by a
process that died is found and removed by the next run of that uid), below the cgroup of the process that
runs the sandbox, with ``processes`` tasks and :data:`RUN_MEMORY_FACTOR` x ``memory_mb`` of memory, no
swap: what one process at its limit and the run's three full scratch file systems (work dir, ``/tmp``,
``/dev/shm``, each capped at ``memory_mb``) hold together. So a single process meets its rlimit first, as
without a cgroup (a ``MemoryError``, ENOSPC on a full tmpfs), and the group bounds what many processes hold
together. A tighter group would make the kernel reclaim the run's file pages (its interpreter, its
libraries) long before anything is killed, and a run would crawl to its wall-time limit instead of failing.
The command enters the group before anything of the run starts (a ``sh`` moves itself in, see
:meth:`RunGroup.entry_files`, then executes the rest), so not even a first fork escapes.

Two layouts are supported: cgroup v1 with the ``memory`` and ``pids`` hierarchies (usable by root), and
cgroup v2 where the process's own cgroup may delegate both controllers to children (it may not while it
holds processes itself, unless it is the root group). Elsewhere :func:`unavailable` says why, and the
rlimits alone apply.

A process the kernel killed for the group's memory is counted in the group's ``oom_kill`` event: the run is
then reported as ``limit_hit="memory"`` from the kernel's own count, never from what the command printed.

The group also measures the run (:meth:`RunGroup.usage`): the CPU time of every process that was ever in it
(v2's ``cpu.stat``; v1's ``cpuacct`` hierarchy, joined where it is mounted) and the peak of the memory
charged to it (v2's ``memory.peak``, v1's ``memory.max_usage_in_bytes``). ``wait4`` counts only the
processes that were waited for: a child that does the work and is never reaped (killed with the run, or
reaped by pid 1) escapes it, and with it any reward that reads the run's CPU time or memory.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import time

from . import _tools
from ._limits import Limits, MiB

_MOUNT = "/sys/fs/cgroup"
_CONTROLLERS = ("memory", "pids")
#: v1 only: joined where mounted, for the run's CPU time (v2 counts it in every group).
_V1_ACCOUNTING = "cpuacct"
#: The run's memory, in units of ``Limits.memory_mb``: one process and three full tmpfs.
RUN_MEMORY_FACTOR = 4


@functools.cache
def _parents() -> tuple[str, tuple[str, ...]] | str:
    """("v1" or "v2", the directories run groups are made in), or why there are none."""
    if os.geteuid() != 0:
        return "cgroups need root"
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as file:
            lines = [line.rstrip("\n").split(":", 2) for line in file]
    except OSError as exc:
        return f"cannot read /proc/self/cgroup ({exc.strerror})"
    own = {controller: path for _, controllers, path in lines for controller in controllers.split(",")}
    v1 = [os.path.join(_MOUNT, name) for name in _CONTROLLERS]
    if all(name in own and os.path.isfile(os.path.join(mount, "cgroup.procs")) for name, mount in
           zip(_CONTROLLERS, v1)):
        parents = tuple(mount + own[name] for name, mount in zip(_CONTROLLERS, v1))
        accounting = os.path.join(_MOUNT, _V1_ACCOUNTING)
        if _V1_ACCOUNTING in own and os.path.isfile(os.path.join(accounting, "cpuacct.usage")):
            parents += (accounting + own[_V1_ACCOUNTING],)
        return "v1", parents
    if os.path.isfile(os.path.join(_MOUNT, "cgroup.controllers")) and "" in own:
        parent = _MOUNT + own[""]
        with open(os.path.join(parent, "cgroup.controllers"), encoding="ascii") as file:
            missing = set(_CONTROLLERS) - set(file.read().split())
        if missing:
            return f"cgroup v2 does not delegate {', '.join(sorted(missing))} to {parent}"
        try:
            with open(os.path.join(parent, "cgroup.subtree_control"), "w", encoding="ascii") as file:
                file.write(" ".join(f"+{name}" for name in _CONTROLLERS))
        except OSError as exc:
            return f"cannot enable memory and pids below {parent} ({exc.strerror}; it holds processes itself)"
        return "v2", (parent,)
    return "neither cgroup v1 memory and pids hierarchies nor cgroup v2 are mounted at /sys/fs/cgroup"


def unavailable() -> str | None:
    """None where runs get cgroups, else one line saying why not."""
    found = _parents()
    return found if isinstance(found, str) else None


class RunGroup:
    """The cgroup(s) of one run: create with :meth:`create` (None where cgroups are unavailable), prefix the
    command with :meth:`enter`, read :meth:`oom_killed` after the run, always :meth:`close`."""

    def __init__(self, version: str, directories: tuple[str, ...]) -> None:
        self.version = version
        self.directories = directories

    @classmethod
    def create(cls, uid: int, limits: Limits, own_processes: int) -> RunGroup | None:
        found = _parents()
        if isinstance(found, str):
            return None
        version, parents = found
        group = cls(version, tuple(os.path.join(parent, f"codekiln-{uid}") for parent in parents))
        memory = str(RUN_MEMORY_FACTOR * limits.memory_mb * MiB)
        tasks = str(limits.processes + own_processes)
        try:
            try:
                group._make()
            except FileExistsError:
                # Left by a run whose process died; the uid lease makes it ours now. Its hierarchies may differ in
                # what was left (each process of this machine may sit in a memory group of its own, while the
                # pids and cpuacct hierarchies are shared): the whole group is removed and made again.
                group._remove()
                group._make()
            if version == "v1":
                memory_dir, pids_dir = group.directories[:2]
                _write(memory_dir, "memory.limit_in_bytes", memory)
                # Swap would let the run hold more than its memory; absent where the kernel has no swap account.
                with contextlib.suppress(FileNotFoundError):
                    _write(memory_dir, "memory.memsw.limit_in_bytes", memory)
                _write(pids_dir, "pids.max", tasks)
            else:
                (directory,) = group.directories
                _write(directory, "memory.max", memory)
                with contextlib.suppress(FileNotFoundError):
                    _write(directory, "memory.swap.max", "0")
                _write(directory, "pids.max", tasks)
        except BaseException:
            group.close()
            raise
        return group

    def _make(self) -> None:
        for directory in self.directories:
            os.mkdir(directory)

    def entry_files(self) -> list[str]:
        """The files a single-threaded process writes ``0`` (itself) to, to move into the group: v1's ``tasks``
        (the writing thread), v2's ``cgroup.procs``. Moving a whole thread group (v1's ``cgroup.procs``) takes
        the kernel's global threadgroup lock for writing, which waits for an RCU grace period whenever no other
        move came just before: about 7-13 ms of wall time a run here (Linux 6.18), the CPU idle. Moving only
        the writing thread skips that lock where the kernel has that shortcut (6.18 has); a single-threaded
        process is all of its thread group, and what it forks or executes stays in the group."""
        name = "tasks" if self.version == "v1" else "cgroup.procs"
        return [os.path.join(directory, name) for directory in self.directories]

    def enter(self, command: list[str]) -> list[str]:
        """``command`` run inside the group: a shell (single-threaded) moves itself in, then executes it."""
        script = 'for f; do [ "$f" = -- ] && break; echo 0 > "$f" || exit 125; shift; done; shift; exec "$@"'
        return [_tools.SH, "-c", script, "sh", *self.entry_files(), "--", *command]

    def usage(self) -> tuple[float | None, float | None]:
        """The run's CPU seconds (user and system, every process that was in the group) and the peak of its
        memory in MiB (its processes' pages, its tmpfs files, and kernel memory charged to it); None for a
        figure this kernel or layout does not keep."""
        if self.version == "v1":
            cpu_ns = _read_int(self.directories[2], "cpuacct.usage") if len(self.directories) > 2 else None
            cpu_s = cpu_ns / 1e9 if cpu_ns is not None else None
            peak = _read_int(self.directories[0], "memory.max_usage_in_bytes")
        else:
            (directory,) = self.directories
            usage_usec = _read_keyed(directory, "cpu.stat").get("usage_usec")
            cpu_s = usage_usec / 1e6 if usage_usec is not None else None
            peak = _read_int(directory, "memory.peak")  # Linux 5.19 and later
        return cpu_s, peak / MiB if peak is not None else None

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for the group's memory limit."""
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        return _read_keyed(self.directories[0], name).get("oom_kill", 0) > 0

    def close(self) -> None:
        """Kill whatever is left in the group and remove it."""
        self._remove()

    def _remove(self) -> None:
        deadline = time.monotonic() + 2.0
        for directory in self.directories:
            while True:
                try:
                    os.rmdir(directory)  # a run that is over has left its group: one call, as a rule
                except OSError as exc:
                    # Busy while processes are in it or a killed one is still exiting; a group that will not go
                    # is removed by the next run of this uid.
                    if exc.errno == errno.EBUSY and time.monotonic() < deadline:
                        for pid in _members(directory):
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(pid, signal.SIGKILL)
                        time.sleep(0.005)
                        continue
                break


def _members(directory: str) -> list[int]:
    try:
        with open(os.path.join(directory, "cgroup.procs"), encoding="ascii") as file:
            return [int(line) for line in file if line.strip()]
    except OSError:
        return []


def _read_keyed(directory: str, name: str) -> dict[str, int]:
    """A file of ``key value`` lines (``memory.events``, ``cpu.stat``) as a dict; empty when it cannot be read."""
    try:
        with open(os.path.join(directory, name), encoding="ascii") as file:
            return {key: int(value) for key, value in (line.split() for line in file if line.strip())}
    except (OSError, ValueError):
        return {}


def _read_int(directory: str, name: str) -> int | None:
    try:
        with open(os.path.join(directory, name), encoding="ascii") as file:
            return int(file.read())
    except (OSError, ValueError):
        return None


def _write(directory: str, name: str, value: str) -> None:
    fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode("ascii"))
    finally:
        os.close(fd)
