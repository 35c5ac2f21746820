"""The built-in ``efficiency`` reward: how fast a passing solution runs next to the problem's reference.

Both programs go through the same steps the verifier takes (the language backend's ``assemble``,
``compile`` and test run, in the core sandbox at the same isolation and limits, warm paths off) on the same
tests, each run ``repeats`` times. The figure compared is the median CPU time (user + system) of the test
run, which the kernel counts outside the code: load on the machine does not stretch it as it does wall time,
the code cannot forge it the way it could rebind a harness's own per-test clock, and, where the run has a
cgroup, work done in a child process never waited for counts too (``codekiln.sandbox``). It includes the
runtime's start-up (about 17 ms for Python, 76 ms for the JVM here), the same for both programs, so only
differences that are large next to it show; with the floor this keeps noise on fast code from swinging the
reward.

The formula is in :func:`efficiency_score`; ``docs/rewards/efficiency.md`` explains the choices.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

import attrs

from codekiln import hookimpl
from codekiln.errors import CodekilnError
from codekiln.problem import Problem
from codekiln.rewards import Reward
from codekiln.sandbox import Isolation, SandboxError
from codekiln.verdict import Verdict, VerdictStatus
from codekiln.verifier.pipeline import judge_run

from ._session import SessionHandle

__all__ = ["EfficiencyReward", "Measurement", "efficiency_score"]


@attrs.frozen
class Measurement:
    """The medians of a program's test runs: CPU milliseconds and peak memory in MiB; ``passed``: whether
    every run passed the problem's tests."""

    time_ms: float
    memory_mb: float
    passed: bool = True


def efficiency_score(reference: Measurement, solution: Measurement, *, floor_ms: float, floor_mb: float,
                     memory_weight: float) -> float:
    """``(1 - memory_weight) * time_score + memory_weight * memory_score``, where

    ``time_score = min(1, max(reference_ms, floor_ms) / max(solution_ms, floor_ms))`` and ``memory_score``
    is the same ratio of peak memory with ``floor_mb``. A solution as fast as the reference, or faster,
    scores 1; one ten times slower scores 0.1.

    >>> reference = Measurement(time_ms=20.0, memory_mb=10.0)
    >>> efficiency_score(reference, Measurement(80.0, 10.0), floor_ms=10.0, floor_mb=32.0, memory_weight=0.0)
    0.25
    >>> efficiency_score(Measurement(2.0, 10.0), Measurement(5.0, 10.0), floor_ms=10.0, floor_mb=32.0,
    ...                  memory_weight=0.0)
    1.0
    """
    time_score = min(1.0, max(reference.time_ms, floor_ms) / max(solution.time_ms, floor_ms))
    memory_score = min(1.0, max(reference.memory_mb, floor_mb) / max(solution.memory_mb, floor_mb))
    return (1.0 - memory_weight) * time_score + memory_weight * memory_score


