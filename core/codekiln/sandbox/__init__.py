"""The sandbox that runs untrusted, model-generated code.

Every run of generated code goes through :func:`run` (or :func:`spawn`, for a test driver that talks to the
code). A run gets a fresh private work directory holding ``files`` (its cwd, removed afterwards), exactly the
environment ``env`` plus ``PATH``, ``HOME`` (the work dir) and ``LANG``, its own session and process group,
a wall-time limit and capped output. Above ``none`` it also runs under an unprivileged uid leased for this
run alone (61000-61999, see ``_uids``; 62000-62099 for a helper that lives across runs, see :func:`spawn`),
with no capabilities, no-new-privileges, and rlimits for CPU time, memory, processes, file size and open
files, and its work dir is a tmpfs of its own (see ``_workdir``). At
``namespaces`` it runs inside new pid, network, IPC, UTS and mount namespaces (bubblewrap, see ``_bwrap``)
where only ``/usr``, ``/etc``, the library directories, ``ro_paths`` (all read-only) and the work dir (at
``/sandbox``) are visible, plus a private ``/tmp`` and ``/dev/shm``. The work dir, ``/tmp`` and ``/dev/shm``
are each capped at ``memory_mb``: their pages are memory that the rlimits do not count. A level the machine
cannot give is refused with :class:`~codekiln.errors.IsolationUnavailable`, never weakened;
:func:`available_levels` says why.

:func:`stop_all` kills every run of the calling process at once and refuses new ones, for a process being
shut down by a signal: each run's own code then closes it as usual. Setting a run up and tearing it down
defer SIGINT and SIGTERM, so that a handler that raises cannot leave a mounted work dir or a cgroup behind.

After a run, however it ended, no process of it is alive: at ``namespaces`` the pid namespace dies with its
pid 1; at ``process`` every process of the run's uid is killed through /proc, so a daemon that left the
session dies too (the zombie goes to the host's init). What ``process`` does not clean up or hide: files
the command wrote where its uid may write outside the work dir (``/tmp``, ``/dev/shm``), SysV IPC objects,
kernel keyrings (``namespaces`` refuses their calls with a seccomp filter, see ``_seccomp``), and the host
filesystem, visible with its uid's permissions: a program or ``ro_path`` below a directory
closed to others (a toolchain below a mode-700 ``/root``) is refused before the run with
:class:`~codekiln.errors.IsolationUnavailable` (see ``_reach``). Use ``namespaces`` for untrusted code.
Where the machine gives cgroups, each run above ``none`` also gets one that bounds its whole process tree
(see ``_cgroup``): ``processes`` tasks and 4 x ``memory_mb`` of memory, tmpfs pages included; elsewhere
(:func:`cgroup_unavailable` says why) memory is limited per process only, and a run of n processes may hold
n x ``memory_mb``. Known gap: the command may create user namespaces of its own (kernel attack surface, no
escape; a seccomp filter would close it).

:class:`Zygote` (see ``_zygote``) runs a Python program warm: an interpreter that has loaded it waits inside
the ``namespaces`` level's sandbox and forks each run, which gets what a cold run gets (new namespaces, fresh
tmpfs, a leased uid, the same rlimits, its cgroup, no capabilities) in a few milliseconds instead of an
interpreter's start-up; :class:`ZygoteUnavailable` tells the caller to take the cold path.

Memory limits. ``memory_kind="address_space"`` sets RLIMIT_AS, which breaks runtimes that reserve large
virtual ranges up front: under 512 MB ``node`` dies at start ("Fatal process OOM in Failed to reserve virtual
memory for CodeRange") and the JVM cannot reserve its heap. ``memory_kind="data"`` sets RLIMIT_DATA, which
since Linux 4.7 counts private writable mappings only, so reserved but inaccessible ranges are free.
Measured here (node 20, OpenJDK 17, kernel 6.18): node runs under it, and an allocation past the limit ends
in "JavaScript heap out of memory" (SIGABRT). The JVM runs under it only with its heap capped below the
limit: by default it sizes the heap from the machine's RAM and, when committing more fails, crashes with an
``hs_err`` report ("Native memory allocation (mmap) failed") instead of throwing; with
``-XX:MaxRAM=<limit>m`` (heap = a quarter of it) or ``-Xmx`` at most about three quarters of the limit, an
oversized allocation throws ``java.lang.OutOfMemoryError``; ``javac`` likewise (``-J-XX:MaxRAM=...``).
Python and C++ work under either kind (MemoryError, std::bad_alloc). RLIMIT_DATA counts a thread's stack
as soon as it is mapped.

``limit_hit`` is set when the sandbox killed the command (``wall_time``, ``output``), when the signal shows
an rlimit (SIGXCPU, SIGXFSZ, a SIGKILL at the CPU limit), or when a failed run's stderr carries the error
text of a refused allocation, fork or write ("MemoryError", "std::bad_alloc", "Resource temporarily
unavailable", "File too large", "No space left on device", ...). At ``namespaces`` an exit status above 128 is
reported as death by signal (status - 128): bubblewrap, like a shell, folds the two together.

``cpu_time_s`` and ``peak_memory_mb`` are the run's: where the run has a cgroup, the group's own figures,
which count every process that was in it (the sandbox's own set-up processes included, a few ms at
``namespaces``), even one the command never waited for and that died with the run (``_cgroup``). The peak
memory is then what was charged to the run: pages its processes allocated or copied, its tmpfs files and
kernel memory, not the pages it shares (an interpreter's code in the page cache, a zygote's pages it only
read). Where the kernel keeps neither (cgroup v1 without ``cpuacct``, v2 before Linux 5.19 for the memory),
or the run has no cgroup, they come from ``wait4``: only the command and the descendants it waited for, and
the memory is ``ru_maxrss``, in which Linux counts the spawning process's own peak RSS (the child runs in
the caller's memory until it executes the first program, and ``execve`` keeps that high-water mark): the
larger of the command's peak and the caller's, exact in a small caller such as a verifier worker, not in a
trainer holding gigabytes.

Per-run overhead: the best of four medians of 60 runs from a warm process, on this 2-core VM (kernel 6.18,
Python 3.11, root) while other jobs kept its load average between 1 and 6:

    command                       subprocess.run   none     process   namespaces
    /bin/true                     0.7 ms           1.1 ms   4.9 ms    7.6 ms
    python3.11 -I -S -c pass      6.6 ms           7.1 ms   11.0 ms*  14.6 ms

    * the system's /usr/bin/python3.11 (6.6 ms by itself): the process level cannot reach /root/.pyenv.

Nearly all of it is the programs run before the command, 0.6 to 1.2 ms each here: ``process`` runs
``setpriv`` (switch to the uid) and ``prlimit`` (rlimits), and scans /proc before and after; ``namespaces``
runs ``prlimit``, bwrap (namespaces, mounts, pivot_root: about 2.8 ms), and ``setpriv`` and ``timeout`` as
the sandbox's pid 1. Our own Python costs about 0.5 ms a run (the tmpfs work dir 0.15 ms of it). The launch
is a vfork (``subprocess.Popen`` without ``preexec_fn`` or ``user=``), so it does not slow down with the
caller's memory (a fork from a 2 GB process took 44 ms). This host's pyenv Python spends about 25 ms more
in ``site`` (a ``.pth`` file imports certifi), inside or outside the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import types
from collections.abc import Mapping, Sequence

from . import _tools
from ._cgroup import unavailable as cgroup_unavailable
from ._levels import available_levels, check_level
from ._limits import Limits
from ._model import Isolation, SandboxError, SandboxResult
from ._runner import Sandbox, stop_all
from ._workdir import check_relpath
from ._zygote import Zygote, ZygoteUnavailable

__all__ = [
    "PYTHON",
    "Isolation",
    "Limits",
    "SandboxError",
    "SandboxProcess",
    "SandboxResult",
    "Zygote",
    "ZygoteUnavailable",
    "available_levels",
    "cgroup_unavailable",
    "check_level",
    "run",
    "spawn",
    "stop_all",
]

_EMPTY: Mapping = types.MappingProxyType({})
#: This process's real Python interpreter, not a venv or pyenv shim (a shim costs an exec, ~25 ms, per spawn):
#: the one a sandbox runs for Python code, and a :class:`Zygote`'s server.
PYTHON = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def run(
    argv: Sequence[str],
    *,
    files: Mapping[str, bytes | str] = _EMPTY,
    stdin: bytes = b"",
    limits: Limits = Limits(),  # noqa: B008 (frozen, so one shared default is safe)
    isolation: Isolation | str = "namespaces",
    env: Mapping[str, str] = _EMPTY,
    ro_paths: Sequence[str] = (),
    collect: Sequence[str] = (),
) -> SandboxResult:
    """Run ``argv`` in a fresh sandbox and return what it did.

    ``files`` (relative paths) are written into the work directory, the command's cwd; ``collect`` names files
    there to read back afterwards (each at most ``limits.output_bytes``). ``ro_paths`` are host paths the
    command needs read-only, such as a toolchain's prefix: bound in at the ``namespaces`` level (the
    installation of the Python running codekiln is added by itself when ``argv[0]`` lies in it), required
    readable by every user at ``process``.
    """
    level = check_level(isolation)
    collect = _checked(collect)
    sandbox = Sandbox(argv, files=files, stdin=stdin, limits=limits, level=level, env=env,
                      ro_paths=_ro_paths(argv, ro_paths, level), channel=False)
    try:
        sandbox.supervise()
        return sandbox.finish(collect)
    finally:
        sandbox.close()


def spawn(
    argv: Sequence[str],
    *,
    files: Mapping[str, bytes | str] = _EMPTY,
    limits: Limits = Limits(),  # noqa: B008
    isolation: Isolation | str = "namespaces",
    env: Mapping[str, str] = _EMPTY,
    ro_paths: Sequence[str] = (),
    collect: Sequence[str] = (),
    ahead: bool = False,
    helper: bool = False,
) -> SandboxProcess:
    """Start ``argv`` in a sandbox to talk to: use the returned :class:`SandboxProcess` as a context manager.

    Requests go to the command's stdin (``proc.stdin``); it answers on its fd 3 (``proc.channel``), so what it
    prints to stdout cannot corrupt the answers. Stdout and stderr are captured in the background as in
    :func:`run`, and a watchdog enforces the wall time even while the caller is blocked reading the channel.

    ``ahead=True`` starts the command ahead of its work (a pre-spawned interpreter waiting on stdin for its
    sample): its wall time runs only from :meth:`SandboxProcess.start_clock`, called when the work is sent.
    Every other limit binds from the start, so what the command does while it waits counts against them.

    ``helper=True`` is for a trusted program that lives across samples and never runs a sample's code (the
    Java compile server): it runs with the same isolation, under a uid of ``HELPER_UID_RANGE`` (62000-62099)
    rather than of the samples' range, so that a process under a sample's uid never outlives its run.
    """
    level = check_level(isolation)
    if not os.access(_tools.BASH, os.X_OK):
        raise SandboxError(f"sandbox: spawn() needs bash to hand the channel to fd 3 ({_tools.BASH} not "
                           "found); install it: apt-get install bash")
    collect = _checked(collect)
    sandbox = Sandbox(argv, files=files, stdin=None, limits=limits, level=level, env=env,
                      ro_paths=_ro_paths(argv, ro_paths, level), channel=True, helper=helper)
    sandbox.clock_running = not ahead
    return SandboxProcess(sandbox, collect)


class _Channel:
    """The command's fd 3, read a line at a time. A line longer than ``Limits.output_bytes`` ends the run
    (``limit_hit="output"``), so that answers without a newline cannot fill the caller's memory."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._file = os.fdopen(sandbox.channel_fd, "rb")
        sandbox.channel_fd = None
        self._sandbox = sandbox
        self._over = False

    def readline(self) -> bytes:
        """The next line; b"" once the command died, was killed, or wrote too long a line."""
        limit = self._sandbox.limits.output_bytes
        line = b"" if self._over else self._file.readline(limit + 1)
        if len(line) > limit:
            self._over = True
            self._sandbox.hit("output")
            return b""
        return line

    def close(self) -> None:
        self._file.close()


