"""spawn(): a trusted driver talks to sandboxed code, requests on stdin and answers on its fd 3."""

from __future__ import annotations

import signal
import time

import pytest

from codekiln.sandbox import Isolation, Limits, spawn

from .conftest import Stopwatch, processes_with, python_for, token

ECHO_SERVER = """
import os, sys
answers = os.fdopen(3, "wb", buffering=0)
print("noise before the first request", flush=True)
for line in sys.stdin.buffer:
    print("noise:", line, flush=True)
    answers.write(b"echo:" + line)
"""


@pytest.mark.parametrize("level", list(Isolation))
def test_answers_on_fd_3_are_not_mixed_with_stdout(level):
    argv = [python_for(level), "-I", "server.py"]
    with spawn(argv, files={"server.py": ECHO_SERVER}, isolation=level) as proc:
        for request in (b"one\n", b"two\n", b"three\n"):
            proc.stdin.write(request)
            proc.stdin.flush()
            assert proc.channel.readline() == b"echo:" + request
    result = proc.result
    assert result.limit_hit is None
    assert result.stdout.startswith(b"noise before the first request\nnoise: b'one\\n'\n")


@pytest.mark.parametrize("level", list(Isolation))
def test_the_watchdog_kills_at_the_wall_limit_while_the_driver_waits(level):
    limits = Limits(wall_time_s=1.0)
    with Stopwatch() as clock, spawn(["sleep", "30"], limits=limits, isolation=level) as proc:
        assert proc.channel.readline() == b""
    assert clock.elapsed < 3.0
    assert proc.result.limit_hit == "wall_time"
    assert proc.result.signal == signal.SIGKILL


@pytest.mark.parametrize("level", [Isolation.PROCESS, Isolation.NAMESPACES])
def test_leaving_the_block_kills_what_is_left(level):
    marker = token()
    code = "import os, time\nos.fork()\ntime.sleep(60)"
    with Stopwatch() as clock, spawn([python_for(level), "-I", "-c", code, marker], isolation=level) as proc:
        pass
    assert clock.elapsed < 3.0
    assert proc.result.limit_hit is None
    assert proc.result.signal == signal.SIGKILL
    assert processes_with(marker) == []


def test_the_channel_ends_when_the_command_dies():
    code = "import os; os.write(3, b'last words\\n')"
    with spawn([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces") as proc:
        assert proc.channel.readline() == b"last words\n"
        assert proc.channel.readline() == b""
    assert proc.result.exit_code == 0


def test_a_limit_the_command_died_of_is_still_reported_after_the_block():
    # It ran out of memory by itself before the driver left the block: leaving it is no stop of ours.
    code = "import os, sys; os.write(3, b'bye\\n'); sys.stderr.write('MemoryError\\n'); os._exit(1)"
    with spawn([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces") as proc:
        assert proc.channel.readline() == b"bye\n"
        assert proc.channel.readline() == b""
        assert proc.wait(5.0)  # the sandbox ends a moment after the command closed its channel
    assert proc.result.exit_code == 1
    assert proc.result.limit_hit == "memory"


def test_wait_gives_up_on_a_command_that_runs_on():
    with Stopwatch() as clock, spawn(["sleep", "30"], isolation="namespaces") as proc:
        assert not proc.wait(0.3)
    assert 0.3 <= clock.elapsed < 3.0
    assert proc.result.limit_hit is None and proc.result.signal == signal.SIGKILL


def test_output_flood_is_bounded_in_the_background():
    with spawn(["sh", "-c", "yes & yes >&2"], limits=Limits(output_bytes=50_000)) as proc:
        assert proc.channel.readline() == b""
    assert proc.result.limit_hit == "output"
    assert len(proc.result.stdout) <= 50_000 and len(proc.result.stderr) <= 50_000


def test_an_answer_without_end_is_cut_at_the_output_limit():
    code = "import os\nfor _ in range(8): os.write(3, b'x' * 2**20)\nimport time; time.sleep(30)"
    limits = Limits(output_bytes=100_000)
    with spawn([python_for(Isolation.NAMESPACES), "-I", "-c", code], limits=limits) as proc:
        assert proc.channel.readline() == b""
    assert proc.result.limit_hit == "output"


def test_send_reports_whether_the_command_is_still_there():
    code = "import os, sys; os.write(3, sys.stdin.readline().encode()); sys.exit(0)"
    with spawn([python_for(Isolation.NAMESPACES), "-I", "-c", code], isolation="namespaces") as proc:
        assert proc.send(b"echo\n") is True
        assert proc.channel.readline() == b"echo\n"
        assert proc.channel.readline() == b""  # it has ended
        time.sleep(0.2)
        assert proc.send(b"x" * 1_000_000) is False  # a broken pipe, not an exception
