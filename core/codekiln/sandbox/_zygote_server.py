"""The warm process of a :class:`codekiln.sandbox.Zygote`: it runs inside the sandbox and forks one run per request.

It is copied into the sandbox compiled, as ``kiln_zygote.pyc``, and run by the sandbox's interpreter as
``python -I -S -B kiln_zygote.pyc SOCKET_FD PROGRAM [MODULE ...]``, so it imports the standard library only. It
loads ``PROGRAM`` (a module whose ``main()`` does one run, reading ``sys.argv``) and imports each ``MODULE``
(those the runs often import; one that fails is skipped), says ``ready`` on its socket, and
then waits for requests. It runs as root inside bubblewrap's namespaces, with the capabilities a run's set-up
needs (see ``_zygote.CAPS``), and never runs a sample's code itself.

A request is one message on the socket: a JSON header and, as SCM_RIGHTS, the descriptors it names: the
run's status pipe, its kill pipe, its stdin, stdout and stderr (and channel) pipes, its cgroups' entry files
(``RunGroup.entry_files``) opened by the verifier, and one memfd per input file. The zygote clones the run's
pid 1 for it and goes back to waiting; the request's contents never enter the zygote itself (the files travel
as memfds, read by the child), so nothing of one run can reach the next through the zygote's memory.

Each run is two processes, so that it gets what a cold run gets from bubblewrap and setpriv:

- **pid 1** (root, as bubblewrap's pid 1 is outside the run's uid): cloned by the zygote straight into new
  mount, pid, IPC, network and UTS namespaces (``_clone_pid1``), the pid 1 of its new pid namespace. It makes
  fresh tmpfs on ``/sandbox`` (the work dir, owned by the run's uid, holding the input files), ``/tmp`` (with
  the zygote's read-only folders below /tmp bound in again) and ``/dev/shm``, mounts ``/proc`` for the new pid
  namespace, forks the command, waits for it (or for the kill pipe: then it kills everything else in the
  namespace), and writes the command's wait status and resource
  usage on the status pipe. When it exits, the kernel kills whatever is left in the namespace.
- **the command** (pid 2): enters the run's cgroups, starts a new session, sets the rlimits, drops to the
  run's uid (no supplementary groups, no capabilities in any set, no-new-privileges), takes the run's pipes
  as fds 0-2 (and 3), closes every other descriptor, and runs ``PROGRAM.main()`` with the run's ``argv``,
  environment and work dir, ``PROGRAM`` being ``__main__`` by then, as a script is. It then ends as a script
  does (an uncaught exception is printed and exits with status 1, ``SystemExit`` is honoured, threads are
  waited for, ``atexit`` handlers run, buffered output is flushed), short of the interpreter's finalization.

A failure of the set-up (ours, never the sample's: no code of the sample has run) is written on the status
pipe as ``{"error": ...}``.
"""

import atexit
import contextlib
import ctypes
import gc
import importlib.util
import json
import os
import resource
import select
import signal
import socket
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
_CAPABILITY_VERSION_3 = 0x20080522
MAX_FILES = 65536  # inodes of the work dir, as a cold run's (``_workdir``)
SANDBOX_DIR = "/sandbox"

# Looked up here, once: what a run's processes would first look up or build themselves (ctypes' function
# objects and array types) would cost each run its own copy.
_libc = ctypes.CDLL(None, use_errno=True)
_mount, _prctl, _capset = _libc.mount, _libc.prctl, _libc.capset
_CapHeader, _CapData = ctypes.c_uint32 * 2, ctypes.c_uint32 * 6
with open("/proc/sys/kernel/cap_last_cap", "rb") as _file:
    LAST_CAP = int(_file.read())
#: The clone system call's number on the machines codekiln knows; elsewhere the zygote does not start and every
#: run takes the cold path.
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
RUN_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS


class SetupError(Exception):
    pass


def _check(status, what):
    if status != 0:
        raise SetupError(f"{what}: {os.strerror(ctypes.get_errno())}")


def _mount_tmpfs(target, options):
    _check(_mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()),
           f"mount a tmpfs on {target}")


