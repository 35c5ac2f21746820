"""Resource limits: what a run may use, how they become rlimits, and how a hit limit is recognised."""

from __future__ import annotations

import math
import signal

import attrs

MiB = 1024 * 1024

_positive = attrs.validators.gt(0)


@attrs.frozen
class Limits:
    """The budget of one run. Every limit but the wall time and the output cap is an rlimit, so it binds
    each process of the run separately (``processes`` binds the run's uid as a whole); where the machine
    gives cgroups, the run as a whole is also bound to ``processes`` tasks and 4 x ``memory_mb`` of memory
    (see ``codekiln.sandbox._cgroup``)."""

    wall_time_s: float = attrs.field(default=10.0, validator=_positive)
    #: Rounded up to whole seconds (the rlimit's unit): SIGXCPU then, SIGKILL one second later.
    cpu_time_s: float = attrs.field(default=10.0, validator=_positive)
    #: Per process; also the size cap of each of the run's tmpfs (work dir, /tmp, /dev/shm) above ``none``, and
    #: a quarter of the run's whole memory where it has a cgroup.
    memory_mb: int = attrs.field(default=512, validator=_positive)
    #: "address_space" (RLIMIT_AS) or "data" (RLIMIT_DATA, needed by the JVM and V8; see the package docs).
    memory_kind: str = attrs.field(default="address_space",
                                   validator=attrs.validators.in_(("address_space", "data")))
    #: Processes and threads the command may have at once.
    processes: int = attrs.field(default=64, validator=_positive)
    file_size_mb: int = attrs.field(default=16, validator=_positive)
    open_files: int = attrs.field(default=256, validator=_positive)
    #: Kept per stream; a command that writes more is killed with ``limit_hit="output"``.
    output_bytes: int = attrs.field(default=1_048_576, validator=_positive)


def rlimits(limits: Limits, own_processes: int) -> list[tuple[str, int, int]]:
    """``(name, soft, hard)`` of each rlimit a run gets, named as util-linux ``prlimit``'s options and, in upper
    case after ``RLIMIT_``, as the :mod:`resource` module's constants; ``own_processes`` run under the run's uid
    besides the command."""
    cpu = math.ceil(limits.cpu_time_s)
    memory = limits.memory_mb * MiB
    nproc = limits.processes + own_processes
    fsize = limits.file_size_mb * MiB
    return [
        ("cpu", cpu, cpu + 1),
        ("as" if limits.memory_kind == "address_space" else "data", memory, memory),
        ("nproc", nproc, nproc),
        ("fsize", fsize, fsize),
        ("nofile", limits.open_files, limits.open_files),
        # A core dump would land in the work dir, and its size is not the command's output.
        ("core", 0, 0),
    ]


def prlimit_args(limits: Limits, own_processes: int) -> list[str]:
    """Options for util-linux ``prlimit``; ``own_processes`` run under the run's uid besides the command."""
    return [f"--{name}={soft}:{hard}" for name, soft, hard in rlimits(limits, own_processes)]


# An rlimit that makes a call fail leaves no trace but the error the runtime prints; these are the kernel's
# error texts (strerror of ENOMEM, EAGAIN, EFBIG; a shell's report of SIGXCPU and SIGXFSZ) and the runtimes'
# out-of-memory messages, searched only when the run failed. A command can print them on purpose, which only
# earns it a failure it could have had anyway.
_EVIDENCE = (
    ("cpu_time", (b"CPU time limit exceeded",)),
    # V8 says "JavaScript heap out of memory" at its heap limit, "Allocation failed - process out of memory"
    # when the kernel refuses one large allocation below it (new Array(2 ** 28) under RLIMIT_DATA).
    ("memory", (b"MemoryError", b"std::bad_alloc", b"JavaScript heap out of memory", b"Fatal process OOM",
                b"Allocation failed - process out of memory", b"java.lang.OutOfMemoryError",
                b"insufficient memory for the Java Runtime", b"Cannot allocate memory")),
    ("processes", (b"Resource temporarily unavailable", b"unable to create native thread")),
    ("file_size", (b"File too large", b"File size limit exceeded", b"No space left on device")),
)


def limit_evident(limits: Limits, *, exit_code: int | None, sig: int | None, cpu_time_s: float,
                  stderr: bytes) -> str | None:
    """The rlimit a failed run evidently hit, or None (the run succeeded, or nothing points at a limit)."""
    if exit_code == 0:
        return None
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_time_s >= math.ceil(limits.cpu_time_s)):
        return "cpu_time"
    if sig == signal.SIGXFSZ:
        return "file_size"
    # A SIGKILL that neither we nor the CPU limit sent is no evidence of the OOM killer: the command can kill
    # itself, or a harness its own child. Peak memory is no evidence either: the caller's own inflates it.
    for limit, markers in _EVIDENCE:
        if any(marker in stderr for marker in markers):
            return limit
    return None
