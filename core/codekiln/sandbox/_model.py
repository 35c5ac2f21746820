"""The sandbox's value types: isolation levels, results, errors."""

from __future__ import annotations

import enum

import attrs

from ..errors import CodekilnError


class SandboxError(CodekilnError):
    """A run was asked for something invalid (a bad file path, an invisible program), or failed to start."""


class Isolation(enum.Enum):
    """How strongly a run is isolated; the values are the strings users type."""

    #: Trusted code (tests): own session and process group, wall timeout, output cap, private work dir and
    #: the given environment only; it runs as the caller.
    NONE = "none"
    #: Adds rlimits and an unprivileged uid of the run's own.
    PROCESS = "process"
    #: Adds new pid/net/ipc/uts/mount namespaces; only the system directories and ``ro_paths`` are visible.
    NAMESPACES = "namespaces"

    @classmethod
    def parse(cls, value: Isolation | str) -> Isolation:
        if isinstance(value, cls):
            return value
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(level.value for level in cls)
            raise SandboxError(f"sandbox: unknown isolation level {value!r}; available: {names}") from None


@attrs.frozen
class SandboxResult:
    """What one run did. ``exit_code`` is None when a signal (``signal``) ended the command."""

    exit_code: int | None
    signal: int | None
    #: At most ``Limits.output_bytes`` each; ``*_truncated`` says whether more was written.
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    wall_time_s: float
    #: User plus system time of every process of the run, from its cgroup; where there is none (or the kernel
    #: does not keep it), of the command and every descendant that was waited for (see ``codekiln.sandbox``).
    cpu_time_s: float
    #: The peak of the memory charged to the run's cgroup; where there is none, the largest resident set size
    #: among the processes above, with the launching process's own counted in (see ``codekiln.sandbox``).
    peak_memory_mb: float
    #: None, "wall_time", "cpu_time", "memory", "output", "file_size" or "processes".
    limit_hit: str | None
    #: Contents of the files named in ``collect`` that exist as regular files after the run (each bounded).
    files: dict[str, bytes]