class SandboxProcess:
    """A command started by :func:`spawn`. Leaving the ``with`` block kills whatever is left of it, cleans
    up, and sets :attr:`result`."""

    def __init__(self, sandbox: Sandbox, collect: Sequence[str]) -> None:
        self._sandbox = sandbox
        self._collect = collect
        self._error: BaseException | None = None
        #: The command's stdin (buffered: flush after each request).
        self.stdin = os.fdopen(sandbox.stdin_fd, "wb")
        sandbox.stdin_fd = None
        #: The command's fd 3; ``readline()`` returns b"" once the command died or was killed.
        self.channel = _Channel(sandbox)
        #: The run's result, once the ``with`` block has been left.
        self.result: SandboxResult | None = None
        self._watchdog = threading.Thread(target=self._supervise, name="codekiln-sandbox", daemon=True)
        self._watchdog.start()

    def _supervise(self) -> None:
        try:
            self._sandbox.supervise()
        except BaseException as exc:  # handed to the caller in __exit__
            self._error = exc
            self._sandbox.stop()

    def start_clock(self) -> None:
        """Start the wall time of a command spawned with ``ahead=True``: its work begins now."""
        self._sandbox.start_clock()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the command to end by itself (it closed its channel, say) and its
        output to be drained; whether it did. A command that ended so is reported as it ended (a limit it
        evidently died of included) when the block is left; one still running is stopped then, as ever."""
        self._watchdog.join(timeout)
        return not self._watchdog.is_alive()

    def send(self, data: bytes) -> bool:
        """Write ``data`` to the command's stdin and flush; False once the command is gone."""
        try:
            self.stdin.write(data)
            self.stdin.flush()
        except (OSError, ValueError):  # a broken pipe, or a stdin already closed
            return False
        return True

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            with contextlib.suppress(OSError):  # the command may be gone with unread input
                self.stdin.close()
            self._sandbox.stop()
            self._watchdog.join()
            if self._error is not None:
                raise self._error
            self.result = self._sandbox.finish(self._collect)
        finally:
            self.channel.close()
            self._sandbox.close()


def _checked(collect: Sequence[str]) -> tuple[str, ...]:
    for name in collect:
        check_relpath(name)
    return tuple(collect)


def _ro_paths(argv: Sequence[str], ro_paths: Sequence[str], level: Isolation) -> tuple[str, ...]:
    paths = []
    for path in ro_paths:
        if not os.path.isabs(path) or not os.path.exists(path):
            raise SandboxError(f"sandbox: ro_path {path!r} must be an absolute path that exists")
        paths.append(os.path.normpath(path))
    if level is Isolation.NAMESPACES and argv and os.path.isabs(argv[0]):
        prefix = os.path.realpath(sys.base_prefix)
        if os.path.realpath(argv[0]).startswith(prefix + os.sep) and prefix not in paths:
            paths.append(prefix)
    return tuple(paths)
