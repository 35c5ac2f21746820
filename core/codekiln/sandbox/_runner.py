"""One launched sandbox: its command line, its pipes, its watchdog loop, and its clean-up."""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import select
import selectors
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence

from . import _bwrap, _cgroup, _limits, _procs, _reach, _seccomp, _tools, _workdir
from ._limits import Limits
from ._model import Isolation, SandboxError, SandboxResult
from ._uids import HELPER_UID_RANGE, UID_RANGE, UidLease, lease_uid

_PATH = "/usr/local/bin:/usr/bin:/bin"
_CHUNK = 65536
# After the command exited, or was killed, stop reading output still held open by a stray process (only the
# ``none`` level can have one) after this long.
_GRACE_S = 1.0
# How often the watchdog of a command started ahead of its work looks whether its clock has started.
_IDLE_POLL_S = 0.05

# The runs of this process that have started and not been closed, for stop_all().
_live: weakref.WeakSet[Sandbox] = weakref.WeakSet()
_stopping_all = False


def stop_all() -> None:
    """Kill every run of this process now and refuse new ones (:class:`SandboxError`): for a process being
    shut down (a verifier worker told to stop). Safe to call from a signal handler: it only kills, and each
    run's own code, whose wait then returns, closes it and removes its work dir as usual."""
    global _stopping_all
    _stopping_all = True
    for sandbox in list(_live):
        sandbox.stop()


