"""How the Python harness starts: warm, forked from a zygote that has it loaded, or cold, a fresh interpreter.

The warm path (on unless ``verifier.warm.python: false``, at the ``namespaces`` level) keeps one
:class:`codekiln.sandbox.Zygote` per process: the sandbox's interpreter with ``kiln_harness.pyc`` loaded,
inside the sandbox's namespaces. Every run of the harness, the signature tests' and both programs of the
native tests' relay (the tester and the solver), is a child forked from it, with the uid, namespaces,
limits, cgroup and private directories of a cold run; it saves the interpreter's and bubblewrap's start-up.
A zygote that cannot take a run (it did not start, it died, a run's set-up failed) costs nothing but speed:
that run takes the cold path and the sample's verdict lists the fallback.
"""

from __future__ import annotations

import os
import py_compile
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codekiln import value_codec
from codekiln.sandbox import PYTHON, Isolation, SandboxError, SandboxResult, Zygote
from codekiln.verifier.relay import Program
from codekiln.verifier.runner import SandboxRunner
from codekiln.verifier.warm import note_fallback, on_exit

__all__ = ["HARNESS", "HARNESS_FILES", "INTERPRETER", "PATH_VARIABLE", "PYTHON", "PYTHON_PATH", "program", "run",
           "start", "zygote"]

_HERE = Path(__file__).parent
#: The bare interpreter: standard library only, no site-packages (but see PYTHON_PATH).
INTERPRETER = (PYTHON, "-I", "-S", "-B")
HARNESS = "kiln_harness.pyc"
#: The variable that names the folders of the harness's sys.path after the standard library's.
PATH_VARIABLE = "KILN_PYTHON_PATH"


def _python_path() -> tuple[str, ...]:
    """``CODEKILN_PYTHON_PATH``'s folders that exist, absolute: third-party packages (a virtualenv's
    site-packages, say) that a user lets solutions and tests import, read-only. Read once per process."""
    listed = os.environ.get("CODEKILN_PYTHON_PATH", "").split(os.pathsep)
    return tuple(dict.fromkeys(os.path.abspath(folder) for folder in listed if folder and os.path.isdir(folder)))


#: The folders of third-party packages shown to the sandbox, after the standard library on sys.path.
PYTHON_PATH = _python_path()
_RO_PATHS = (sys.base_prefix, *PYTHON_PATH)
_ENV = {PATH_VARIABLE: os.pathsep.join(PYTHON_PATH)} if PYTHON_PATH else {}


def _bytecode(source: Path) -> bytes:
    """``source`` compiled to a .pyc that needs no source beside it: compiling the harness afresh in every
    run's new directory would cost ~5 ms a sample (the sandbox runs this same interpreter)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "compiled.pyc"
        py_compile.compile(str(source), cfile=str(target), doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        return target.read_bytes()


#: The harness and its codec, which a cold run gets in its directory and the zygote has loaded.
HARNESS_FILES = {
    HARNESS: _bytecode(_HERE / "harness.py"),
    "kiln_wire.pyc": _bytecode(Path(value_codec.__file__)),
}

#: Standard modules that solutions and benchmark tests often import (HumanEval: typing in 21 of 164 prompts,
#: then math, random, copy, string): loaded in the zygote, they cost a run nothing (``typing`` and what it
#: pulls in take 14 ms to import in a fresh interpreter).
PRELOAD = ("bisect", "collections", "copy", "functools", "heapq", "itertools", "math", "random", "re", "string",
           "typing")

_zygote = Zygote(PYTHON, HARNESS, HARNESS_FILES, ro_paths=_RO_PATHS, preload=PRELOAD)
on_exit(_zygote.close)


def zygote(runner: SandboxRunner) -> Zygote | None:
    """The zygote that runs for ``runner`` fork from; None when they start cold: the warm path is switched off,
    or the isolation level is not ``namespaces`` (the zygote lives in the sandbox's namespaces)."""
    if runner.warm("python") and runner.isolation is Isolation.NAMESPACES:
        return _zygote
    return None


def run(runner: SandboxRunner, args: list[str], files: Mapping[str, str], stdin: bytes) -> SandboxResult:
    """``kiln_harness.pyc ARGS`` with ``files`` beside it, to completion, under ``runner``'s limits."""
    warm = zygote(runner)
    if warm is not None:
        try:
            return warm.run([HARNESS, *args], files=files, stdin=stdin, limits=runner.limits, env=_ENV)
        except SandboxError as exc:  # nothing of the sample has been judged yet: run it again, cold
            note_fallback("python", str(exc).removeprefix("sandbox: "))
    return runner.run([*INTERPRETER, HARNESS, *args], files={**HARNESS_FILES, **files}, stdin=stdin, env=_ENV,
                      ro_paths=_RO_PATHS)


def program(args: list[str], files: Mapping[str, str]) -> Program:
    """``kiln_harness.pyc ARGS`` as one side of the relay (:mod:`codekiln.verifier.relay`), started by
    :func:`start`."""
    return Program([*INTERPRETER, HARNESS, *args], files={**HARNESS_FILES, **files}, env=_ENV,
                   ro_paths=_RO_PATHS, start=start)


def start(runner: SandboxRunner, program: Program) -> Any:
    """Start a :func:`program` to talk to, under ``runner``'s limits: warm if it can, else cold."""
    warm = zygote(runner)
    if warm is not None:
        files = {name: content for name, content in program.files.items() if name not in HARNESS_FILES}
        try:
            return warm.spawn(program.argv[len(INTERPRETER):], files=files, limits=runner.limits, env=program.env)
        except SandboxError as exc:
            note_fallback("python", str(exc).removeprefix("sandbox: "))
    return runner.spawn(program.argv, files=program.files, env=program.env, ro_paths=program.ro_paths)

