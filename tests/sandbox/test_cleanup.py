"""After a run, however it ended, no process of it is left and its work directory is gone."""

from __future__ import annotations

import os

import pytest

from codekiln.sandbox import Isolation, Limits, _uids, _workdir, run

from .conftest import ISOLATED, Stopwatch, processes_with, python_for, token, workdirs_with

# Every forked copy of the interpreter keeps its command line, so the marker in argv finds them all.
DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
print("parent exits")
"""

IGNORES_SIGTERM = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.fork()
time.sleep(60)
"""

FORK_BOMB = """
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.001)
"""


@pytest.mark.parametrize("level", ISOLATED)
def test_a_daemon_that_left_the_session_dies_with_the_run(level):
    marker = token()
    result = run([python_for(level), "-I", "-c", DAEMON, marker], isolation=level)
    assert result.stdout == b"parent exits\n"
    assert processes_with(marker) == []


@pytest.mark.parametrize("level", list(Isolation))
def test_a_tree_ignoring_sigterm_dies_at_the_wall_limit(level):
    marker = token()
    with Stopwatch() as clock:
        result = run([python_for(level), "-I", "-c", IGNORES_SIGTERM, marker], limits=Limits(wall_time_s=1.0),
                     isolation=level)
    assert result.limit_hit == "wall_time"
    assert clock.elapsed < 3.0
    assert processes_with(marker) == []


@pytest.mark.parametrize("level", ISOLATED)
def test_a_fork_bomb_is_contained_and_leaves_nothing(level):
    marker = token()
    with Stopwatch() as clock:
        result = run([python_for(level), "-I", "-c", FORK_BOMB, marker],
                     limits=Limits(wall_time_s=2.0, processes=32), isolation=level)
    assert result.limit_hit == "wall_time"
    assert clock.elapsed < 5.0
    assert processes_with(marker) == []


@pytest.mark.parametrize("killed", [False, True])
@pytest.mark.parametrize("level", list(Isolation))
def test_the_work_dir_is_removed(level, killed):
    marker = token()
    limits = Limits(wall_time_s=1.0)
    script = f"touch {marker}; mkdir -p sub/deeper; chmod 000 sub; " + ("sleep 30" if killed else "true")
    result = run(["sh", "-c", script], limits=limits, isolation=level)
    assert result.limit_hit == ("wall_time" if killed else None)
    assert workdirs_with(marker) == []


@pytest.mark.parametrize("level", ISOLATED)
def test_a_tree_deeper_than_the_recursion_limit_is_removed(level):
    marker = token()
    code = f"""
import os
os.mkdir({marker!r})
os.chdir({marker!r})
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
"""
    result = run([python_for(level), "-I", "-c", code], isolation=level)
    assert result.exit_code == 0, result.stderr
    assert workdirs_with(marker) == []


@pytest.mark.parametrize("level", ISOLATED)
def test_the_work_dir_cannot_fill_the_disk(level):
    code = """
for i in range(100):
    with open(f"fill{i}", "wb") as f:
        f.write(b"x" * 15 * 2**20)
"""
    result = run([python_for(level), "-I", "-c", code], isolation=level,
                 limits=Limits(memory_mb=64, memory_kind="data", file_size_mb=16))
    assert result.exit_code == 1
    assert b"No space left on device" in result.stderr
    assert result.limit_hit == "file_size"


def test_a_work_dir_left_mounted_by_a_dead_caller_is_removed_with_the_next_lease():
    lease = _uids.lease_uid()
    try:
        orphan = _workdir.create({"left": "behind"}, lease.uid, 2**20)
        assert os.path.ismount(orphan)
        _workdir.remove_stale(lease.uid)
        assert not os.path.exists(orphan)
    finally:
        lease.release()


# In a process of its own: stop_all() refuses every later run of the process that calls it.
_STOP_ALL = """
import os, sys, tempfile, threading, time
from codekiln import sandbox
from codekiln.sandbox import Limits, SandboxError
results = []
thread = threading.Thread(target=lambda: results.append(sandbox.run(
    ["/bin/sleep", "30"], isolation=sys.argv[1], limits=Limits(wall_time_s=60, cpu_time_s=60))))
started = time.monotonic()
thread.start()
time.sleep(1.0)
sandbox.stop_all()
thread.join()
print("ended after", round(time.monotonic() - started), "s, limit", results[0].limit_hit)
try:
    sandbox.run(["/bin/true"], isolation=sys.argv[1])
except SandboxError as exc:
    print("refused:", exc)
print("left:", [name for name in os.listdir(tempfile.gettempdir()) if name.startswith("codekiln-sandbox-")])
"""


@pytest.mark.parametrize("level", ISOLATED)
def test_stop_all_kills_the_runs_of_this_process_and_refuses_new_ones(level, tmp_path):
    import subprocess
    import sys

    tmp_path.chmod(0o755)  # the work dirs go there, and the process level reaches them through it
    result = subprocess.run([sys.executable, "-c", _STOP_ALL, level.value], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    ended, refused, left = result.stdout.splitlines()
    assert ended in ("ended after 1 s, limit None", "ended after 2 s, limit None")
    assert refused == "refused: sandbox: this process is stopping and starts no new runs"
    assert left == "left: []"
