"""Each limit stops a command that goes past it, and the result says which limit."""

from __future__ import annotations

import signal

import pytest

from codekiln.sandbox import Isolation, Limits, run

from .conftest import ISOLATED, Stopwatch, python_for


@pytest.mark.parametrize("level", list(Isolation))
def test_wall_time(level):
    with Stopwatch() as clock:
        result = run(["sleep", "30"], limits=Limits(wall_time_s=1.0), isolation=level)
    assert result.limit_hit == "wall_time"
    assert result.signal == signal.SIGKILL
    # Generous upper bounds: other work may share this machine; the point is 1 s rather than 30.
    assert 0.9 < result.wall_time_s < 2.0
    assert clock.elapsed < 3.0


@pytest.mark.parametrize("level", ISOLATED)
def test_cpu_time(level):
    result = run([python_for(level), "-I", "-c", "while True: pass"],
                 limits=Limits(cpu_time_s=1.0, wall_time_s=30.0), isolation=level)
    assert result.limit_hit == "cpu_time"
    assert result.signal == signal.SIGXCPU
    assert 0.9 < result.cpu_time_s < 2.5


@pytest.mark.parametrize("kind", ["address_space", "data"])
@pytest.mark.parametrize("level", ISOLATED)
def test_memory(level, kind):
    code = "b = bytearray(2 * 1024 ** 3); print('allocated')"
    result = run([python_for(level), "-I", "-c", code], limits=Limits(memory_mb=512, memory_kind=kind),
                 isolation=level)
    assert result.exit_code == 1
    assert b"allocated" not in result.stdout
    assert b"MemoryError" in result.stderr
    assert result.limit_hit == "memory"


@pytest.mark.parametrize("level", ISOLATED)
def test_memory_within_the_limit_is_fine(level):
    code = "b = bytearray(100 * 1024 ** 2); print(len(b))"
    result = run([python_for(level), "-I", "-c", code], limits=Limits(memory_mb=512, memory_kind="data"),
                 isolation=level)
    assert result.exit_code == 0, result.stderr
    assert result.limit_hit is None


@pytest.mark.parametrize("level", ISOLATED)
def test_processes(level):
    # Fork sleepers until fork fails: the count stops at the limit (the command itself is one of them).
    code = """
import os, sys, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as error:
    print(n, error.errno)
    raise
"""
    with Stopwatch() as clock:
        result = run([python_for(level), "-I", "-c", code], limits=Limits(processes=16, wall_time_s=10.0),
                     isolation=level)
    forked, errno = result.stdout.split()
    assert int(forked) == 15
    assert int(errno) == 11  # EAGAIN
    assert result.limit_hit == "processes"
    assert clock.elapsed < 5.0  # the sleepers died with the run instead of holding it open


@pytest.mark.parametrize("level", ISOLATED)
def test_file_size_python(level):
    code = "open('big', 'wb').write(b'x' * 100 * 1024 ** 2)"
    result = run([python_for(level), "-I", "-c", code], limits=Limits(file_size_mb=16), isolation=level,
                 collect=["big"])
    assert result.exit_code == 1
    assert b"File too large" in result.stderr
    assert result.limit_hit == "file_size"


@pytest.mark.parametrize("level", ISOLATED)
def test_file_size_signal(level):
    result = run(["dd", "if=/dev/zero", "of=big", "bs=1M", "count=100"], limits=Limits(file_size_mb=16),
                 isolation=level)
    assert result.signal == signal.SIGXFSZ
    assert result.limit_hit == "file_size"


@pytest.mark.parametrize("level", ISOLATED)
def test_open_files(level):
    code = """
files = []
try:
    while True:
        files.append(open(f"f{len(files)}", "w"))
except OSError as error:
    print(len(files), error.errno)
"""
    result = run([python_for(level), "-I", "-c", code], limits=Limits(open_files=64), isolation=level)
    opened, errno = result.stdout.split()
    assert 50 < int(opened) < 64  # stdio and the interpreter's own files take a few
    assert int(errno) == 24  # EMFILE


@pytest.mark.parametrize("level", list(Isolation))
def test_output_flood(level):
    with Stopwatch() as clock:
        result = run(["yes"], limits=Limits(output_bytes=100_000, wall_time_s=10.0), isolation=level)
    assert result.limit_hit == "output"
    assert result.signal == signal.SIGKILL
    assert result.stdout == b"y\n" * 50_000
    assert result.stdout_truncated and not result.stderr_truncated
    assert clock.elapsed < 3.0


@pytest.mark.parametrize("level", ISOLATED)
def test_output_flood_on_stderr(level):
    result = run(["sh", "-c", "yes >&2"], limits=Limits(output_bytes=10_000), isolation=level)
    assert result.limit_hit == "output"
    assert len(result.stderr) == 10_000 and result.stderr_truncated


@pytest.mark.parametrize("level", ISOLATED)
def test_rlimits_are_in_place(level):
    limits = Limits(cpu_time_s=2.5, memory_mb=300, memory_kind="data", processes=20, file_size_mb=3,
                    open_files=100)
    code = ("import resource as r; print(*(r.getrlimit(getattr(r, 'RLIMIT_' + n))[0] for n in "
            "('CPU', 'DATA', 'FSIZE', 'NOFILE', 'CORE', 'AS')))")
    result = run([python_for(level), "-I", "-c", code], limits=limits, isolation=level)
    cpu, data, fsize, nofile, core, address_space = map(int, result.stdout.split())
    assert (cpu, data, fsize, nofile, core) == (3, 300 * 2**20, 3 * 2**20, 100, 0)
    assert address_space == -1  # RLIM_INFINITY: memory_kind="data" leaves the address space alone
