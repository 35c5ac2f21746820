"""The bubblewrap command line of the ``namespaces`` level, and bubblewrap's status report.

bwrap runs as root, without a user namespace, and the command drops to the run's uid with ``setpriv`` inside:
an unprivileged bwrap resolves bind sources with the run's uid and so cannot bind a toolchain below a
directory that uid cannot enter (``/root/.pyenv`` under a mode-700 ``/root``). Root is never mapped into the
sandbox: the uid the kernel sees for the command is the unprivileged one, so RLIMIT_NPROC binds and the
host's file permissions apply to it.

The command runs under ``--as-pid-1`` with coreutils ``timeout 0`` (no timeout) as its pid 1: bwrap's own
init lets the outer bwrap exit as soon as the command exits, before the rest of the sandbox is killed and
without reaping the init, so the run's resource usage would be lost and the init left to the host's init.
With ``timeout`` as pid 1, the outer bwrap waits for it; when it exits the kernel kills and reaps everything
else in the pid namespace, so once the outer bwrap has exited nothing of the run is left, and ``wait4`` on
it reports the usage of the whole tree. The command itself keeps ordinary signal semantics as pid 2.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence

from . import _tools
from ._limits import Limits, MiB

#: The work directory's path inside the sandbox.
SANDBOX_DIR = "/sandbox"

# Read-only, with their symlinks kept as symlinks (merged-/usr systems). /etc holds what dynamic linking and
# the toolchains need (ld.so.cache, alternatives, the JDK's configuration); secrets in it are root-only.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


@functools.cache
def _system_mounts() -> tuple[str, ...]:
    args: list[str] = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return tuple(args)


def inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def visible(path: str, ro_paths: Sequence[str]) -> bool:
    """Whether the program at absolute ``path`` can be found under the same name inside the sandbox."""
    return any(inside(path, root) for root in (*_SYSTEM_DIRS, *ro_paths, SANDBOX_DIR))


def args(workdir: str, ro_paths: Sequence[str], limits: Limits, status_fd: int, seccomp_fd: int | None, *,
         zygote_caps: Sequence[str] = ()) -> list[str]:
    """bwrap and its options up to ``--``; the command to run follows, under the seccomp filter read from
    ``seccomp_fd`` (``_seccomp.filter_fd()``; None where there is none for this machine). With ``zygote_caps``, the
    command is a zygote (see ``_zygote``): it keeps those capabilities only, and it outlives the thread that
    started it."""
    scratch = str(limits.memory_mb * MiB)  # tmpfs pages are memory the rlimits do not see
    if zygote_caps:
        # Ended by the verifier closing its socket instead: --die-with-parent ends the command with the thread
        # that started it, and a verifier may be called from threads that come and go.
        caps = ["--cap-drop", "ALL", *(option for cap in zygote_caps for option in ("--cap-add", cap))]
    else:
        # For setpriv, which switches to the run's uid; that switch clears every capability. (bwrap run by root
        # keeps all of root's capabilities unless told to drop them.)
        caps = ["--die-with-parent", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    command = [
        _tools.BWRAP,
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--hostname", "sandbox", "--new-session", "--as-pid-1",
        "--json-status-fd", str(status_fd),
        *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
        *caps,
        *_system_mounts(),
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--size", scratch, "--tmpfs", "/tmp",
        "--perms", "1777", "--size", scratch, "--tmpfs", "/dev/shm",
    ]
    # After /tmp, so that a path below /tmp is bound onto the sandbox's /tmp rather than hidden by it.
    made: set[str] = set()
    for path in ro_paths:
        # bwrap would create missing parents with mode 0700, which the run's uid cannot enter.
        parents = [os.path.dirname(path)]
        while parents[-1] != "/":
            parents.append(os.path.dirname(parents[-1]))
        for parent in reversed(parents[:-1]):
            if parent not in made and not any(inside(parent, root) for root in _SYSTEM_DIRS):
                command += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        command += ["--ro-bind", path, path]
    return [
        *command,
        "--bind", workdir, SANDBOX_DIR, "--chdir", SANDBOX_DIR,
        "--remount-ro", "/dev", "--remount-ro", "/",
        "--",
    ]


class StatusReader:
    """bwrap's ``--json-status-fd`` records: the sandbox's first pid, then (if the command was executed at
    all) its exit code."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""

    def next(self) -> dict | None:
        """The next record; None at the end. Blocks until bwrap writes one or exits."""
        while b"\n" not in self._buffer:
            chunk = os.read(self._fd, 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        os.close(self._fd)
