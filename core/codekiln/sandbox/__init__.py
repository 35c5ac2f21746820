"""The sandbox that runs untrusted, model-generated code.

Every run of generated code goes through :func:`run` (or :func:`spawn` for a test driver that talks to the
code). A run gets a fresh private work directory holding ``files`` (its cwd, removed afterwards), exactly the
environment ``env`` plus ``PATH``, ``HOME`` (the work dir) and ``LANG``, its own session and process group,
a wall-time limit and capped output. Above ``none`` it also runs under an unprivileged uid leased for this
run alone (61000-61999), with rlimits for CPU time, memory, processes, file size and open files; at
``namespaces`` it is inside new pid, network, IPC, UTS and mount namespaces, with only ``/usr``, ``/etc``,
the library directories, ``ro_paths`` (read-only) and the work dir (at ``/sandbox``) visible, plus private
``/tmp`` and ``/dev/shm`` (each a tmpfs capped at ``memory_mb``). A level the machine cannot give is
refused with :class:`~codekiln.errors.IsolationUnavailable`, never weakened.

After a run, however it ended, no process of it is left: at ``namespaces`` the pid namespace dies with its
pid 1 (see ``_bwrap``); at ``process`` every process of the run's uid is killed through /proc, so a daemon
that left the session dies too (its zombie goes to the host's init). What ``process`` does not clean up:
files the command wrote outside the work dir where its uid may write (``/tmp``, ``/dev/shm``), SysV IPC
objects, and the host filesystem is visible to it with its uid's permissions (so a toolchain under a mode-700
``/root`` cannot run there). Use ``namespaces`` for untrusted code.

Memory limits. ``memory_kind="address_space"`` sets RLIMIT_AS, which breaks runtimes that reserve large
virtual ranges up front: with 512 MB, ``node`` dies at start ("Fatal process OOM in Failed to reserve virtual
memory for CodeRange") and the JVM cannot reserve its heap. ``memory_kind="data"`` sets RLIMIT_DATA, which
since Linux 4.7 counts private writable mappings only, so reserved-but-inaccessible ranges are free. Measured
here (node 20, OpenJDK 17, kernel 6.18): node runs under it and an allocation past the limit ends in "FATAL
ERROR: ... JavaScript heap out of memory" (SIGABRT). The JVM runs under it only with a heap capped below the
limit: by default it sizes its heap from the machine's RAM and, when committing more fails, crashes with an
``hs_err`` report ("Native memory allocation (mmap) failed") instead of throwing; with ``-XX:MaxRAM=<limit>``
(heap = a quarter of it) or ``-Xmx`` at most about three quarters of the limit, an oversized allocation
throws ``java.lang.OutOfMemoryError``. The same holds for ``javac`` (``-J-XX:MaxRAM=...``). Python and
C++ work under either kind (MemoryError, std::bad_alloc). Note that RLIMIT_DATA also counts thread stacks as
soon as they are mapped.

``limit_hit`` is set when the sandbox killed the command (``wall_time``, ``output``), when the kernel's
signal shows an rlimit (SIGXCPU, SIGXFSZ, a SIGKILL at the CPU limit or from the OOM killer), or when a failed
run's stderr carries the error text of a refused allocation, fork or write ("MemoryError",
"std::bad_alloc", "Resource temporarily unavailable", "File too large", ...) or its peak memory reached 90 %
of the limit.

Per-run overhead, measured on this machine (2 cores, kernel 6.18, Python 3.11, run as root), mean of 200 runs
of ``run()`` from a warm process, versus ``subprocess.run`` of the same command:

    command                   subprocess   none     process   namespaces
    /bin/true                 0.9 ms       1.3 ms   3.5 ms    6.1 ms
    python3.11 -I -S -c pass  6.5 ms       7.0 ms   9.3 ms    12.0 ms

``process`` adds ``setpriv`` (switch to the uid, 1.2 ms) and ``prlimit`` (0.6 ms) in front of the command
and a /proc scan after it; ``namespaces`` adds bwrap (2.8 ms: namespaces, mounts, pivot_root), ``setpriv``
and ``timeout`` as pid 1 (0.9 ms).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import types
from collections.abc import Mapping, Sequence

from . import _tools
from ._levels import available_levels, check_level
from ._limits import Limits
from ._model import Isolation, SandboxError, SandboxResult
from ._runner import Sandbox
from ._workdir import check_relpath

__all__ = [
    "Isolation",
    "Limits",
    "SandboxError",
    "SandboxProcess",
    "SandboxResult",
    "available_levels",
    "check_level",
    "run",
    "spawn",
]

_EMPTY: Mapping = types.MappingProxyType({})


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
    command needs read-only at the ``namespaces`` level, such as a toolchain's prefix; the installation of
    the Python running codekiln is added by itself when ``argv[0]`` lies in it.
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
) -> SandboxProcess:
    """Start ``argv`` in a sandbox to talk to: use the returned :class:`SandboxProcess` as a context manager.

    Requests go to the command's stdin (``proc.stdin``); it answers on its fd 3 (``proc.channel``), so what it
    prints to stdout cannot corrupt the answers. Stdout and stderr are captured in the background as in
    :func:`run`, and a watchdog enforces the wall time even while the caller is blocked reading the channel.
    """
    level = check_level(isolation)
    if not os.access(_tools.BASH, os.X_OK):
        raise SandboxError(f"sandbox: spawn() needs bash to hand the channel to fd 3 ({_tools.BASH} not "
                           "found); install it: apt-get install bash")
    collect = _checked(collect)
    sandbox = Sandbox(argv, files=files, stdin=None, limits=limits, level=level, env=env,
                      ro_paths=_ro_paths(argv, ro_paths, level), channel=True)
    return SandboxProcess(sandbox, collect)


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
        self.channel = os.fdopen(sandbox.channel_fd, "rb")
        sandbox.channel_fd = None
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
