"""The Java warm path: javac kept warm in a JVM of its own, and each sample's JVM started while it compiles.

The cold path starts two JVMs per sample: ``javac`` (about 0.4 s, most of it the compiler's start-up and
warm-up) and ``java KilnMain``. The warm path:

- **Compile** in a compile server (``kiln.CompileServer``): one JVM per verifier worker process, in a
  sandbox of its own (its own uid, namespaces, limits: javac's memory, processes and output), running the
  JDK's compiler through ``javax.tools``, one compile per request, the sources and the class files in
  memory. It never runs code of a sample: annotation processing is off (``-proc:none``), and each compile
  gets a compiler context of its own, so what one sample's source does to the compiler (symbols, errors,
  warnings) is gone for the next; only the JDK's and kiln.jar's classes, read-only, stay. Its answer is
  what ``javac`` prints (the same diagnostics, positions and counts) and the class files it writes. Its
  wall time runs from each request: idle for :data:`SERVER_IDLE_S` it is ended by the sandbox (one idle
  for half that is replaced before it is used). It is replaced after :data:`MAX_COMPILES` compiles, and
  after anything unusual (a crash within javac, a
  compile past its wall-time budget, a server found dead): that sample is compiled by a ``javac`` of its own,
  as on the cold path, and the fallback is recorded (:func:`codekiln.verifier.warm.note_fallback`). A
  compile whose thread spends javac's CPU limit is that limit's compile error, as it is for a cold ``javac``,
  and is not compiled again (that would cost the limit twice); the server is replaced.
- **Run**: the sample's JVM is started, in a fresh sandbox of its own, when its compile begins
  (``kiln.Launch`` waits on stdin, the harness loaded), so the two overlap. The run stage hands it the
  class files and the tests' arguments and starts its wall time (``spawn(ahead=True)``); it then runs
  exactly as ``java KilnMain`` does on the cold path, and is used for that one sample only. It is killed
  if the sample does not compile. A JVM that is gone before its sample is handed over is a broken warm
  path: the run takes the cold path, recorded.

Only signature tests take it; a benchmark's native tests (the relay's two sandboxes) stay cold, and their
trusted test classes are compiled by the compile server when it is up. Everything kept is ended with the
process (:func:`codekiln.verifier.warm.on_exit`); the sandboxes' ``--die-with-parent`` ends them with a
process that dies without that.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from codekiln.languages import READY_ROW
from codekiln.sandbox import SandboxError
from codekiln.verifier.runner import SandboxRunner
from codekiln.verifier.warm import note_fallback, on_exit

from .javac import COMPILE_LIMITS, JAVAC_OPTIONS, JavacRun

__all__ = ["COMPILE_BUDGET_S", "COMPILE_CPU_S", "MAX_COMPILES", "SERVER_IDLE_S", "compile_warm", "end_run",
           "run_ahead", "start_run"]

#: The compile server's sandbox ends it after this long without a request (and bounds a request that the
#: server's own per-compile budget failed to end).
SERVER_IDLE_S = 600.0
#: A compile's CPU budget in the server (its compile thread's), javac's CPU limit: past it the answer is that
#: limit, the code's fault.
COMPILE_CPU_S = COMPILE_LIMITS.cpu_time_s
#: A compile's wall-time budget in the server: past it first (a busy machine) the server ends without an
#: answer. Longer than the CPU budget, since one thread's CPU time can only reach that after as long a wall time.
COMPILE_BUDGET_S = 1.5 * COMPILE_CPU_S
#: Compiles per server before a fresh one replaces it: what a long-lived JVM accumulates stays bounded.
MAX_COMPILES = 2000
#: The server's sandbox: javac's limits, but its CPU time is the server's whole life (a compile's own
#: budget is javac's wall time, kept by the server, which ends itself past it).
_SERVER_LIMITS = attrs.evolve(COMPILE_LIMITS, wall_time_s=SERVER_IDLE_S, cpu_time_s=36_000.0)
#: The server's JVM. C1 only (``TieredStopAtLevel=1``), as for the short-lived JVMs of JVM_OPTIONS, although the
#: server lives long: measured on the 2-core VM over 384 compiles of the built-in references, javac's CPU per
#: compile fell from 85 ms to 33 with both JIT compilers and from 44 ms to 26 with C1 alone (C2 spends the
#: cores on compiling javac, and its code was no faster once it had).
_SERVER_JVM = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto",
               f"-Xmx{COMPILE_LIMITS.memory_mb // 2}m",
               "-Xlog:disable", "-Xlog:all=warning:stderr", "-Duser.language=en", "-Dfile.encoding=UTF-8")
#: How long past its wall time a run waits for its sandbox to report the end (the watchdog ends it at the
#: wall time; this only bounds a wait that should never be needed).
_END_GRACE_S = 10.0


class _Server:
    """One compile server: ``compile`` answers a :class:`JavacRun`, or the reason it broke (a str)."""

    def __init__(self, jdk: Any, jar: bytes, runner: SandboxRunner) -> None:
        argv = [jdk.java, *_SERVER_JVM, "-cp", "kiln.jar", "kiln.CompileServer", str(COMPILE_BUDGET_S),
                str(COMPILE_CPU_S), "kiln.jar", *JAVAC_OPTIONS]
        self.key = (jdk, runner.isolation)
        self.compiles = 0
        self.used_at = time.monotonic()
        self._proc = attrs.evolve(runner, limits=_SERVER_LIMITS).spawn(
            ["/bin/sh", "-c", 'exec "$@" 1>&3 3>&-', "sh", *argv], files={"kiln.jar": jar}, ro_paths=jdk.ro_paths,
            ahead=True, helper=True)

    def compile(self, sources: Mapping[str, str], meanwhile: Callable[[], None]) -> JavacRun | str:
        self._proc.start_clock()  # each request starts the idle time anew
        self.used_at = time.monotonic()
        sent = self._proc.send(_files_request({name: text.encode("utf-8") for name, text in sources.items()}))
        meanwhile()
        if not sent:
            return f"the compile server was gone ({self._ended()})"
        line = self._proc.channel.readline()
        if not line.endswith(b"\n"):
            return f"the compile server ended without an answer ({self._ended()})"
        try:
            answer = json.loads(line)
            if "crash" in answer:
                return f"javac failed within the compile server: {str(answer['crash'])[:200]}"
            if answer.get("limit") == "cpu_time":
                return JavacRun("", False, limit_hit="cpu_time")
            ok = answer["ok"] is True
            classes = {name: base64.b64decode(data, validate=True) for name, data in answer["classes"].items()}
            output = str(answer["output"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # binascii.Error is a ValueError
            return f"the compile server's answer was unreadable ({type(exc).__name__})"
        self.compiles += 1
        return JavacRun(output, ok, classes if ok else {}, exit_code=0 if ok else 1)

    def _ended(self) -> str:
        result = self.close()
        if result is None:
            return "no result"
        if result.limit_hit is not None:
            return f"it hit the {result.limit_hit} limit"
        return f"signal {result.signal}" if result.signal is not None else f"exit status {result.exit_code}"

    def close(self) -> Any:
        """End it (at once) and return its sandbox result; safe to call more than once."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        proc.__exit__(None, None, None)
        return proc.result


