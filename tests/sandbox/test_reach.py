"""The ``process`` level shows the host's file system: what its uids cannot reach is refused before the run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from codekiln import sandbox
from codekiln.errors import IsolationUnavailable
from codekiln.sandbox import Isolation

from .conftest import REAL_PYTHON

pytestmark = pytest.mark.skipif(sandbox.available_levels()[Isolation.PROCESS] is not None,
                                reason="the process level is unavailable here")


@pytest.fixture
def closed():
    """``closed/`` (mode 0700, as root's home) holding ``open/`` (0755) with an executable ``prog``, in a
    directory open to all (pytest's own temporary directories are mode 0700)."""
    top = Path(tempfile.mkdtemp(prefix="codekiln-reach-"))
    inner = top / "closed" / "open"
    inner.mkdir(parents=True)
    prog = inner / "prog"
    prog.write_text("#!/bin/sh\necho reached\n")
    prog.chmod(0o755)
    (inner / "data.txt").write_text("data\n")
    (inner / "data.txt").chmod(0o644)
    for directory in (top, inner):
        directory.chmod(0o755)
    (top / "closed").chmod(0o700)
    yield top / "closed"
    shutil.rmtree(top)


def test_a_program_below_a_closed_directory_is_refused_in_one_line(closed):
    prog = str(closed / "open" / "prog")
    with pytest.raises(IsolationUnavailable) as caught:
        sandbox.run([prog], isolation="process")
    message = str(caught.value)
    assert "\n" not in message
    assert f"{closed} is mode 0700" in message and "isolation 'namespaces'" in message


def test_the_same_program_runs_once_others_may_enter(closed):
    closed.chmod(0o755)
    result = sandbox.run([str(closed / "open" / "prog")], isolation="process")
    assert result.exit_code == 0 and result.stdout == b"reached\n"


def test_a_program_found_on_path_is_checked_too(closed):
    with pytest.raises(IsolationUnavailable, match="is mode 0700"):
        sandbox.run(["prog"], isolation="process", env={"PATH": str(closed / "open")})


def test_a_closed_ro_path_is_refused_and_bound_at_namespaces(closed):
    data = str(closed / "open" / "data.txt")
    with pytest.raises(IsolationUnavailable, match=r"cannot reach .*data\.txt"):
        sandbox.run(["/bin/cat", data], isolation="process", ro_paths=[data])
    # namespaces binds it, creating the parents it shows open to all.
    result = sandbox.run(["/bin/cat", data], isolation="namespaces", ro_paths=[str(closed / "open")])
    assert result.stdout == b"data\n", result


def test_a_missing_program_is_left_to_fail_in_the_run():
    result = sandbox.run(["/nonexistent/prog"], isolation="process")
    assert result.exit_code != 0


def _closed_to_others(path: str) -> bool:
    directory = os.path.dirname(path)
    while directory != "/":
        if not os.stat(directory).st_mode & 0o001:
            return True
        directory = os.path.dirname(directory)
    return False


@pytest.mark.skipif(not _closed_to_others(REAL_PYTHON), reason="this interpreter is readable by every user")
def test_verify_at_process_level_names_the_unreachable_interpreter(tmp_path):
    """Defect 5: the interpreter under /root/.pyenv failed every sample with "prlimit: failed to execute"."""
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"task_id": "running_max", "completion": "def running_max(v):\\n    return v\\n"}\n')
    result = subprocess.run([sys.executable, "-m", "codekiln", "verify", "--dataset", "builtin", "--isolation",
                             "process", "--workers", "1", str(samples)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("codekiln: error: sandbox level 'process' cannot reach ")
    assert os.path.realpath(REAL_PYTHON) in lines[0] and "isolation 'namespaces'" in lines[0]