def _fresh_tmp(scratch, binds):
    """A fresh tmpfs on /tmp, with the read-only ``binds`` below /tmp (the zygote's own, as bubblewrap bound them)
    bound in again, read-only: each is held open while /tmp is covered, then bound from its descriptor."""
    held = [(path, os.open(path, os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path) else 0))) for path in binds]
    _mount_tmpfs("/tmp", f"size={scratch},mode=1777")
    for path, fd in held:
        parts = path.split("/")[2:]  # below /tmp: root's folders of mode 0755, as bubblewrap makes them
        for depth in range(1, len(parts)):
            folder = "/tmp/" + "/".join(parts[:depth])
            if not os.path.isdir(folder):
                os.mkdir(folder)
                os.chmod(folder, 0o755)
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.mkdir(path)
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
        _check(_mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND, None), f"bind {path}")
        _check(_mount(None, path.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
               f"make {path} read-only")
        os.close(fd)


def _write_files(names, fds, uid):
    """The run's input files, from their memfds, into the work dir; then the dir is handed to the run's uid."""
    directories = [SANDBOX_DIR]  # handed over last: without CAP_DAC_OVERRIDE, root writes only in its own
    for name, fd in zip(names, fds):
        *parents, filename = name.split("/")
        directory = SANDBOX_DIR
        for part in parents:
            directory = os.path.join(directory, part)
            if not os.path.isdir(directory):
                os.mkdir(directory)
                directories.append(directory)
        out = os.open(os.path.join(directory, filename), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                      0o644)
        try:
            os.fchown(out, uid, uid)
            while chunk := os.read(fd, 1 << 20):
                os.write(out, chunk)
        finally:
            os.close(out)
        os.close(fd)
    os.chmod(SANDBOX_DIR, 0o700)
    for directory in reversed(directories):  # the work dir last: root may not pass through it after
        os.chown(directory, uid, uid)


def _drop_privileges(uid):
    for cap in range(LAST_CAP + 1):
        _check(_prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop the capability bounding set")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # this clears the permitted and effective sets
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = _CapData()  # effective, permitted, inheritable (two words each): all empty
    _check(_capset(header, data), "clear the capabilities")
    _check(_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no-new-privileges")


def _report(fd, row):
    os.write(fd, json.dumps(row).encode() + b"\n")


def _error(exc):
    return {"error": f"{type(exc).__name__}: {exc}"}


def _confine(request, fds):
    """The run's command, before its program: its cgroups, session, rlimits, uid, descriptors, environment."""
    for fd in fds["cgroup"]:
        os.write(fd, b"0")  # "0" is the writer itself; the verifier, who opened the file, had the permission
        os.close(fd)
    os.setsid()
    for name, soft, hard in request["rlimits"]:
        resource.setrlimit(getattr(resource, "RLIMIT_" + name.upper()), (soft, hard))
    _drop_privileges(request["uid"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(SANDBOX_DIR)
    sys.argv = list(request["argv"])
    stdin = fds["stdin"] or [os.open("/dev/null", os.O_RDONLY)]
    streams = [*stdin, *fds["stdout"], *fds["stderr"], *fds["channel"]]
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
    os.closerange(len(streams), 1 << 20)


def _clone_pid1():
    """A child in the run's new namespaces, the pid 1 of its new pid namespace: 0 in it, its pid in the zygote.

    The raw system call, as bubblewrap makes its own pid 1: Python has no clone(), and fork() then unshare()
    would take a second fork (a new pid namespace holds only the children of the process that made it), one more
    process to copy, fault in and tear down per run. The child skips the interpreter's after-fork hooks, which
    is safe here: the zygote has one thread and holds no lock across the call (ctypes releases the GIL for it),
    and the run's command, forked by os.fork(), runs them.
    """
    zero = ctypes.c_long(0)
    pid = _syscall(ctypes.c_long(_SYS_CLONE), ctypes.c_long(RUN_NAMESPACES | signal.SIGCHLD), zero, zero, zero, zero)
    if pid < 0:
        raise SetupError(f"clone into new namespaces: {os.strerror(ctypes.get_errno())}")
    return pid


def _check_clone():
    """Fail the zygote's start, rather than each run, where a run's pid 1 cannot be cloned."""
    if _SYS_CLONE is None:
        raise SetupError(f"no clone system call known for this machine ({os.uname().machine})")
    pid = _clone_pid1()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _start_pid1(request, fds):
    """The run's pid 1, in its new namespaces: its file systems, then the command. Returns only in the run's
    command, confined; else waits for it, reports and exits."""
    status = fds["status"][0]
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote ignores it; pid 1 must wait for the command
        # Nothing mounted from here on may reach the zygote's mount namespace.
        _check(_mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
        scratch = request["scratch_bytes"]
        _mount_tmpfs(SANDBOX_DIR, f"size={scratch},nr_inodes={MAX_FILES},mode=0755")
        _fresh_tmp(scratch, request["tmp_binds"])
        _mount_tmpfs("/dev/shm", f"size={scratch},mode=1777")
        _write_files(request["files"], fds["file"], request["uid"])
        _check(_mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")
        command = os.fork()
        if command == 0:
            os.close(fds["kill"][0])
            _confine(request, fds)
            return
    except BaseException as exc:
        _report(status, _error(exc))
        os._exit(125)
    for role in ("stdin", "stdout", "stderr", "channel", "cgroup"):
        for fd in fds[role]:
            os.close(fd)
    pidfd = os.pidfd_open(command)
    ready, _, _ = select.select([pidfd, fds["kill"][0]], [], [])
    if pidfd not in ready:  # told to stop, or the verifier is gone: everything of the run dies but us
        os.kill(-1, signal.SIGKILL)
    _, wait_status, usage = os.wait4(command, 0)
    _report(status, {"status": wait_status, "utime": usage.ru_utime, "stime": usage.ru_stime,
                     "maxrss": usage.ru_maxrss})
    os._exit(0)


def _take_fds(roles, received):
    fds = {role: [] for role in ("status", "kill", "stdin", "stdout", "stderr", "channel", "cgroup", "file")}
    for role, fd in zip(roles, received):
        fds[role].append(fd)
    return fds


def _load(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path).split(".")[0], path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def serve(sock, program):
    """Answer requests until the verifier closes the socket. Returns in a run's command too, which then runs
    the program and ends with it, as a script would."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the runs' pid 1s are reaped at once
    sock.send(b"ready")
    while True:
        message, received, _, _ = socket.recv_fds(sock, 1 << 16, 253)
        if not message:  # the verifier closed its end, or died: end, and with us every run still going
            return False
        request = json.loads(message)
        fds = _take_fds(request["fds"], received)
        try:
            pid1 = _clone_pid1()
        except SetupError as exc:
            with contextlib.suppress(OSError):  # the verifier may be gone; the zygote carries on
                _report(fds["status"][0], _error(exc))
            pid1 = -1
        if pid1 == 0:
            sock.close()
            _start_pid1(request, fds)
            return True
        for fd in received:
            os.close(fd)


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    _check_clone()
    program = _load(sys.argv[2])
    for name in sys.argv[3:]:
        with contextlib.suppress(Exception):  # a run that needs it will say why it is missing
            __import__(name)
    os.chdir("/")
    # The interpreter builds its ~120 AST node types at the first compile() of source text (1.5 ms): built here
    # once, every run that compiles code (a solution, a benchmark's tests) finds them ready.
    compile("", "<zygote>", "exec")
    # What the zygote holds stays out of the collector's way: a run's collections then leave its pages shared.
    gc.freeze()
    if serve(sock, program):
        # The program runs as a script does: as __main__, and not importable by its own name.
        del sys.modules[program.__name__]
        program.__name__ = "__main__"
        sys.modules["__main__"] = program
        _run_as_script(program)


def _run_as_script(program):
    """``program.main()``, ended as a script ends (its exit status, threads, ``atexit`` handlers, buffered
    output) but without the interpreter's finalization: in a forked child, tearing down every module touches
    every object of the zygote's heap, copying its pages, which cost more than a whole run."""
    try:
        program.main()
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()  # as the interpreter does first: wait for the threads that are not daemons
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream loses its last output, as a script's
            stream.flush()
    os._exit(status)


def _exit_status(code):
    """The exit status of ``raise SystemExit(code)`` in a script."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    main()
