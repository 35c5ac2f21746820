"""Helpers for the sandbox tests: which interpreter each level can run, and finding leftover processes."""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
import time
import uuid

import pytest

from codekiln.sandbox import Isolation

#: The real interpreter (not the venv's symlink); at ``namespaces`` the sandbox binds its prefix by itself.
REAL_PYTHON = os.path.realpath(sys.executable)
#: The ``process`` level shows the host filesystem with the run's uid's permissions, and the real interpreter
#: lies under a mode-700 /root: that level runs the system's Python instead.
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")

ISOLATED = [Isolation.PROCESS, Isolation.NAMESPACES]


def python_for(level: Isolation) -> str:
    if level is Isolation.PROCESS:
        if SYSTEM_PYTHON is None:
            pytest.skip("the process level needs a python3 in /usr/bin that the sandbox uid can run")
        return SYSTEM_PYTHON
    return REAL_PYTHON


def token() -> str:
    """A string to put in a sandboxed command's argv, to find its processes (and their forks) in /proc."""
    return f"codekiln-test-{uuid.uuid4().hex}"


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker`` (a zombie's command line is empty)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as file:
                cmdline = file.read()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(name))
    return found


def workdirs_with(name: str) -> list[str]:
    """Sandbox work directories (anyone's) that still hold a file called ``name``."""
    return glob.glob(os.path.join(tempfile.gettempdir(), "codekiln-sandbox-*", name))


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.elapsed = time.monotonic() - self.start
