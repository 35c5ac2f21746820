"""Time per sample of the Java backend's stages, on the built-in problems' Java references.

Each of the 64 references is verified through :class:`codekiln.verifier.Verifier` at ``isolation="namespaces"``
in this process (``workers=1``, ``cache=False``), so the stage timings of ``Verdict.timings`` are those of one
sample at a time with nothing else of ours running beside it:

- ``compile``: one ``javac`` in the sandbox on Solution.java and the generated harness KilnMain.java, as the
  backend runs it, with the CDS archive of javac's classes (``codekiln_java.jdk.javac_archive``);
- ``compile, no CDS archive``: the same without the archive, to show what it saves;
- ``run``: one ``java KilnMain`` in the sandbox calling the solution on every test.

A compiler kept alive in a warm JVM (``javax.tools.JavaCompiler`` called per sample, the classes handed over
in memory) would cut the compile stage to tens of milliseconds; it is not built yet.

    .venv/bin/python benchmarks/java_compile_time.py [--repeat N] [--json]

``--repeat N`` verifies the set N times per configuration, the configurations taking turns (default 1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from unittest import mock

import codekiln.datasets
import codekiln.plugins
from codekiln.sandbox import Limits
from codekiln.verifier import Sample, Verifier


def _problems():
    problems = codekiln.datasets.load_dataset("builtin", codekiln.plugins.make_plugins(autoload=False).datasets())
    return [p for p in problems if "java" in p.references]


def _stage_times(verifier: Verifier, samples: list[Sample]) -> dict[str, list[float]]:
    verdicts = verifier.verify_batch(samples)
    failed = [s.problem.id for s, v in zip(samples, verdicts) if not v.passed]
    if failed:
        raise SystemExit(f"references failed: {failed}")
    return {stage: [v.timings[stage] for v in verdicts] for stage in ("compile", "run")}


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_s": statistics.median(ordered), "mean_s": statistics.fmean(ordered),
            "p90_s": ordered[int(0.9 * (len(ordered) - 1))], "samples": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    samples = [Sample(p, p.references["java"], "java") for p in _problems()]
    times: dict[str, list[float]] = {"compile": [], "compile, no CDS archive": [], "run": []}
    started = time.perf_counter()
    with Verifier(codekiln.plugins.make_plugins(), isolation="namespaces",
                  limits=Limits(wall_time_s=10.0, cpu_time_s=10.0), workers=1, cache=False) as verifier:
        verifier.verify_batch(samples[:1])  # builds kiln.jar and the archive if the cache lacks them
        for _ in range(options.repeat):
            stages = _stage_times(verifier, samples)
            times["compile"] += stages["compile"]
            times["run"] += stages["run"]
            with mock.patch("codekiln_java.backend.javac_archive", lambda jdk: None):
                times["compile, no CDS archive"] += _stage_times(verifier, samples)["compile"]
    report = {name: _summary(values) for name, values in times.items()}
    if options.json:
        print(json.dumps({"stages": report, "wall_s": time.perf_counter() - started}, indent=2))
        return
    print(f"{'stage':<26}{'median':>10}{'mean':>10}{'p90':>10}  samples")
    for name, row in report.items():
        print(f"{name:<26}{row['median_s'] * 1000:>8.0f}ms{row['mean_s'] * 1000:>8.0f}ms"
              f"{row['p90_s'] * 1000:>8.0f}ms  {row['samples']}")


if __name__ == "__main__":
    main()
