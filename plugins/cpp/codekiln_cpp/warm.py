"""How a C++ program runs: in a run forked from a zygote, which then executes it (warm), or in a sandbox started
for it (cold).

C++ has no runtime to keep warm, but a cold run starts bubblewrap and executes two programs of the sandbox's
before the program itself (its pid 1 and ``setpriv``). The warm path (on unless ``verifier.warm.cpp: false``, at
the ``namespaces`` level) keeps one :class:`codekiln.sandbox.Zygote` per process instead: the sandbox's Python
interpreter inside the sandbox's namespaces, running nothing but :data:`PROGRAM`. Every run of a program (the
signature tests', and both programs of a native run's relay) is forked from it with the uid, namespaces, limits,
cgroup and private directories of a cold run, and then executes the system's dynamic loader on the program, as
the cold path does. ``execve`` replaces the forked interpreter, so the program starts from nothing of the
zygote's. On the 2-core VM, a run of a program that prints one line took 4.4 ms of CPU, all processes counted,
against 8.9 ms cold.

A zygote that cannot take a run (it did not start, it died, a run's set-up failed) costs nothing but speed: that
run takes the cold path and the sample's verdict lists the fallback.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from codekiln.sandbox import PYTHON, Isolation, SandboxError, SandboxResult, Zygote
from codekiln.verifier.relay import Program
from codekiln.verifier.runner import SandboxRunner
from codekiln.verifier.warm import note_fallback, on_exit

__all__ = ["PROGRAM", "program", "run", "start", "zygote"]

#: What each run does once its set-up has confined it: execute its command in place of the forked interpreter.
PROGRAM = "kiln_exec.py"
# Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across execve: the program gets every
# signal at its default action, as a program the sandbox starts does (a write past the file-size limit kills it).
_EXEC = """\
import os
import signal
import sys


def main():
    for number in signal.valid_signals():
        if number not in (signal.SIGKILL, signal.SIGSTOP) and signal.getsignal(number) == signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.execv(sys.argv[1], sys.argv[1:])
"""
#: The forked interpreter holds some 15 MB of address space until it executes the program, under the program's
#: memory limit: with less than this, a run takes the cold path, where nothing but the program counts.
_MIN_MEMORY_MB = 64

_zygote = Zygote(PYTHON, PROGRAM, {PROGRAM: _EXEC}, ro_paths=(sys.base_prefix,))
on_exit(_zygote.close)


def zygote(runner: SandboxRunner) -> Zygote | None:
    """The zygote that runs for ``runner`` fork from; None when they start cold: the warm path is switched off,
    the isolation level is not ``namespaces`` (the zygote lives in the sandbox's namespaces), or the memory limit
    is below :data:`_MIN_MEMORY_MB`."""
    if (runner.warm("cpp") and runner.isolation is Isolation.NAMESPACES
            and runner.limits.memory_mb >= _MIN_MEMORY_MB):
        return _zygote
    return None


def run(runner: SandboxRunner, argv: Sequence[str], files: Mapping[str, bytes]) -> SandboxResult:
    """``argv`` with ``files`` in its work dir, to completion, under ``runner``'s limits."""
    warm = zygote(runner)
    if warm is not None:
        try:
            return warm.run([PROGRAM, *argv], files=files, limits=runner.limits, env={})
        except SandboxError as exc:  # nothing of the sample has run yet: run it again, cold
            note_fallback("cpp", str(exc).removeprefix("sandbox: "))
    return runner.run(argv, files=files)


def program(argv: Sequence[str], files: Mapping[str, bytes]) -> Program:
    """``argv`` as one side of the relay (:mod:`codekiln.verifier.relay`), started by :func:`start`."""
    return Program(list(argv), files=dict(files), start=start)


def start(runner: SandboxRunner, program: Program) -> Any:
    """Start a :func:`program` to talk to, under ``runner``'s limits: warm if it can, else cold."""
    warm = zygote(runner)
    if warm is not None:
        try:
            return warm.spawn([PROGRAM, *program.argv], files=program.files, limits=runner.limits, env=program.env)
        except SandboxError as exc:
            note_fallback("cpp", str(exc).removeprefix("sandbox: "))
    return runner.spawn(program.argv, files=program.files, env=program.env, ro_paths=program.ro_paths)
