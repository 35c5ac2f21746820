"""The Ray verifier pool on a real local Ray cluster of 2 CPUs: the local verifier's verdicts, sync and asyncio,
a crash of ours masked, an actor killed mid-batch, the plugin session's block list on the actors, and the
TRL reward functions (the integrations' Scorer) with ``verifier.backend: ray``."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from codekiln.datasets import load_dataset
from codekiln.errors import RegistryError
from codekiln.plugins import make_plugins, registered
from codekiln.sandbox import Limits
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample
from codekiln.verifier.backends import VerifierBackendError

from ..backend_support import essence, mixed_batch, trl_totals
from . import crashing_language

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'codekiln[ray]')")
from codekiln.verifier.ray_pool import RayVerifier  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
#: The same limits as the session's local verifier (tests/conftest.py), so that verdicts compare.
LIMITS = Limits(wall_time_s=3.0, cpu_time_s=3.0)
SLOW = "import time\ntime.sleep(1.0)\n\ndef all_unique(values):\n    return len(set(values)) == len(values)\n"


@pytest.fixture(scope="module")
def problems(plugins):
    return {p.id: p for p in load_dataset("builtin", plugins.datasets())}


# The tests with pools of their own come first: the module's pool (below) holds both of the cluster's CPUs
# once it starts, one per actor, and a further actor would wait for a CPU.


def test_a_blocked_plugin_is_absent_on_the_actors(ray_cluster, problems):
    blocked = make_plugins(block=["codekiln-javascript"], warn=lambda line: None)
    with RayVerifier(blocked, workers=1, isolation="namespaces", limits=LIMITS) as without:
        assert [["javascript" in names, "python" in names] for names in without.worker_plugins()] == [[False, True]]
        problem = problems["all_unique"]
        with pytest.raises(RegistryError, match="javascript"):
            without.verify(problem, problem.references["javascript"], "javascript")
    # The control, where the actors do load it: test_trl_reward_functions_on_the_ray_backend.


def test_a_plugin_the_nodes_lack_fails_in_one_line(ray_cluster, plugins, tmp_path, monkeypatch):
    # A plugin module this process imports from a directory of its own, which the actors' processes do not have.
    (tmp_path / "kiln_driver_only.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    import kiln_driver_only

    with registered(plugins, kiln_driver_only, name="kiln_driver_only"), \
            pytest.raises(VerifierBackendError, match=r"^a verifier actor cannot start on its node \(ModuleNotFound"
                                                      r"Error: No module named 'kiln_driver_only'\); every node needs"):
        RayVerifier(plugins, workers=1, isolation="namespaces")


@pytest.mark.slow
def test_a_crash_of_ours_is_retried_then_masked(ray_cluster, plugins, problems):
    problem = problems["all_unique"]
    code = problem.references["python"]
    with registered(plugins, crashing_language, name="crashing_language"), \
            RayVerifier(plugins, workers=2, isolation="namespaces", limits=LIMITS) as pool:
        crashed, passed = pool.verify_batch([Sample(problem, code, "crashing"), Sample(problem, code, "python")])
        assert (crashed.status, crashed.masked) == (VerdictStatus.INFRA_ERROR, True)
        assert crashed.stderr_tail.startswith("verifier actor died:")
        assert passed.passed and not passed.masked
        assert pool.verify(problem, code + "# again\n", "python").passed  # the dead actors were replaced


def test_trl_reward_functions_on_the_ray_backend(ray_cluster, plugins, problems):
    def control(verifier):  # where the actors load the plugin test_a_blocked_plugin_is_absent_on_the_actors blocks
        assert ["javascript" in names for names in verifier.worker_plugins()] == [True]

    used, values = trl_totals({"backend": "ray", "workers": 1}, plugins, problems, check=control)
    assert used is RayVerifier
    assert values == [pytest.approx(1.0), pytest.approx(0.5 / 1.5)]
    assert ray.is_initialized()  # the pool joined the module's cluster and left it running


def test_the_documented_example(ray_cluster):
    example = importlib.util.spec_from_file_location("ray_pool_example", EXAMPLES / "ray_pool.py")
    module = importlib.util.module_from_spec(example)
    example.loader.exec_module(module)
    # The example's address is ignored: this process has joined the module's cluster, which the pool uses.
    lines = module.verify_on_ray(str(EXAMPLES / "verifier_ray.yaml"))
    assert lines == ["python: passed", "javascript: passed", "python: wrong_answer"]


@pytest.fixture(scope="module")
def pool(ray_cluster, plugins):
    with RayVerifier(plugins, workers=2, isolation="namespaces", limits=LIMITS) as verifier:
        yield verifier


def test_the_pools_verdicts_are_the_local_verifiers(pool, verifier, problems):
    batch = mixed_batch(problems)
    settled = []
    remote = pool.verify_batch(batch, progress=settled.append)
    assert [essence(v) for v in remote] == [essence(v) for v in verifier.verify_batch(batch)]
    assert {v.status for v in remote} >= {VerdictStatus.PASSED, VerdictStatus.WRONG_ANSWER,
                                          VerdictStatus.SYNTAX_ERROR, VerdictStatus.COMPILE_ERROR}
    assert {v.language for v in remote} == {"python", "javascript", "java", "cpp"}
    assert sum(settled) == len(batch)
    # A second batch comes from the cache: all of it settled at once, before any work.
    settled.clear()
    assert pool.verify_batch(batch, progress=settled.append) == remote
    assert settled == [len(batch)]


def test_asyncio_keeps_the_loop_free(pool, problems):
    problem = problems["average"]
    batch = [Sample(problem, problem.references["python"] + "# async\n", "python"),
             # Half a second of work at least, however fast verification gets: time for the loop to tick.
             Sample(problem, "import time\ntime.sleep(0.5)\ndef average(values):\n    return 0\n", "python")]

    async def main():
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        verdicts = await pool.averify_batch(batch)
        ticker.cancel()
        return verdicts, ticks

    verdicts, ticks = asyncio.run(main())
    assert [v.status for v in verdicts] == [VerdictStatus.PASSED, VerdictStatus.WRONG_ANSWER]
    assert ticks > 5




def _busy_actors(cluster: str) -> list[int]:
    """Pids of this cluster's verifier actors that are verifying now (Ray titles a busy actor's process
    ``ray::_VerifierActor.verify``); only those whose raylet runs in this module's temp dir."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            raylet = Path(f"/proc/{parent}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if title.startswith("ray::_VerifierActor.verify") and cluster in raylet:
            pids.append(int(entry.name))
    return pids


@pytest.mark.slow
def test_an_actor_killed_mid_batch_costs_no_sample(pool, ray_cluster, problems):
    problem = problems["all_unique"]
    batch = [Sample(problem, SLOW + f"# {n}\n", "python") for n in range(2)]
    result = {}

    def verify():
        try:
            result["verdicts"] = pool.verify_batch(batch)
        except BaseException as exc:  # shown by the assertion below
            result["error"] = exc

    worker = threading.Thread(target=verify)
    worker.start()
    deadline = time.monotonic() + 60
    while not (busy := _busy_actors(ray_cluster)):
        assert time.monotonic() < deadline, "no verifier actor started verifying"
        time.sleep(0.05)
    os.kill(busy[0], signal.SIGKILL)
    worker.join(120)
    assert "verdicts" in result, result
    assert [(v.status, v.masked, v.stderr_tail) for v in result["verdicts"]] == [(VerdictStatus.PASSED, False, "")] * 2
    assert len(pool.worker_plugins()) == 2  # the killed actor was replaced
