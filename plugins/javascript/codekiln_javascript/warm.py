"""The JavaScript warm path: node started ahead of its sample, and no separate ``node --check``.

The cold path starts node twice per sample: ``node --check`` (the compile stage), then the harness (the
run). The warm path starts it once, and before the sample arrives:

- One node per sample, each in a sandbox of its own (its own uid, namespaces, limits, work dir), started
  ahead while the previous sample is verified: forked from the node zygote (:mod:`.zygote`: node with the
  harness loaded, a few ms instead of node's start-up), or, where there is none, ``node kiln_harness.js
  warm`` started with ``spawn(ahead=True)``. Either way it writes its ready row and waits on stdin. Its
  wall time starts when its sample is sent. Nothing of a sample reaches the next one: the next node was
  started before this sample's code ran, in another sandbox, and each is used once.
- The compile stage sends the sample (the solution's source and the tests request) and reads whether V8
  compiled the solution, parsed but not run, as node loads a CommonJS module: a syntax error tree-sitter
  missed is reported as ``node --check`` reports it, from the same process. The run stage then reads the
  rows of that process, which goes on to run the tests exactly as the cold path's ``tests`` mode does.
- A node that is not there when its sample comes (killed, crashed, never started) is a broken warm path:
  the sample takes the cold path and :func:`codekiln.verifier.warm.note_fallback` records it.

Only signature tests take it; a benchmark's native tests (the relay's two sandboxes) stay cold.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import uuid
from typing import Any

from codekiln.languages import READY_ROW, CompileResult, parse_row
from codekiln.sandbox import Isolation, SandboxError
from codekiln.verifier.runner import SandboxRunner
from codekiln.verifier.warm import note_fallback, on_exit

from .zygote import zygote

__all__ = ["WarmNode", "node_modules"]

#: The artifact by which the run stage finds the node its compile stage left waiting.
HELD = "warm-node"
_READY = json.loads(READY_ROW)
_COMPILED = {"compiled": True}
#: How long past its wall time the run stage waits for a node's sandbox to report its end (the watchdog
#: ends it at the wall time; this only bounds a wait that should never be needed).
_END_GRACE_S = 10.0


def node_modules() -> tuple[dict[str, str], tuple[str, ...]]:
    """``NODE_PATH`` as the sandbox sees it, and its folders to show there read-only: modules installed
    outside any project (``js-md5`` for HumanEval-X's JavaScript/162; ``scripts/dev.sh`` installs it) that
    solutions and benchmark tests may ``require``. Folders that do not exist are left out, as node does."""
    folders = [os.path.abspath(folder) for folder in os.environ.get("NODE_PATH", "").split(os.pathsep) if folder]
    folders = [folder for folder in dict.fromkeys(folders) if os.path.isdir(folder)]
    return ({"NODE_PATH": os.pathsep.join(folders)} if folders else {}), tuple(folders)


class WarmNode:
    """The node started ahead of the next sample, and those whose samples are between their compile and run
    stages. One per process (so one per verifier worker), ended with it (``on_exit``).

    A worker verifies one sample at a time, but a backend verifying in its caller's threads (a service's
    single-sample requests) may verify several at once: each thread holds its own sample's node, and the lock
    hands the node started ahead to one of them only."""

    def __init__(self, harness: bytes) -> None:
        self._harness = harness
        self._lock = threading.Lock()
        self._ahead: tuple[Any, Any] | None = None  # (what it was started for, the process)
        self._held: dict[int, tuple[str, Any]] = {}  # by thread: (token, the process)
        self._registered = False

    def compile(self, source: str, request: dict[str, Any], runner: SandboxRunner, node: Any,
                syntax_error: Any) -> CompileResult | None:
        """Start the sample in a node started ahead: its compile result, or None when the warm path broke
        (then noted; the caller takes the cold path). ``syntax_error(text)`` reads node's report of a
        syntax error as the cold path reads ``node --check``'s."""
        self._end_held(threading.get_ident())
        try:
            proc = self._take(runner, node)
        except OSError as exc:  # out of descriptors, say: the cold path may still manage, or fail as itself
            note_fallback("javascript", f"no node could be started ahead: {exc}")
            return None
        proc.start_clock()
        if parse_row(proc.channel.readline()) != _READY:
            return self._broken(proc, "the node started ahead was gone before its sample")
        if not proc.send(json.dumps({**request, "source": source}).encode() + b"\n"):
            return self._broken(proc, "the node started ahead did not take its sample")
        proc.stdin.close()  # as on the cold path, the code reads an empty stdin
        row = parse_row(proc.channel.readline())
        if row == _COMPILED:
            token = uuid.uuid4().hex
            with self._lock:
                self._held[threading.get_ident()] = (token, proc)
            return CompileResult(True, artifacts={HELD: token.encode()})
        result = _end(proc, runner.limits.wall_time_s)
        if row is not None and "syntax_error" in row:
            return syntax_error(str(row["syntax_error"]))
        if result.limit_hit is not None:  # V8 went past a limit parsing the code: the code's
            return syntax_error(f"node stopped at the {result.limit_hit} limit")
        note_fallback("javascript", f"the node started ahead ended while compiling (exit status "
                                    f"{result.exit_code}, signal {result.signal})")
        return None

    def run(self, compiled: CompileResult, runner: SandboxRunner) -> Any | None:
        """The sandbox result of the node the compile stage left running the tests, once it has ended; None
        when the compile stage was cold."""
        token = compiled.artifacts.get(HELD)
        with self._lock:
            held = self._held.pop(threading.get_ident(), None)
        if token is None or held is None or held[0].encode() != token:
            if held is not None:
                _discard(held[1])
            if token is not None:
                note_fallback("javascript", "the node that compiled the sample was gone before its run")
            return None
        return _end(held[1], runner.limits.wall_time_s)

    def close(self) -> None:
        """End every node kept (safe to call more than once)."""
        with self._lock:
            held, self._held = list(self._held.values()), {}
            ahead, self._ahead = self._ahead, None
        for _, proc in [*held, *([ahead] if ahead is not None else [])]:
            _discard(proc)

    # -- internals ---------------------------------------------------------------------------------------

    def _take(self, runner: SandboxRunner, node: Any) -> Any:
        """The node started ahead for a sample of these limits (started now if there is none), and the next
        one started ahead for the sample after it."""
        if not self._registered:
            on_exit(self.close)
            self._registered = True
        modules = node_modules()  # read once: the node started ahead serves the next sample only if it matches
        key = (runner.limits, runner.isolation, modules)
        with self._lock:
            ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] != key:  # a problem of other limits: that node cannot serve it
            _discard(ahead[1])
            ahead = None
        proc = ahead[1] if ahead is not None else self._spawn(runner, node, modules)
        with contextlib.suppress(SandboxError):  # this process is stopping: nothing more is started
            started = (key, self._spawn(runner, node, modules))
            with self._lock:
                ahead, self._ahead = self._ahead, started
            if ahead is not None:  # another thread started one meanwhile
                _discard(ahead[1])
        return proc

    def _spawn(self, runner: SandboxRunner, node: Any, modules: tuple[dict[str, str], tuple[str, ...]]) -> Any:
        env, module_paths = modules
        ro_paths = (*node.ro_paths, *module_paths)
        if runner.isolation is Isolation.NAMESPACES:
            warm = zygote(node.path, node.version, self._harness, ro_paths)
            if isinstance(warm, str):
                _warn_no_zygote(warm)
            else:
                try:
                    return warm.spawn(["kiln_harness.js", "warm"], files={}, limits=runner.limits, env=env,
                                      ahead=True)
                except SandboxError as exc:
                    note_fallback("javascript", f"{str(exc).removeprefix('sandbox: ')}: this sample's node "
                                                "started in a sandbox of its own")
        return runner.spawn([node.path, "kiln_harness.js", "warm"], files={"kiln_harness.js": self._harness},
                            env=env, ro_paths=ro_paths, ahead=True)

    def _end_held(self, thread: int) -> None:
        with self._lock:
            held = self._held.pop(thread, None)
        if held is not None:  # this thread's last sample never came to its run stage (its verification raised)
            _discard(held[1])

    @staticmethod
    def _broken(proc: Any, why: str) -> None:
        _discard(proc)
        note_fallback("javascript", why)
        return None


@functools.cache
def _warn_no_zygote(why: str) -> None:
    logging.getLogger(__name__).warning("codekiln: no node zygote (%s); each JavaScript sample's node starts in "
                                        "a sandbox of its own, which is slower", why)


def _end(proc: Any, wall_time_s: float) -> Any:
    """The result of ``proc`` once it has ended by itself (its wall time bounds the wait)."""
    proc.wait(wall_time_s + _END_GRACE_S)
    proc.__exit__(None, None, None)
    return proc.result


def _discard(proc: Any) -> None:
    """End ``proc`` now, whatever state it is in: nothing of it is judged (its sandbox is still cleaned up)."""
    with contextlib.suppress(Exception):
        proc.__exit__(None, None, None)
