"""spawn(ahead=True): a command started ahead of its work (a pre-spawned interpreter) has no wall time running
until start_clock(); from then on its wall limit binds as for any run."""

from __future__ import annotations

import time

from codekiln.sandbox import Isolation, Limits, spawn

from .conftest import Stopwatch, python_for

# Answers each request line once, then sleeps: its work (one request) ends, a second one hangs.
_SERVER = """
import os, sys, time
answers = os.fdopen(3, "wb", buffering=0)
answers.write(sys.stdin.buffer.readline())
time.sleep(60)
"""


def test_its_wall_time_starts_with_its_work():
    limits = Limits(wall_time_s=1.0)
    with spawn([python_for(Isolation.NAMESPACES), "-I", "server.py"], files={"server.py": _SERVER}, limits=limits,
               ahead=True) as proc:
        time.sleep(1.5)  # waiting for its work past its wall time: still alive
        proc.start_clock()
        assert proc.send(b"work\n")
        assert proc.channel.readline() == b"work\n"
        with Stopwatch() as clock:
            assert proc.channel.readline() == b""  # killed at the wall time, counted from start_clock()
        assert clock.elapsed < 2.5
    assert proc.result.limit_hit == "wall_time"
    assert 1.0 <= proc.result.wall_time_s < 2.5  # from start_clock(), not from the start


def test_without_ahead_the_wall_time_runs_from_the_start():
    with spawn([python_for(Isolation.NAMESPACES), "-I", "server.py"], files={"server.py": _SERVER},
               limits=Limits(wall_time_s=1.0)) as proc:
        time.sleep(1.5)
        assert not proc.send(b"work\n") or proc.channel.readline() == b""
    assert proc.result.limit_hit == "wall_time"
