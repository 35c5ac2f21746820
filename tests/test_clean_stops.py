"""Clean stops: SIGINT or SIGTERM ends a command's whole process tree and removes its temporary files.

Each case starts a real command with a unique marker in its environment (inherited by every process it
starts but the sandboxed ones, whose environment is scrubbed) and a private ``TMPDIR`` (where the sandboxes'
work dirs go), waits until it is in the middle of its work, sends the signal to it alone, and then finds
nothing left: no process that descended from it when the signal was sent (sandboxed ones included), no
process carrying the marker or naming the private ``TMPDIR`` on its command line (bwrap does), and nothing
in the private ``TMPDIR`` (no mount either). Other processes verifying code on the machine meanwhile count
for nothing: they are neither descendants nor marked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from codekiln.sandbox import Isolation, available_levels

pytestmark = pytest.mark.skipif(available_levels()[Isolation.NAMESPACES] is not None,
                                reason="the namespaces sandbox level is unavailable here")

SIGNALS = [signal.SIGINT, signal.SIGTERM]

# A sample that keeps a sandbox busy long enough for the signal to find it at work.
_SLOW = "import time\ndef running_max(values):\n    time.sleep(0.4)  # {}\n    return values\n"

# A long batch in a script of a user's, who wrote no signal handling: SIGINT arrives as KeyboardInterrupt
# and leaves the ``with`` block; SIGTERM kills the script outright, and the workers end themselves. SIGUSR1
# prints its threads' stacks: what :meth:`Run.stop` shows of a stop that hangs.
_BATCH = textwrap.dedent("""
    import faulthandler, signal
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    from codekiln.datasets import load_dataset
    from codekiln.plugins import make_plugins
    from codekiln.verifier import Sample, Verifier
    plugins = make_plugins()
    problem = next(p for p in load_dataset("builtin", plugins.datasets()) if p.id == "running_max")
    slow = {slow!r}
    with Verifier(plugins, workers=2, cache=False) as verifier:
        verifier.verify_batch([Sample(problem, slow.format(i), "python") for i in range(200)])
