"""Runs in parallel threads do not interfere; wall time, CPU time and peak memory are measured."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from codekiln.sandbox import Isolation, Limits, run

from .conftest import ISOLATED, Stopwatch, python_for

SLOW_ECHO = "import os, time; time.sleep(1.5); print(os.getuid(), open('id').read())"


@pytest.mark.parametrize("level", ISOLATED)
def test_two_runs_at_once_in_threads(level):
    python = python_for(level)

    def one(name: str):
        return run([python, "-I", "-c", SLOW_ECHO], files={"id": name}, isolation=level,
                   limits=Limits(processes=4))

    with Stopwatch() as clock, ThreadPoolExecutor(2) as pool:
        first, second = pool.map(one, ["first", "second"])
    assert clock.elapsed < 2.9  # in parallel: one after the other would take 3 s
    uid_first, name_first = first.stdout.split()
    uid_second, name_second = second.stdout.split()
    assert (name_first, name_second) == (b"first", b"second")
    assert uid_first != uid_second  # each its own uid, so each its own process budget


@pytest.mark.parametrize("level", list(Isolation))
def test_wall_and_cpu_time_are_measured(level):
    code = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\n" \
           "time.sleep(0.3)"
    result = run([python_for(level), "-I", "-c", code], isolation=level)
    assert result.exit_code == 0, result.stderr
    assert 0.5 <= result.cpu_time_s < 0.9
    assert 0.8 <= result.wall_time_s < 3.0


@pytest.mark.parametrize("level", ISOLATED)
def test_cpu_time_is_measured_when_killed_at_the_wall_limit(level):
    result = run([python_for(level), "-I", "-c", "while True: pass"], limits=Limits(wall_time_s=1.0),
                 isolation=level)
    assert result.limit_hit == "wall_time"
    assert result.cpu_time_s > 0.3  # not lost with the killed process (the machine may be busy)


@pytest.mark.parametrize("level", list(Isolation))
def test_peak_memory_is_measured(level):
    # Linux records the launching process's resident size when the spawned child execs, so the measure is
    # only the command's own from a lean launcher (as the verifier's workers are). This pytest process may
    # hold torch by now: launch from a fresh interpreter.
    code = "b = bytearray(200 * 1024 ** 2)\nfor i in range(0, len(b), 4096): b[i] = 1"
    launcher = (
        "import sys\nfrom codekiln.sandbox import Isolation, Limits, run\n"
        f"result = run([{python_for(level)!r}, '-I', '-c', {code!r}], limits=Limits(memory_mb=1024), "
        f"isolation=Isolation({level.value!r}))\n"
        "print(result.exit_code, result.peak_memory_mb)\nprint(result.stderr.decode(), file=sys.stderr)\n"
    )
    process = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, timeout=120)
    exit_code, peak_memory_mb = process.stdout.split()
    assert exit_code == "0", process.stderr
    assert 200 <= float(peak_memory_mb) < 300
