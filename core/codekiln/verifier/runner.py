"""The one way backends run code: through the core sandbox, with the verifier's limits and isolation.

Backends say *what* to run (argv, files, stdin, toolchain paths); the runner fixes *how* — the isolation
level and the limits come from the verifier's settings and a problem's own time/memory limits, never from
the backend — so every language gets the same guarantees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..sandbox import Isolation, Limits, SandboxResult, check_level, run, spawn

__all__ = ["SandboxRunner"]


@attrs.frozen
class SandboxRunner:
    limits: Limits = attrs.field(factory=Limits)
    isolation: Isolation = attrs.field(default=Isolation.NAMESPACES, converter=check_level)
    #: Languages whose warm path is switched off (``verifier.warm.<language>: false``): see codekiln.verifier.warm.
    cold: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)

    def warm(self, language: str) -> bool:
        """Whether ``language``'s backend may use its warm path."""
        return language not in self.cold

    def with_problem_limits(self, time_limit_s: float | None, memory_limit_mb: int | None) -> SandboxRunner:
        changes: dict[str, Any] = {}
        if time_limit_s:
            changes.update(wall_time_s=time_limit_s, cpu_time_s=time_limit_s)
        if memory_limit_mb:
            changes["memory_mb"] = memory_limit_mb
        return attrs.evolve(self, limits=attrs.evolve(self.limits, **changes)) if changes else self

    def run(
        self,
        argv: Sequence[str],
        *,
        files: Mapping[str, bytes | str] = {},
        stdin: bytes = b"",
        env: Mapping[str, str] = {},
        ro_paths: Sequence[str] = (),
        collect: Sequence[str] = (),
        limits: Limits | None = None,
    ) -> SandboxResult:
        """Run to completion. ``limits`` lets a compile step use the compiler's own (trusted) budget."""
        return run(argv, files=files, stdin=stdin, limits=limits or self.limits, isolation=self.isolation,
                   env=env, ro_paths=ro_paths, collect=collect)

    def spawn(self, argv: Sequence[str], *, files: Mapping[str, bytes | str] = {}, env: Mapping[str, str] = {},
              ro_paths: Sequence[str] = (), ahead: bool = False, helper: bool = False) -> Any:
        """Start interactively: requests on stdin, responses on the child's fd 3 (``proc.channel``). ``ahead``:
        started before its sample, whose wall time runs from ``proc.start_clock()``; ``helper``: a trusted program
        that lives across samples and never runs their code (see codekiln.sandbox.spawn)."""
        return spawn(argv, files=files, limits=self.limits, isolation=self.isolation, env=env, ro_paths=ro_paths,
                     ahead=ahead, helper=helper)