""")


class Run:
    """A command started with a marker and a private TMPDIR."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.marker = f"codekiln-stop-{uuid.uuid4().hex}"
        self.tmpdir = tempfile.mkdtemp(prefix="codekiln-stop-")
        os.chmod(self.tmpdir, 0o755)  # the sandbox's uids reach their work dirs through it
        env = {**os.environ, "TMPDIR": self.tmpdir, "CODEKILN_STOP_TEST": self.marker}
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, preexec_fn=_as_a_terminal_starts_it)

    def processes(self) -> list[tuple[int, str]]:
        """The run's live processes (pid, command line), itself included."""
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/environ", "rb") as file:
                    environ = file.read()
                with open(f"/proc/{name}/cmdline", "rb") as file:
                    cmdline = file.read()
                with open(f"/proc/{name}/stat", "rb") as file:
                    state = file.read().rsplit(b")", 1)[1].split()[0]
            except OSError:
                continue
            if state != b"Z" and (self.marker.encode() in environ or self.tmpdir.encode() in cmdline):
                found.append((int(name), cmdline.replace(b"\0", b" ").decode(errors="replace")[:200]))
        return found

    def wait_until(self, condition, what: str, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.proc.poll() is None, f"the run ended before {what}: {self.proc.communicate()}"
            assert time.monotonic() < deadline, f"no {what} after {timeout} s"
            time.sleep(0.1)

    def sandbox_busy(self) -> bool:
        """A sample is being verified: a bwrap runs below a worker (the one the run's own process starts when
        it probes the isolation levels does not count)."""
        return any("bwrap" in cmdline and _stat(pid) is not None and int(_stat(pid)[1]) != self.proc.pid
                   for pid, cmdline in self.processes())

    def stop(self, signum: int) -> tuple[int, str]:
        self.tree = _descendants(self.proc.pid)
        self.proc.send_signal(signum)
        try:
            _, stderr = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)  # a script that registered faulthandler prints its stacks
            time.sleep(2)
            self.proc.kill()
            _, stderr = self.proc.communicate()
            pytest.fail(f"still running 60 s after {signal.Signals(signum).name}; its stderr ends:\n{stderr[-6000:]}")
        return self.proc.returncode, stderr

    def assert_nothing_left(self) -> None:
        deadline = time.monotonic() + 3.0  # what was killed may take a moment to be reaped
        while (self.processes() or _alive(self.tree)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.processes() == []
        assert _alive(self.tree) == {}
        with open("/proc/self/mountinfo", encoding="utf-8") as file:
            assert self.tmpdir not in file.read()
        assert os.listdir(self.tmpdir) == []
        os.rmdir(self.tmpdir)


def _as_a_terminal_starts_it() -> None:
    """SIGINT at its default, as for a command typed at a terminal. A shell without job control starts its
    background jobs with SIGINT ignored (POSIX), and so would every command here when the tests themselves
    run as one (``.ci/run &``); Python then never turns SIGINT into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stat(pid: int) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name: state, ppid, ... (field 20 is the start time)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None


def _descendants(root: int) -> dict[int, bytes]:
    """Every live descendant of ``root``, mapped to its start time (which tells a reused pid apart)."""
    children: dict[int, list[int]] = {}
    started: dict[int, bytes] = {}
    for name in os.listdir("/proc"):
        fields = _stat(int(name)) if name.isdigit() else None
        if fields is not None and fields[0] != b"Z":
            children.setdefault(int(fields[1]), []).append(int(name))
            started[int(name)] = fields[19]
    found, todo = {}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = started[child]
            todo.append(child)
    return found


def _alive(tree: dict[int, bytes]) -> dict[int, bytes]:
    alive = {}
    for pid, start in tree.items():
        fields = _stat(pid)
        if fields is not None and fields[19] == start and fields[0] != b"Z":
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                alive[pid] = file.read().replace(b"\0", b" ")[:200]
    return alive


def _samples(path: Path, n: int) -> Path:
    rows = [{"task_id": "running_max", "completion": _SLOW.format(i), "language": "python"} for i in range(n)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_verify_stops_cleanly(tmp_path, signum):
    samples = _samples(tmp_path / "samples.jsonl", 200)
    run = Run([sys.executable, "-m", "codekiln", "verify", "--dataset", "builtin", "--workers", "2",
               str(samples)], tmp_path)
    run.wait_until(run.sandbox_busy, "sandbox at work")
    returncode, stderr = run.stop(signum)
    assert returncode == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == (
        f"codekiln: stopped by {signum.name}; its processes and temporary files are gone")
    run.assert_nothing_left()


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_a_long_batch_in_a_script_stops_cleanly(tmp_path, signum):
    run = Run([sys.executable, "-c", _BATCH.format(slow=_SLOW)], tmp_path)
    run.wait_until(run.sandbox_busy, "sandbox at work")
    returncode, stderr = run.stop(signum)
    # SIGTERM leaves through SystemExit(143); after an uncaught KeyboardInterrupt Python kills itself by SIGINT.
    assert returncode == (128 + signum if signum == signal.SIGTERM else -signum), stderr
    run.assert_nothing_left()


def test_train_stops_cleanly_and_resumes(tmp_path, model_cache):
    run_dir = tmp_path / "run"
    # A tiny run on the embedded model (as tests/train's), checkpointing after each GRPO step. One run takes
    # both signals: SIGTERM after its first checkpoint, SIGINT after the resumed run's next one; then a second
    # resume finishes it (each stop costs a whole start, so the two signals share one run). No evaluation:
    # the signals land between GRPO steps either way.
    argv = [sys.executable, "-m", "codekiln", "train", "--no-progress", f"run_dir={run_dir}",
            f"model.cache_dir={model_cache}", "data.languages=[python]", "data.max_difficulty=1",
            "data.validation_fraction=0.25", "verifier.workers=2", "sft.epochs=1", "grpo.steps=3",
            "grpo.prompts_per_step=2", "grpo.group_size=2", "grpo.checkpoint_every=1",
            "generation.max_new_tokens=24", "generation.backend=hf", "eval.enabled=false"]
    checkpoints = run_dir / "checkpoints"

    def steps() -> set[str]:
        return {p.name for p in checkpoints.iterdir() if p.name.startswith("step-")} if checkpoints.is_dir() else set()

    for signum, resume in ((signal.SIGTERM, []), (signal.SIGINT, ["--resume"])):
        before = steps()
        run = Run([*argv, *resume], tmp_path)
        run.wait_until(lambda before=before: bool(steps() - before), "a new checkpoint")
        returncode, stderr = run.stop(signum)
        assert returncode == 128 + signum, stderr
        run.assert_nothing_left()
        assert [p.name for p in checkpoints.iterdir() if not p.name.startswith("step-")] == []  # no half checkpoint
    resumed = subprocess.run([*argv, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (run_dir / "final").is_dir()