class _Warm:
    """What this process keeps: the compile server, and the JVM each thread started for the sample it is
    compiling."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.RLock()  # close() may come from a signal handler in the thread that holds it
        self.server: _Server | None = None
        self.held = threading.local()
        self.live_runs: set[Any] = set()
        on_exit(self.close)

    def close(self) -> None:
        with self.lock:
            server, self.server = self.server, None
            runs, self.live_runs = list(self.live_runs), set()
        if server is not None:
            server.close()
        for proc in runs:
            _end(proc)


_state: _Warm | None = None
_state_lock = threading.Lock()


def _warm() -> _Warm:
    global _state
    with _state_lock:
        if _state is None or _state.pid != os.getpid():  # a forked child does not own its parent's processes
            _state = _Warm()
        return _state


def compile_warm(jdk: Any, jar: bytes, sources: Mapping[str, str], runner: SandboxRunner,
                 meanwhile: Callable[[], None]) -> JavacRun | None:
    """``sources`` compiled by this process's compile server (started now if there is none); None when the
    warm path broke for them (then recorded: the caller compiles them cold). ``meanwhile()`` is called while
    the server compiles (or before the caller's cold compile)."""
    warm = _warm()
    with warm.lock:
        server = warm.server
        if server is not None and (server.key != (jdk, runner.isolation) or server.compiles >= MAX_COMPILES
                                   or time.monotonic() - server.used_at > SERVER_IDLE_S / 2):
            server.close()
            server = warm.server = None
        if server is None:
            try:
                server = warm.server = _Server(jdk, jar, runner)
            except SandboxError as exc:  # this process is stopping: nothing more is started
                meanwhile()
                note_fallback("java", f"the compile server could not start: {exc}")
                return None
        compiled = server.compile(sources, meanwhile)
        if isinstance(compiled, str) or compiled.limit_hit is not None:  # the server has ended or will
            server.close()
            warm.server = None
        if isinstance(compiled, str):
            note_fallback("java", compiled)
            return None
        return compiled


def start_run(argv: list[str], files: Mapping[str, bytes], ro_paths: tuple[str, ...], runner: SandboxRunner,
              token: Any) -> None:
    """Start the JVM for the sample being compiled (``token`` names it): ``argv`` runs ``kiln.Launch``."""
    warm = _warm()
    end_run()
    try:
        proc = runner.spawn(argv, files=files, ro_paths=ro_paths, ahead=True)
    except SandboxError:  # this process is stopping: the sample goes cold, if it goes on at all
        return
    with warm.lock:
        warm.live_runs.add(proc)
    warm.held.run = (token, proc)


def end_run() -> None:
    """Kill the JVM this thread started, if any (its sample did not compile, or never reached its run)."""
    warm = _warm()
    held = getattr(warm.held, "run", None)
    warm.held.run = None
    if held is not None:
        _end(held[1])
        with warm.lock:
            warm.live_runs.discard(held[1])


def run_ahead(token: Any, classes: Mapping[str, bytes], stdin: bytes, wall_time_s: float) -> Any | None:
    """Run the sample ``token`` in the JVM started for it: its sandbox result once it ended, as
    ``runner.run`` gives it; None (recorded as a fallback if one was started) when there is none to use."""
    warm = _warm()
    held = getattr(warm.held, "run", None)
    warm.held.run = None
    if held is None:
        return None
    held_token, proc = held
    with warm.lock:
        warm.live_runs.discard(proc)
    if held_token is not token:
        _end(proc)
        return None
    proc.start_clock()
    if not proc.send(_files_request(classes) + stdin):
        _end(proc)
        note_fallback("java", "the JVM started for the sample was gone before its run")
        return None
    proc.stdin.close()
    result = _end(proc, wall_time_s)
    if not result.stdout.startswith(READY_ROW.encode()) and result.limit_hit is None:
        # The harness writes its ready row before the sample's classes are loaded: without it and without a
        # limit, the JVM was gone (or going) before its sample came.
        note_fallback("java", f"the JVM started for the sample did not start its harness (exit status "
                              f"{result.exit_code}, signal {result.signal})")
        return None
    return result


def _end(proc: Any, wall_time_s: float | None = None) -> Any:
    """End ``proc`` and return its result: at once, or (given its ``wall_time_s``) once it ended by itself."""
    if wall_time_s is not None:
        proc.wait(wall_time_s + _END_GRACE_S)
    proc.__exit__(None, None, None)
    return proc.result


def _files_request(files: Mapping[str, bytes]) -> bytes:
    """Files as kiln.CompileServer and kiln.Launch read them: their number, then each name and content, each
    a 4-byte length and the bytes (the name in UTF-8)."""
    parts = [struct.pack(">i", len(files))]
    for name, data in files.items():
        encoded = name.encode("utf-8")
        parts += [struct.pack(">i", len(encoded)), encoded, struct.pack(">i", len(data)), data]
    return b"".join(parts)
