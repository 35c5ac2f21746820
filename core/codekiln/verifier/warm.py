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
"""

from __future__ import annotations

import logging

__all__ = ["note_fallback", "take_fallbacks"]

_log = logging.getLogger(__name__)
_noted: list[str] = []
_warned: set[str] = set()


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
