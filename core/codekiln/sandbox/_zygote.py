"""Warm runs: a zygote, a Python interpreter already inside the sandbox's namespaces, forks each run.

A cold run at the ``namespaces`` level starts bubblewrap, setpriv, a pid 1 and a fresh interpreter, which then
loads its harness: 15-30 ms before the first line of the sample runs. A :class:`Zygote` pays for that once.
It is one long-lived process in bubblewrap's namespaces (the same mounts as a cold run: the system
directories and ``ro_paths``, read-only) with ``PROGRAM`` loaded, running ``_zygote_server`` as root with
the capabilities in :data:`CAPS` only. For each run it forks a child that gets what a cold run gets, in a
few milliseconds (``_zygote_server`` has the details):

- its own mount, pid, IPC, network and UTS namespaces, new for the run, and fresh tmpfs on ``/sandbox``
  (its work dir and cwd, owned by its uid), ``/tmp`` and ``/dev/shm``, each capped at ``memory_mb``;
- an unprivileged uid leased for it alone (``_uids``), no capabilities, no-new-privileges;
- the rlimits of a cold run (``_limits.rlimits``) and its own cgroup (``_cgroup``), entered before any of
  its code runs;
- exactly its environment plus ``PATH``, ``HOME`` and ``LANG``, its stdin, stdout and stderr pipes (and
  fd 3 for :meth:`Zygote.spawn`), and no other descriptor.

Nothing of one run reaches the next: the run is a forked copy of the zygote, which never runs sample code
and never holds a run's files (they travel as memfds that only the run's own set-up reads); the run's file
systems and namespaces die with it; everything else it could change is read-only. The verifier's side of a
warm run is the cold one's (:class:`~codekiln.sandbox._runner.Sandbox`: wall time, output caps, limits
recognised, :func:`~codekiln.sandbox.stop_all`); only how it starts, is killed and is reaped differ. The
run's pid 1 reports the command's wait status and resource usage on a pipe, and kills everything else in
the run when the verifier writes to the run's kill pipe, or closes it by dying.

A zygote starts on first use and ends with :meth:`Zygote.close`, or when the process owning it ends (even by
SIGKILL: the zygote ends when its socket closes, and every run in progress with it). One that cannot start,
or has died, raises :class:`ZygoteUnavailable` for the run asked of it: the caller takes the cold path for
that run. A zygote that died starts again on the next use; one that failed to start is not tried again in
this process. What differs from a cold run, visible only to code looking for it: the run's pid 1 is the
zygote's child (root, so the run cannot signal or trace it), its ``sys.argv`` and environment are set rather
than given to a fresh interpreter, modules the zygote loaded are already in ``sys.modules``, all runs
share the zygote's hash seed, and the work dir holds the run's files only (the program came loaded).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import py_compile
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _bwrap, _procs, _runner, _seccomp, _workdir
from ._cgroup import RunGroup
from ._limits import Limits, MiB, rlimits
from ._model import Isolation, SandboxError, SandboxResult
from ._runner import Sandbox, _signals_deferred
from ._uids import lease_uid

__all__ = ["CAPS", "Zygote", "ZygoteUnavailable"]

#: What the zygote keeps of root's capabilities, for a run's set-up: new namespaces and mounts (SYS_ADMIN), the
#: switch to the run's uid (SETUID, SETGID), emptying the bounding set (SETPCAP), handing the work dir to the
#: run's uid (CHOWN), and killing the rest of a run from its pid 1 (KILL). The run itself keeps none.
CAPS = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_CHOWN", "CAP_KILL")
#: How long a zygote may take to load its program and say it is ready (a loaded machine is slow).
START_TIMEOUT_S = 30.0
#: How long the run's pid 1 may take to report once the run is over (it is ours: it reports at once).
REPORT_TIMEOUT_S = 10.0
_SERVER = "kiln_zygote.pyc"
_ZYGOTE_DIR_BYTES = 64 * MiB


class ZygoteUnavailable(SandboxError):
    """The zygote cannot take the run (it did not start, or it has died): take the cold path for it."""


@functools.cache
def _server_bytecode() -> bytes:
    """``_zygote_server`` compiled, to run without its source (the harness of a language plugin does the same)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / _SERVER
        py_compile.compile(str(Path(__file__).with_name("_zygote_server.py")), cfile=str(target), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return target.read_bytes()


class _Started:
    """A running zygote: its bubblewrap, its socket, its pid (a pidfd), and its stderr for when it dies."""

    def __init__(self, popen: subprocess.Popen, sock: socket.socket, pid: int, pidfd: int, stderr_fd: int) -> None:
        self.popen, self.sock, self.pid, self.pidfd, self.stderr_fd = popen, sock, pid, pidfd, stderr_fd
        self.owner = os.getpid()

    def dead(self) -> bool:
        return bool(select.select([self.pidfd], [], [], 0)[0])

    def last_words(self) -> str:
        """The last line the zygote wrote on stderr, if any."""
        os.set_blocking(self.stderr_fd, False)
        with contextlib.suppress(OSError):
            lines = os.read(self.stderr_fd, 65536).decode(errors="replace").strip().splitlines()
            return lines[-1][:300] if lines else ""
        return ""

    def close(self) -> None:
        """End the zygote, and with it every run still going: closing the socket makes it exit."""
        self.sock.close()
        if not select.select([self.pidfd], [], [], 2.0)[0]:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        self.popen.wait()
        os.close(self.pidfd)
        os.close(self.stderr_fd)


class Zygote:
    """A warm interpreter ``python`` in the sandbox with ``program`` loaded (a file among ``files``, the
    module's ``main()`` doing one run from ``sys.argv``), forking one run per :meth:`run` or :meth:`spawn`.

    ``files`` are the zygote's own (the program and what it imports from its directory), ``ro_paths`` what
    it needs read-only besides the system directories (the interpreter's installation is added, as for a
    cold run). ``preload`` names modules the zygote imports besides (those the programs it runs often import:
    each run then finds them loaded instead of paying for the import; one that fails to import is skipped).
    ``server`` replaces codekiln's Python server (``_zygote_server``) with another runtime's, which must answer
    the same requests on the same socket: the command line before ``SOCKET_FD PROGRAM``, its first word the
    interpreter, its files among ``files`` (codekiln_javascript's node zygote is one).
    Safe to share between threads; a zygote inherited through ``fork`` is not used by the child, which starts
    its own.
    """

    def __init__(self, python: str, program: str, files: Mapping[str, bytes], ro_paths: Sequence[str] = (),
                 preload: Sequence[str] = (), server: Sequence[str] = ()) -> None:
        from . import _ro_paths  # the package's own rule for what a command needs bound in

        self.python = python
        self.program = program
        self.preload = tuple(preload)
        self._server = tuple(server)
        self._files = dict(files)
        self._ro_paths = _ro_paths([server[0] if server else python], ro_paths, Isolation.NAMESPACES)
        #: Read-only folders below /tmp, which a run's fresh /tmp would hide: each run binds them in again.
        self.tmp_binds = [path for path in self._ro_paths if _bwrap.inside(path, "/tmp") and path != "/tmp"]
        self._lock = threading.Lock()
        self._started: _Started | None = None
        self._failed: str | None = None
        #: Runs started in the zygote (for tests and benchmarks).
        self.runs = 0

    @property
    def pid(self) -> int | None:
        """The zygote's process id while it runs here, else None."""
        started = self._started
        if started is None or started.owner != os.getpid() or started.dead():
            return None
        return started.pid

    def run(self, argv: Sequence[str], *, files: Mapping[str, bytes | str], stdin: bytes = b"", limits: Limits,
            env: Mapping[str, str]) -> SandboxResult:
        """Run ``program`` with ``sys.argv = argv`` in a fresh forked run, as :func:`codekiln.sandbox.run`
        runs a command at the ``namespaces`` level; raises :class:`ZygoteUnavailable` for the cold path."""
        sandbox = _WarmRun(self, argv, files=files, stdin=stdin, limits=limits, env=env, channel=False)
        try:
            sandbox.supervise()
            return sandbox.finish(())
        finally:
            sandbox.close()

    def spawn(self, argv: Sequence[str], *, files: Mapping[str, bytes | str], limits: Limits,
              env: Mapping[str, str], ahead: bool = False) -> Any:
        """Start ``program`` to talk to, as :func:`codekiln.sandbox.spawn` does (``ahead`` too): a
        ``SandboxProcess``."""
        from . import SandboxProcess

        sandbox = _WarmRun(self, argv, files=files, stdin=None, limits=limits, env=env, channel=True)
        sandbox.clock_running = not ahead
        return SandboxProcess(sandbox, ())

    def close(self) -> None:
        """End the zygote (and any run still in it); the next run starts a new one. Safe to call again."""
        with self._lock:
            started, self._started = self._started, None
        if started is not None and started.owner == os.getpid():
            started.close()

    # -- internals -------------------------------------------------------------------------------------------

    def _send(self, header: dict[str, Any], fds: list[int]) -> None:
        """Hand one run to the zygote, starting it first if need be."""
        with self._lock:
            started = self._running()
            try:
                socket.send_fds(started.sock, [json.dumps(header).encode()], fds)
            except OSError as exc:
                self._started = None
                started.close()
                raise ZygoteUnavailable(f"the warm process is gone ({exc.strerror or exc})") from None
            self.runs += 1

    def _running(self) -> _Started:
        started = self._started
        if started is not None and started.owner != os.getpid():  # inherited through a fork: its parent's
            started = self._started = None
        if started is not None and started.dead():
            self._started = None
            started.popen.wait()
            why = started.last_words()
            started.close()
            raise ZygoteUnavailable(f"the warm process died{': ' + why if why else ''}")
        if started is None:
            if self._failed is not None:
                raise ZygoteUnavailable(self._failed)
            try:
                started = self._started = self._start()
            except (OSError, SandboxError) as exc:
                self._failed = f"the warm process did not start: {exc}"
                raise ZygoteUnavailable(self._failed) from None
        return started

    def _start(self) -> _Started:
        if _runner._stopping_all:
            raise SandboxError("sandbox: this process is stopping and starts no new runs")
        # A tmpfs of its own, as a run's work dir: the host's mount of it goes once the zygote is ready, and the
        # zygote's stays, a directory like any other (nothing could be mounted on a removed one).
        if self._server:
            server, files = self._server, self._files
        else:
            server, files = (self.python, "-I", "-S", "-B", _SERVER), {**self._files, _SERVER: _server_bytecode()}
        workdir = _workdir.create(files, 0, _ZYGOTE_DIR_BYTES)
        try:
            host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            # A number of 10 or more: bwrap and the interpreter leave it alone.
            child_fd = fcntl.fcntl(child.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
            child.close()
            status_fd, status_child = os.pipe()
            stderr_fd, stderr_child = os.pipe()
            seccomp_child = _seccomp.filter_fd()  # the zygote's runs inherit it
            passed = [fd for fd in (child_fd, status_child, seccomp_child) if fd is not None]
            command = [*_bwrap.args(workdir, self._ro_paths, Limits(), status_child, seccomp_child, zygote_caps=CAPS),
                       *server, str(child_fd), self.program, *self.preload]
            try:
                popen = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=stderr_child, stderr=stderr_child, cwd=workdir,
                    env={"PATH": _runner._PATH, "HOME": _bwrap.SANDBOX_DIR, "LANG": "C.UTF-8"}, close_fds=True,
                    pass_fds=passed, start_new_session=True)
            finally:
                for fd in (*passed, stderr_child):
                    os.close(fd)
            status = _bwrap.StatusReader(status_fd)
            try:
                first = status.next()
            finally:
                status.close()
            pidfd = _procs.open_child_pidfd(first["child-pid"], popen.pid) if first else None
            if pidfd is None:
                popen.wait()
                why = _tail(stderr_fd)
                host.close()
                os.close(stderr_fd)
                raise SandboxError(f"bubblewrap could not start it: {why}")
            started = _Started(popen, host, first["child-pid"], pidfd, stderr_fd)
            host.settimeout(START_TIMEOUT_S)
            try:
                ready = host.recv(16)
            except TimeoutError:
                ready = b""
            host.settimeout(None)
            if ready != b"ready":
                why = started.last_words() or "no message"
                started.close()
                raise SandboxError(f"it did not load {self.program}: {why}")
            return started
        finally:
            _workdir.remove(workdir, mounted=True)


def _tail(fd: int) -> str:
    os.set_blocking(fd, False)
    with contextlib.suppress(OSError):
        return os.read(fd, 65536).decode(errors="replace").strip()[-300:] or "no message"
    return "no message"


class _WarmRun(Sandbox):
    """One run forked by a zygote, watched as a cold run is (:class:`Sandbox`): the run's status pipe takes the
    place of the pidfd (readable once its pid 1 reports), and its kill pipe the place of signals."""

    def __init__(self, zygote: Zygote, argv: Sequence[str], *, files: Mapping[str, bytes | str],
                 stdin: bytes | None, limits: Limits, env: Mapping[str, str], channel: bool) -> None:
        self._zygote = zygote
        self._kill_fd = -1
        self._sent = False
        super().__init__(argv, files=files, stdin=stdin, limits=limits, level=Isolation.NAMESPACES, env=env,
                         ro_paths=(), channel=channel)

    def _launch(self, argv: Sequence[str], files: Mapping[str, bytes | str], caller_stdin: bool,
                env: Mapping[str, str], ro_paths: Sequence[str], channel: bool) -> None:
        with _signals_deferred():  # each thing made is recorded before a stop can interrupt, so close() finds it
            self._lease = lease_uid()
            self._cgroup = RunGroup.create(self._lease.uid, self.limits, own_processes=0)
        roles: list[str] = []
        given: list[int] = []  # the zygote's copies, closed here once sent

        def give(role: str, fd: int) -> None:
            roles.append(role)
            given.append(fd)

        try:
            self._pidfd, write_end = os.pipe()
            give("status", write_end)
            read_end, self._kill_fd = os.pipe()
            give("kill", read_end)
            if caller_stdin or self._pending:
                read_end, self.stdin_fd = os.pipe()
                give("stdin", read_end)
            self._out_fd, write_end = os.pipe()
            give("stdout", write_end)
            self._err_fd, write_end = os.pipe()
            give("stderr", write_end)
            if channel:
                self.channel_fd, write_end = os.pipe()
                give("channel", write_end)
            for path in self._cgroup.entry_files() if self._cgroup is not None else ():
                give("cgroup", os.open(path, os.O_WRONLY | os.O_CLOEXEC))
            names = []
            for name, content in files.items():
                names.append(_workdir.check_relpath(name))
                give("file", _memfd(content.encode() if isinstance(content, str) else content))
            header = {
                "argv": list(argv), "uid": self._lease.uid, "fds": roles, "files": names,
                "env": {"PATH": _runner._PATH, "HOME": _bwrap.SANDBOX_DIR, "LANG": "C.UTF-8", **env},
                "rlimits": rlimits(self.limits, own_processes=0), "scratch_bytes": self.limits.memory_mb * MiB,
                "tmp_binds": self._zygote.tmp_binds,
            }
            self._started_at = time.monotonic()
            self._zygote._send(header, given)
            self._sent = True
        finally:
            for fd in given:
                os.close(fd)

    def _on_exit(self) -> None:
        self._exited_at = time.monotonic()
        # The run's pid 1 has reported and is exiting: the kernel kills what is left of the run with it. Its
        # cgroup's removal at close() waits until all of it is gone; without one, its uid is swept instead.
        if self._cgroup is None:
            _procs.kill_uid_processes(self._lease.uid)

    def _kill(self, hard: bool = False) -> None:
        self._kills += 1
        # The run's pid 1 kills everything else of the run, reaps the command (keeping its usage) and reports.
        if self._kill_fd >= 0:
            with contextlib.suppress(OSError):  # its pid 1 has already gone
                os.write(self._kill_fd, b"k")
        if hard:
            _procs.kill_uid_processes(self._lease.uid)

    def _reap(self) -> tuple[int, Any]:
        buffer = b""
        deadline = time.monotonic() + REPORT_TIMEOUT_S
        while select.select([self._pidfd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            chunk = os.read(self._pidfd, 4096)
            if not chunk:
                break
            buffer += chunk
        else:
            raise SandboxError("sandbox: the warm run's pid 1 did not report")
        self._reaped = True
        rows = [json.loads(line) for line in buffer.splitlines() if line.strip()]
        errors = [row["error"] for row in rows if "error" in row]
        if errors or not rows:
            raise SandboxError(f"sandbox: the warm run could not start: {errors[0] if errors else 'it died'}")
        report = rows[-1]
        usage = types.SimpleNamespace(ru_utime=report["utime"], ru_stime=report["stime"], ru_maxrss=report["maxrss"])
        return report["status"], usage

    def close(self) -> None:
        with _signals_deferred():
            try:
                if self._sent and not self._reaped:
                    self._kill(hard=True)
                    with contextlib.suppress(SandboxError):
                        self._reap()
            finally:
                if self._kill_fd >= 0:
                    os.close(self._kill_fd)
                    self._kill_fd = -1
                super().close()


def _memfd(content: bytes) -> int:
    fd = os.memfd_create("kiln-file", os.MFD_CLOEXEC)
    with open(fd, "wb", closefd=False) as file:
        file.write(content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