class EfficiencyReward(Reward):
    """Run time (and, weighted by ``memory_weight``, peak memory) of a passing solution relative to the
    problem's reference solution in the same language; see :func:`efficiency_score`.

    Abstains unless the verdict passed (and is not masked) and the problem has a reference in the
    completion's language; also where the reference itself fails to compile or to pass its tests, or a
    measurement fails on our side. Every measured run is judged as the verifier judges: a solution that fails
    one scores 0. The reference's measurement is cached per (problem id, language).

    Parameters: ``repeats`` runs of each program (the median counts), ``floor_ms`` and ``floor_mb`` (smaller
    figures count as these), ``memory_weight`` in [0, 1], and the sandbox's ``isolation``, ``time_limit_s``
    and ``memory_mb`` (set them as the ``sandbox`` section; a problem's own limits apply on top, as in the
    verifier). Sets ``last_details``: ``efficiency/solution_ms``, ``efficiency/reference_ms``,
    ``efficiency/solution_mb``, ``efficiency/reference_mb``.
    """

    name = "efficiency"

    def __init__(self, repeats: int = 3, floor_ms: float = 10.0, floor_mb: float = 32.0,
                 memory_weight: float = 0.0, isolation: str = "namespaces", time_limit_s: float = 10.0,
                 memory_mb: int = 1024) -> None:
        if not _is_number(repeats) or repeats != int(repeats) or repeats < 1:
            raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
        for param, value in (("floor_ms", floor_ms), ("floor_mb", floor_mb), ("time_limit_s", time_limit_s),
                             ("memory_mb", memory_mb)):
            if not _is_number(value) or value <= 0:
                raise ValueError(f"{param} must be a positive number, got {value!r}")
        if not _is_number(memory_weight) or not 0.0 <= memory_weight <= 1.0:
            raise ValueError(f"memory_weight must be a number in [0, 1], got {memory_weight!r}")
        Isolation.parse(isolation)  # an unknown level fails at construction, naming the levels
        self.params = {"repeats": int(repeats), "floor_ms": float(floor_ms), "floor_mb": float(floor_mb),
                       "memory_weight": float(memory_weight), "isolation": isolation,
                       "time_limit_s": float(time_limit_s), "memory_mb": int(memory_mb)}
        self._references: dict[tuple[str, str], Measurement | None] = {}
        self._plugins = SessionHandle(self.name)
        self._runner: Any = None
        self.last_details: list[dict[str, float]] | None = None

    def bind_plugins(self, plugins: Any) -> None:
        """Run programs through the language backends of ``plugins``, the run's plugin session."""
        self._plugins.bind(plugins)

    # Picklable: the sandbox runner is rebuilt, and the session rebuilt from its description, where the
    # reward lands.
    def __getstate__(self) -> dict[str, Any]:
        return {"params": self.params, "references": self._references, "plugins": self._plugins}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state["params"])
        self._references = state["references"]
        self._plugins = state["plugins"]

    def __call__(self, completions: Sequence[str], *, problems: Sequence[Problem], languages: Sequence[str],
                 verdicts: Sequence[Verdict], codes: Sequence[str], **ignored: Any) -> list[float | None]:
        scores: list[float | None] = []
        details: list[dict[str, float]] = []
        for problem, language, verdict, code in zip(problems, languages, verdicts, codes, strict=True):
            reference = self._reference(problem, language) if verdict.passed and not verdict.masked else None
            solution = self.measure(problem, language, code) if reference is not None else None
            if solution is None:
                scores.append(None)
                details.append({})
                continue
            # Code that passed the verifier but fails when measured behaves differently when it is measured
            # (it can tell a cold run from a warm one): it earns nothing.
            scores.append(efficiency_score(reference, solution, floor_ms=self.params["floor_ms"],
                                           floor_mb=self.params["floor_mb"],
                                           memory_weight=self.params["memory_weight"]) if solution.passed else 0.0)
            details.append({"efficiency/solution_ms": solution.time_ms, "efficiency/reference_ms": reference.time_ms,
                            "efficiency/solution_mb": solution.memory_mb,
                            "efficiency/reference_mb": reference.memory_mb})
        self.last_details = details
        return scores

    def _reference(self, problem: Problem, language: str) -> Measurement | None:
        code = problem.references.get(language)
        if code is None:
            return None
        key = (problem.id, language)
        if key not in self._references:
            measured = self.measure(problem, language, code)
            self._references[key] = measured if measured is not None and measured.passed else None
        return self._references[key]

    def measure(self, problem: Problem, language: str, code: str) -> Measurement | None:
        """Compile ``code`` once and run the problem's tests ``repeats`` times, judging each run as the verifier
        does (a run that does not pass, or a compile that fails, ends the measurement unpassed); None when the
        compile or a run fails on our side."""
        backend = self._backend(language)
        # The cold path, warm paths off: each run starts its runtime, as the start-up figures above assume, and a
        # warm path's compile result may serve one run only (JavaScript's node started ahead runs its sample once).
        runner = attrs.evolve(self._sandbox_runner(), cold={language}).with_problem_limits(
            problem.time_limit_s, problem.memory_limit_mb)
        times, memories = [], []
        try:
            source = backend.assemble(code, problem)
            compiled = backend.compile(source, problem, runner)
            if compiled.infra_error:
                return None
            if not compiled.ok:  # code the verifier passed, failing the measurement's compile: its own doing
                return Measurement(0.0, 0.0, passed=False)
            for _ in range(self.params["repeats"]):
                if source.native:
                    run: Any = backend.run_native_tests(source, compiled, problem, runner)
                else:
                    run = backend.run_signature_tests(source, compiled, problem, runner)
                times.append(run.sandbox.cpu_time_s * 1000.0)
                memories.append(run.sandbox.peak_memory_mb)
                if judge_run(problem, run)[0] is not VerdictStatus.PASSED:
                    return Measurement(statistics.median(times), statistics.median(memories), passed=False)
        except SandboxError:  # a failure of ours in this measurement: no figure for this sample alone
            return None
        except CodekilnError:  # the configuration's (an unknown language, an unavailable level): everyone's
            raise
        except Exception:  # a failure of ours (a harness that did not start): no figure, no judgement
            return None
        return Measurement(statistics.median(times), statistics.median(memories))

    def _backend(self, language: str) -> Any:
        return self._plugins.languages().get(language)  # a missing language fails, named

    def _sandbox_runner(self) -> Any:
        if self._runner is None:
            from codekiln.sandbox import Limits
            from codekiln.verifier.runner import SandboxRunner

            limit = self.params["time_limit_s"]
            limits = Limits(wall_time_s=limit, cpu_time_s=limit, memory_mb=self.params["memory_mb"])
            self._runner = SandboxRunner(limits, self.params["isolation"])  # an unavailable level fails here
        return self._runner


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(EfficiencyReward)