class _Capture:
    """One output stream, kept up to ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit
        self.truncated = False

    def add(self, chunk: bytes) -> bool:
        """Keep what fits; False once the stream went past its limit."""
        room = self.limit - len(self.data)
        if len(chunk) > room:
            self.data += chunk[:room]
            self.truncated = True
            return False
        self.data += chunk
        return True


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done. Their handlers may raise (the CLI's ``Stopped``, a
    verifier worker's ``SystemExit``), and an exception in the middle of setting up or tearing down a run would
    leave its mounted work dir, its cgroup or its uid lease behind. Python runs handlers in the main thread
    only, so only there is anything to defer. No child is started inside: it would inherit the mask."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _setpriv(uid: int) -> list[str]:
    return [_tools.SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


class Sandbox:
    """A command started under ``level``: call :meth:`supervise`, then :meth:`finish`, always :meth:`close`.

    ``stdin`` is fed to the command by :meth:`supervise`; with ``stdin=None`` the caller writes it through
    :attr:`stdin_fd` instead. ``channel=True`` gives the command a pipe on its fd 3, read from
    :attr:`channel_fd`.
    """

    def __init__(self, argv: Sequence[str], *, files: Mapping[str, bytes | str], stdin: bytes | None,
                 limits: Limits, level: Isolation, env: Mapping[str, str], ro_paths: Sequence[str],
                 channel: bool, helper: bool = False) -> None:
        self.limits = limits
        self._uids = HELPER_UID_RANGE if helper else UID_RANGE
        self.level = level
        self.limit_hit: str | None = None
        self.stdin_fd: int | None = None
        self.channel_fd: int | None = None
        self._stdout = _Capture(limits.output_bytes)
        self._stderr = _Capture(limits.output_bytes)
        self._lease: UidLease | None = None
        self._cgroup: _cgroup.RunGroup | None = None
        self._workdir: str | None = None
        self._popen: subprocess.Popen | None = None
        self._pidfd = -1
        self._pid1: int | None = None  # bwrap's pid 1 (``timeout``), by host pid and by pidfd
        self._pid1fd: int | None = None
        self._status: _bwrap.StatusReader | None = None
        self._out_fd = self._err_fd = -1
        self._exited_at: float | None = None
        self._stopping = False
        self._kills = 0
        self._reaped = False
        self._pending = memoryview(stdin or b"")
        #: False for a command started ahead of its work until start_clock(): its wall time is not running.
        self.clock_running = True
        if _stopping_all:
            raise SandboxError("sandbox: this process is stopping and starts no new runs")
        try:
            self._launch(argv, files, stdin is None, env, ro_paths, channel)
        except BaseException:
            self.close()
            raise
        _live.add(self)
        if _stopping_all:  # stop_all() came while this run was starting
            self.stop()

    def _launch(self, argv: Sequence[str], files: Mapping[str, bytes | str], caller_stdin: bool,
                env: Mapping[str, str], ro_paths: Sequence[str], channel: bool) -> None:
        if not argv:
            raise SandboxError("sandbox: argv must name a program to run")
        level = self.level
        if level is Isolation.NAMESPACES and os.path.isabs(argv[0]) and not _bwrap.visible(argv[0], ro_paths):
            raise SandboxError(f"sandbox: {argv[0]!r} is not visible inside the sandbox; "
                               "add its installation directory to ro_paths")
        if level is Isolation.PROCESS:
            _reach.check_reachable(argv, {"PATH": _PATH, **env}, ro_paths)
        uid = None
        with _signals_deferred():  # each thing made is recorded before a stop can interrupt, so close() finds it
            if level is not Isolation.NONE:
                self._lease = lease_uid(self._uids)
                uid = self._lease.uid
                # What a run whose caller died may have left under this uid.
                if level is Isolation.PROCESS:
                    _procs.kill_uid_processes(uid)
                _workdir.remove_stale(uid)
                # Beside bwrap's own processes (bwrap, then timeout as pid 1), the command's.
                own = 2 if level is Isolation.NAMESPACES else 0
                self._cgroup = _cgroup.RunGroup.create(uid, self.limits, own_processes=own)
            self._workdir = _workdir.create(files, uid, self.limits.memory_mb * _limits.MiB)
        home = _bwrap.SANDBOX_DIR if level is Isolation.NAMESPACES else self._workdir
        child_env = {"PATH": _PATH, "HOME": home, "LANG": "C.UTF-8", **env}

        child_fds: list[int] = []  # our copies of the child's ends, closed once it has them
        try:
            command = list(argv)
            pass_fds = []
            if channel:
                self.channel_fd, write_end = os.pipe()
                # Popen keeps a passed descriptor's number, so bash moves it to 3; a number of 10 or more can
                # never collide with 3, nor with the standard streams.
                child_end = fcntl.fcntl(write_end, fcntl.F_DUPFD_CLOEXEC, 10)
                os.close(write_end)
                child_fds.append(child_end)
                pass_fds.append(child_end)
                script = f'exec 3>&{child_end} {child_end}>&-; exec "$@"'
                command = [_tools.BASH, "-c", script, "bash", *command]
            if level is Isolation.NAMESPACES:
                status_fd, status_child = os.pipe()
                self._status = _bwrap.StatusReader(status_fd)
                child_fds.append(status_child)
                pass_fds.append(status_child)
                seccomp_child = _seccomp.filter_fd()
                if seccomp_child is not None:
                    child_fds.append(seccomp_child)
                    pass_fds.append(seccomp_child)
                command = [_tools.PRLIMIT, *_limits.prlimit_args(self.limits, own_processes=1), "--",
                           *_bwrap.args(self._workdir, ro_paths, self.limits, status_child, seccomp_child),
                           *_setpriv(uid), _tools.TIMEOUT, "0", *command]
            elif level is Isolation.PROCESS:
                command = [*_setpriv(uid), _tools.PRLIMIT,
                           *_limits.prlimit_args(self.limits, own_processes=0), "--", *command]
            if self._cgroup is not None:
                command = self._cgroup.enter(command)

            stdin_child = subprocess.DEVNULL
            if caller_stdin or self._pending:
                stdin_child, self.stdin_fd = os.pipe()
                child_fds.append(stdin_child)
            self._out_fd, out_child = os.pipe()
            self._err_fd, err_child = os.pipe()
            child_fds += [out_child, err_child]
            self._started_at = time.monotonic()
            # Popen spawns with vfork (no preexec_fn, no user=), which stays fast in a parent with gigabytes
            # resident, and closes every descriptor not passed, also those other libraries left inheritable.
            self._popen = subprocess.Popen(
                command, stdin=stdin_child, stdout=out_child, stderr=err_child, cwd=self._workdir,
                env=child_env, close_fds=True, pass_fds=pass_fds, start_new_session=True)
        finally:
            for fd in child_fds:
                os.close(fd)
        self._pidfd = os.pidfd_open(self._popen.pid)
        if self._status is not None:
            first = self._status.next()
            if first is not None:
                self._pid1fd = _procs.open_child_pidfd(first["child-pid"], self._popen.pid)
                self._pid1 = first["child-pid"] if self._pid1fd is not None else None

    # -- watching -------------------------------------------------------------------------------------------

    def supervise(self) -> None:
        """Pump output (and stdin, unless the caller owns it) until the command has exited and its output is
        drained, enforcing the wall time and output limits."""
        selector = selectors.PollSelector()
        streams = {self._out_fd: self._stdout, self._err_fd: self._stderr}
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        selector.register(self._pidfd, selectors.EVENT_READ)
        pending = self._pending
        if pending:
            os.set_blocking(self.stdin_fd, False)
            selector.register(self.stdin_fd, selectors.EVENT_WRITE)
        deadline = self._started_at + self.limits.wall_time_s
        try:
            while streams or self._exited_at is None:
                if not self.clock_running and self._kills == 0 and self._exited_at is None:
                    deadline = time.monotonic() + _IDLE_POLL_S  # waiting for its work: no wall time yet
                elif self._kills == 0 and self._exited_at is None:
                    deadline = self._started_at + self.limits.wall_time_s  # start_clock() may have moved it
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    if self._exited_at is not None or self._kills > 1:
                        break
                    if self._kills == 0:
                        self.hit("wall_time")
                    else:  # killed, but not dead yet
                        self._kill(hard=True)
                    deadline = time.monotonic() + _GRACE_S
                    continue
                for key, _ in selector.select(timeout):
                    fd = key.fd
                    if fd == self._pidfd:
                        selector.unregister(fd)
                        self._on_exit()
                        deadline = min(deadline, time.monotonic() + _GRACE_S)
                    elif fd == self.stdin_fd:
                        try:
                            pending = pending[os.write(fd, pending[:_CHUNK]):]
                        except BrokenPipeError:
                            pending = pending[:0]
                        if not pending:
                            selector.unregister(fd)
                            self._close_stdin()
                    else:
                        chunk = os.read(fd, _CHUNK)
                        if not chunk:
                            selector.unregister(fd)
                            del streams[fd]
                        elif not streams[fd].add(chunk):
                            self.hit("output")
        finally:
            selector.close()

    def _on_exit(self) -> None:
        self._exited_at = time.monotonic()
        if self.level is Isolation.NONE:
            self._kill_group()
        elif self.level is Isolation.PROCESS or self._pid1fd is None:
            # Without a pid namespace (or if bwrap's pid 1 was never known) a process that left the session,
            # a double-forked daemon, outlives the command: everything of the run's uid goes.
            _procs.kill_uid_processes(self._lease.uid)

    def start_clock(self) -> None:
        """Start the wall time of a command started ahead of its work (``clock_running`` False) now."""
        self._started_at = time.monotonic()
        self.clock_running = True

    def hit(self, limit: str) -> None:
        """End the run for going past ``limit``."""
        if self.limit_hit is None:
            self.limit_hit = limit
            self._kill()

    def stop(self) -> None:
        """Kill the command if it still runs, without calling that a limit. A command that already ended by
        itself (its pidfd is readable, even if the watchdog has not looked yet) is left as it is, so that a
        limit it evidently died of (out of memory, say) is still reported."""
        if self._pidfd >= 0 and self._exited_at is None and self._kills == 0 \
                and not select.select([self._pidfd], [], [], 0)[0]:
            self._stopping = True
            self._kill()

    def _kill(self, hard: bool = False) -> None:
        self._kills += 1
        if self.level is not Isolation.NAMESPACES:
            self._kill_group()
            return
        # Killing pid 1 would take the whole pid namespace with it, but the kernel discards the resource usage
        # of what it kills that way. So first everything of the run's uid but pid 1 dies: pid 1 reaps the
        # command (keeping its usage) and exits. Only when there was nothing to kill yet (bwrap still setting
        # up) or that did not end the run, pid 1 itself goes.
        spare = self._pid1
        if not hard and spare is not None and _procs.kill_uid_processes(self._lease.uid, spare=spare):
            return
        with contextlib.suppress(ProcessLookupError):
            target = self._pid1fd if self._pid1fd is not None else self._pidfd
            signal.pidfd_send_signal(target, signal.SIGKILL)

    def _kill_group(self) -> None:
        # The group leader is our child and not reaped before finish(), so its group id cannot be reused.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, signal.SIGKILL)

    # -- results --------------------------------------------------------------------------------------------

    def finish(self, collect: Sequence[str]) -> SandboxResult:
        """Reap the command (after :meth:`supervise`) and report what it did."""
        wait_status, usage = self._reap()
        exit_code = os.waitstatus_to_exitcode(wait_status)
        sig = -exit_code if exit_code < 0 else None
        if self._status is not None:
            exited = self._status.next()
            if exited is None and self.limit_hit is None and not self._stopping:
                detail = self._first_error_line()
                raise SandboxError(f"sandbox: bubblewrap could not start the command: {detail}")
            # bwrap reports a command killed by signal N as status 128 + N, as a shell does.
            if sig is None and 128 < exit_code <= 128 + signal.SIGRTMAX:
                sig = exit_code - 128
        exit_code_or_none = None if sig is not None else exit_code
        # wait4 counts the command and the descendants that were waited for; the run's cgroup, where it keeps
        # the figure, every process of the run (a child never reaped, killed with the run, included).
        cpu_time_s = usage.ru_utime + usage.ru_stime
        run_cpu_s, run_peak_mb = self._cgroup.usage() if self._cgroup is not None else (None, None)
        stderr = bytes(self._stderr.data)
        limit_hit = self.limit_hit
        if limit_hit in (None, "wall_time") and self._cgroup is not None and self._cgroup.oom_killed():
            # The kernel's own count, for the run as a whole; a run that then went on to its wall time did
            # so for want of what was killed.
            limit_hit = "memory"
        if limit_hit is None and self.level is not Isolation.NONE and not self._stopping:
            # RLIMIT_CPU binds each process: the command's own time is the one to hold against it.
            limit_hit = _limits.limit_evident(self.limits, exit_code=exit_code_or_none, sig=sig,
                                              cpu_time_s=cpu_time_s, stderr=stderr)
        return SandboxResult(
            exit_code=exit_code_or_none,
            signal=sig,
            stdout=bytes(self._stdout.data),
            stderr=stderr,
            stdout_truncated=self._stdout.truncated,
            stderr_truncated=self._stderr.truncated,
            wall_time_s=(self._exited_at or time.monotonic()) - self._started_at,
            cpu_time_s=run_cpu_s if run_cpu_s is not None else cpu_time_s,
            peak_memory_mb=run_peak_mb if run_peak_mb is not None else usage.ru_maxrss / 1024,
            limit_hit=limit_hit,
            files=_workdir.collect(self._workdir, collect, self.limits.output_bytes),
        )

    def _first_error_line(self) -> str:
        lines = bytes(self._stderr.data).decode(errors="replace").strip().splitlines()
        return lines[0] if lines else "no message"

    def _reap(self) -> tuple[int, resource.struct_rusage]:
        _, wait_status, usage = os.wait4(self._popen.pid, 0)
        self._reaped = True
        # Tell Popen, so that it does not try to reap the pid again later.
        self._popen.returncode = os.waitstatus_to_exitcode(wait_status)
        return wait_status, usage

    def _close_stdin(self) -> None:
        if self.stdin_fd is not None:
            os.close(self.stdin_fd)
            self.stdin_fd = None

    def close(self) -> None:
        """Kill and reap what is left, remove the work dir, give the uid back. Safe to call more than once."""
        with _signals_deferred():  # a stop in the middle would leave a mounted work dir or a cgroup
            _live.discard(self)
            try:
                if self._popen is not None and not self._reaped:
                    self._kill(hard=True)
                    self._reap()
                    if self.level is not Isolation.NONE:
                        _procs.kill_uid_processes(self._lease.uid)
                for fd in (self._pidfd, self._pid1fd, self._out_fd, self._err_fd, self.channel_fd):
                    if fd is not None and fd >= 0:
                        os.close(fd)
                self._pidfd = self._out_fd = self._err_fd = -1
                self._pid1fd = self.channel_fd = None
                self._close_stdin()
                if self._status is not None:
                    self._status.close()
                    self._status = None
                if self._cgroup is not None:
                    self._cgroup.close()
                    self._cgroup = None
                if self._workdir is not None:
                    workdir, self._workdir = self._workdir, None
                    _workdir.remove(workdir, mounted=self._lease is not None)
            finally:
                # Even if removing the work dir failed: a work dir left behind is found again by remove_stale().
                if self._lease is not None:
                    self._lease.release()
                    self._lease = None
