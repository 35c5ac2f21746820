"""Problems, fixtures and host-side checks for the attack suite (see ``test_attacks.py``).

Every attack runs as a model answer through the real verifier at the ``namespaces`` isolation level. What
the test process checks afterwards, on the host:

- no process of the run is left (found by the attack's unique marker, which the attack sets as its process
  name and puts in the argv of anything it execs, and by the sandbox uid range among our descendants);
- nothing was written outside the run's directory (``/tmp/<marker>``, ``<project>/<marker>``, ``~/<marker>``,
  ``/dev/shm/<marker>``, ...);
- no connection reached the servers the test listens on;
- the secret in the test process's environment appears nowhere in the verdict.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from codekiln.plugins import make_plugins
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.sandbox import Limits
from codekiln.verifier import Verifier
from codekiln.verifier.warm import close_all as close_warm

PROJECT = Path(__file__).resolve().parents[2]
SANDBOX_UIDS = range(61000, 62000)
#: Short limits keep the suite fast: every timeout attack costs one wall limit.
LIMITS = Limits(wall_time_s=2.0, cpu_time_s=2.0, memory_mb=256)
SECRET_VAR = "CODEKILN_TEST_SECRET"

ADD = Problem(
    id="add",
    description="Return the sum of a and b.",
    signature=Signature("add", (Param("a", "int"), Param("b", "int")), "int"),
    tests=(TestCase((1, 2), 3), TestCase((5, -7), -2), TestCase((0, 0), 0)),
)

DOUBLE = Problem(
    id="double",
    description="Return twice x.",
    native={
        "python": NativeTests(
            prompt='def double(x):\n    """Return twice x."""\n',
            test="def check(candidate):\n"
                 "    assert candidate(2) == 4\n"
                 "    assert candidate(-3) == -6\n"
                 "    assert candidate(0) == 0\n",
            entry_point="double",
        )
    },
)

#: HumanEval's usual shape: edge cases first, then random inputs from a module the test imports.
DOUBLE_RANDOM = Problem(
    id="double_random",
    description="Return twice x.",
    native={
        "python": NativeTests(
            prompt='def double(x):\n    """Return twice x."""\n',
            test="def check(candidate):\n"
                 "    assert candidate(0) == 0\n"
                 "    import random\n"
                 "    rng = random.Random(7)\n"
                 "    for _ in range(20):\n"
                 "        x = rng.randint(-1000, 1000)\n"
                 "        assert candidate(x) == 2 * x\n",
            entry_point="double",
        )
    },
)

#: A test that iterates with map(): what an exception escaping candidate() does depends on its type.
DOUBLE_MAP = Problem(
    id="double_map",
    description="Return twice x.",
    native={
        "python": NativeTests(
            prompt='def double(x):\n    """Return twice x."""\n',
            test="def check(candidate):\n"
                 "    assert all(map(lambda x: candidate(x) == 2 * x, range(-5, 6)))\n",
            entry_point="double",
        )
    },
)

#: A test that prints what the solution returned (some benchmarks' tests print).
DOUBLE_PRINT = Problem(
    id="double_print",
    description="Return twice x.",
    native={
        "python": NativeTests(
            prompt='def double(x):\n    """Return twice x."""\n',
            test="def check(candidate):\n"
                 "    result = candidate(2)\n"
                 "    print(result)\n"
                 "    assert result == 4\n",
            entry_point="double",
        )
    },
)

PROBLEMS = {"add": ADD, "double": DOUBLE, "double_random": DOUBLE_RANDOM, "double_map": DOUBLE_MAP,
            "double_print": DOUBLE_PRINT}
#: Correct answers, made unique per use (a comment with the marker) so the verifier's cache cannot answer.
CORRECT = {"add": "def add(a, b):\n    return a + b  # {marker}\n", "double": "    return 2 * x  # {marker}\n"}
#: The problem whose correct answer shows that the verifier still works after an attack on ``problem``.
HEALTH_CHECK = {problem: "add" if problem == "add" else "double" for problem in PROBLEMS}


def new_marker() -> str:
    """Unique, and short enough (15 bytes) to be a process name (``/proc/<pid>/comm``)."""
    return "ck" + secrets.token_hex(6)


def outside_paths(marker: str) -> list[Path]:
    """Host paths the attacks try to create; none may exist after a run."""
    roots = [Path("/tmp"), Path(tempfile.gettempdir()), PROJECT, Path.home(), Path("/root"), Path("/dev/shm"),
             Path.cwd(), Path("/")]
    return list(dict.fromkeys(root / marker for root in roots))


def _left_work_dirs(marker: str) -> list[str]:
    """Work dirs of runs that still hold something the attack named after its marker (a failed clean-up)."""
    return glob.glob(os.path.join(glob.escape(tempfile.gettempdir()), "codekiln-sandbox-*", marker + "*"))


@contextlib.contextmanager
def no_writes_outside(marker: str) -> Iterator[list[Path]]:
    """Asserts that the body wrote none of the marker's outside paths and left no work dir behind."""
    paths = outside_paths(marker)

    def present() -> list[str]:  # the marker's paths and any name built on it (marker.lnk, marker-1, ...)
        return sorted({hit for p in paths for hit in glob.glob(glob.escape(str(p)) + "*")})

    assert not present()
    try:
        yield paths
    finally:
        written = present()
        left = [os.path.dirname(p) for p in _left_work_dirs(marker)]
        # Leave the machine clean even when the assertions below fail (rm copes with any depth).
        for path in written + left:
            subprocess.run(["rm", "-rf", "--one-file-system", "--", path], check=False)
    assert not written, f"the attack wrote outside its work dir: {written}"
    assert not left, f"the run's work dir was left on the host: {left}"


