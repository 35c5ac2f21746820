"""Warm paths: the per-language switch, and the record of a warm path falling back to the cold one.

A language backend may keep something warm between samples (a forked interpreter, a compiler in a long-lived
JVM, a pre-started process) as long as every sample keeps the same isolation as on the cold path: a fresh
process of its own, its own uid, namespaces, limits and writable directory, and nothing shared that the code
can change for the next sample (DESIGN.md, "Sandbox and verifier").

- A warm path can be switched off per language in the config (``verifier.warm.java: false``); the backend
  asks :meth:`codekiln.verifier.runner.SandboxRunner.warm`.
- A warm path that breaks never fails the sample: the backend takes the cold path for it and calls
  :func:`note_fallback`. The pipeline puts the reasons on that sample's verdict (``Verdict.warm_fallbacks``),
  so the trainer's metrics and the benchmarks count fallbacks, and a warning names the first one per language
  in each process.
- What a warm path keeps between samples (pre-started sandboxes, a zygote) is ended with the process that
  keeps it: the backend registers its clean-up with :func:`on_exit`, which a verifier worker runs when it is
  told to stop (it leaves through ``os._exit``, past ``atexit``) and ``atexit`` runs in any other process.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable

__all__ = ["close_all", "note_fallback", "on_exit", "take_fallbacks"]

_log = logging.getLogger(__name__)
_noted: list[str] = []
_warned: set[str] = set()
_closers: list[Callable[[], None]] = []


def note_fallback(language: str, reason: str) -> None:
    """Record that ``language``'s warm path broke for the sample being verified (``reason``: one line)."""
    _noted.append(f"{language}: {reason}")
    if language not in _warned:
        _warned.add(language)
        _log.warning("codekiln: the %s warm path failed (%s); using the cold path for this sample", language, reason)


def take_fallbacks() -> tuple[str, ...]:
    """The fallbacks noted since the last call, oldest first; the record is emptied. A worker verifies one
    sample at a time, so what it takes after a sample is that sample's."""
    taken = tuple(_noted)
    _noted.clear()
    return taken


def on_exit(close: Callable[[], None]) -> None:
    """Have ``close`` end what a warm path keeps in this process when the process ends (see :func:`close_all`).
    ``close`` must be safe to call more than once, and cheap when there is nothing to end."""
    if not _closers:
        atexit.register(close_all)
    _closers.append(close)


def close_all() -> None:
    """End everything the warm paths of this process keep (a verifier worker calls it before it exits)."""
    for close in reversed(_closers):
        try:
            close()
        except Exception as exc:  # one warm path failing to end must not keep the others alive
            _log.warning("codekiln: ending a warm path failed: %s: %s", type(exc).__name__, exc)