# -- processes ----------------------------------------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def _field(status: bytes, name: bytes) -> bytes:
    for line in status.splitlines():
        if line.startswith(name + b":"):
            return line.split(b":", 1)[1].strip()
    return b""


def _descends_from_us(pid: int) -> bool:
    me = os.getpid()
    for _ in range(64):
        ppid = int(_field(_read(f"/proc/{pid}/status"), b"PPid") or 0)
        if ppid == me:
            return True
        if ppid <= 1:
            return False
        pid = ppid
    return False


#: What the JavaScript warm path starts ahead for a verifier worker's next sample (and the ``timeout`` and
#: ``bash`` that launch it in its sandbox): it waits for a sample that has not come yet, in a sandbox of its own,
#: so it belongs to no run before it. The check allows at most one per worker, only with exactly this command
#: line (or the node zygote's, of which it is a fork), and never one carrying a run's marker.
WAITING_AHEAD = b"kiln_harness.js warm"
FORKED_AHEAD = b"kiln_zygote.js"
#: The verifier workers the attack suites run with: each keeps at most one node waiting.
WORKERS = 2


def leftover_processes(marker: str) -> list[str]:
    """Live processes carrying ``marker`` (name or argv), or of a sandbox uid below this process, but for the
    nodes waiting ahead (:data:`WAITING_AHEAD`), unless there are more of them than workers."""
    found, waiting, nodes = [], [], 0
    needle = marker.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        status = _read(f"/proc/{name}/status")
        if not status or _field(status, b"State").startswith((b"Z", b"X")):
            continue  # gone, or dead and only waiting to be reaped
        cmdline = _read(f"/proc/{name}/cmdline")
        uid = int(_field(status, b"Uid").split()[0] or -1)
        argv = cmdline.replace(b"\0", b" ").strip()
        entry = f"pid {name} uid {uid}: {argv[:120]!r}"
        if needle in _read(f"/proc/{name}/comm") or needle in cmdline:
            found.append(entry)
        elif uid in SANDBOX_UIDS and _descends_from_us(int(name)):
            if argv.endswith(WAITING_AHEAD) or FORKED_AHEAD in argv:
                waiting.append(entry)
                nodes += os.path.basename(cmdline.split(b"\0")[0]) == b"node"  # not its timeout or bash
            else:
                found.append(entry)
    return found + (waiting if nodes > WORKERS else [])


def assert_no_leftovers(marker: str, grace_s: float = 1.0) -> None:
    # What this process's own warm paths keep (an in-process verifier's node started ahead) is not the run's.
    close_warm()
    deadline = time.monotonic() + grace_s
    while (left := leftover_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes of the run outlived it: {left}"


# -- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret() -> Iterator[str]:
    """A secret in this process's environment, set before the verifier (and its workers) start."""
    value = "s3cr3t-" + secrets.token_hex(16)
    os.environ[SECRET_VAR] = value
    try:
        yield value
    finally:
        os.environ.pop(SECRET_VAR, None)


@pytest.fixture(scope="module")
def attack_verifier(secret: str) -> Iterator[Verifier]:
    with Verifier(make_plugins(), isolation="namespaces", limits=LIMITS, workers=2) as verifier:
        yield verifier


class Listeners:
    """A TCP server on every host address and an abstract unix socket; records whether anyone connected."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("0.0.0.0", 0), backlog=16)
        self.port = self.tcp.getsockname()[1]
        self.unix_name = "codekiln-attack-" + secrets.token_hex(8)
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind("\0" + self.unix_name)
        self.unix.listen(16)
        for sock in (self.tcp, self.unix):
            sock.setblocking(False)
        self.host_ips = sorted({"127.0.0.1", _primary_ip()})

    def connections(self) -> list[str]:
        arrived = []
        for sock in (self.tcp, self.unix):
            while True:
                try:
                    conn, peer = sock.accept()
                except BlockingIOError:
                    break
                arrived.append(f"{sock.family.name} from {peer!r}")
                conn.close()
        return arrived

    def close(self) -> None:
        self.tcp.close()
        self.unix.close()


def _primary_ip() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # a UDP "connect" only picks a route; nothing is sent
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


@pytest.fixture(scope="module")
def listeners() -> Iterator[Listeners]:
    servers = Listeners()
    try:
        yield servers
    finally:
        servers.close()
