"""The verifier backends (``verifier.backend: local | ray | http``): the http backend against a real
verification service on loopback (the local verifier's verdicts, deduplication and cache, asyncio, API keys),
the Scorer and the trainer on it, configuration and environment errors in one line, and the doctor's lines
for the engines codekiln plugs into."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codekiln.client import VerifierServiceError
from codekiln.config import load_config
from codekiln.datasets import load_dataset
from codekiln.errors import ConfigError
from codekiln.rewards import RewardSet
from codekiln.sandbox import Limits
from codekiln.verdict import VerdictStatus
from codekiln.verifier import Sample, Verifier
from codekiln.verifier.backends import HttpVerifier, VerifierBackendError

from .backend_support import essence, mixed_batch, trl_totals

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install 'codekiln[serve]')")

KEY = "backend-key"
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "verifier_http.yaml"
#: The same limits as the session's local verifier (tests/conftest.py), so that verdicts compare.
LIMITS = Limits(wall_time_s=3.0, cpu_time_s=3.0)


@pytest.fixture(scope="module")
def problems(plugins):
    return {p.id: p for p in load_dataset("builtin", plugins.datasets())}


@pytest.fixture(scope="module")
def service(plugins):
    from codekiln.serve.verification import VerificationService

    with Verifier(plugins, isolation="namespaces", workers=2, cache=False, limits=LIMITS) as verifier:
        yield VerificationService(plugins, verifier, RewardSet.from_config(load_config(None), plugins))


@pytest.fixture(scope="module")
def live(service):
    from codekiln.serve.verifier_app import create_app

    from .serve.conftest import LiveServer

    server = LiveServer(create_app(service, [KEY]))
    yield server
    server.stop()


def served(service) -> int:
    """How many samples the service has verified so far (its Prometheus verdict counter)."""
    return int(sum(sample.value for metric in service.metrics.verdicts.collect() for sample in metric.samples
                   if sample.name == "codekiln_verdicts_total"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the http backend ------------------------------------------------------------------------------------------


def test_http_verdicts_are_the_local_verifiers(live, service, plugins, verifier, problems):
    batch = mixed_batch(problems)
    with HttpVerifier(plugins, live.url, api_key=KEY) as remote:
        before = served(service)
        settled = []
        verdicts = remote.verify_batch(batch, progress=settled.append)
        assert served(service) - before == len(batch) - 1  # the duplicate was sent once
        assert sum(settled) == len(batch)
        assert [essence(v) for v in verdicts] == [essence(v) for v in verifier.verify_batch(batch)]
        assert {v.status for v in verdicts} >= {VerdictStatus.PASSED, VerdictStatus.WRONG_ANSWER,
                                                VerdictStatus.SYNTAX_ERROR, VerdictStatus.COMPILE_ERROR}
        assert remote.verify_batch(batch) == verdicts  # from the cache: nothing sent
        assert served(service) - before == len(batch) - 1


def test_http_asyncio(live, plugins, problems):
    problem = problems["average"]
    batch = [Sample(problem, problem.references["python"] + "# async\n", "python"),
             Sample(problem, "def average(values):\n    return 0\n", "python")]
    with HttpVerifier(plugins, live.url, api_key=KEY) as remote:
        verdicts = asyncio.run(remote.averify_batch(batch))
    assert [v.status for v in verdicts] == [VerdictStatus.PASSED, VerdictStatus.WRONG_ANSWER]


def test_the_documented_config_selects_the_backend_and_the_key_comes_from_the_environment(live, plugins, problems,
                                                                                          monkeypatch):
    problem = problems["average"]
    monkeypatch.setenv("CODEKILN_API_KEY", KEY)
    config = load_config(EXAMPLE, [f"verifier.http.url={live.url}"])
    with Verifier.from_config(plugins, config) as remote:
        assert isinstance(remote, HttpVerifier)
        assert remote.verify(problem, problem.references["python"], "python").passed
    with Verifier.from_config(plugins, load_config(None, ["verifier.workers=1"])) as local:
        assert type(local) is Verifier
    # The key is read from the variable verifier.http.api_key_env names.
    monkeypatch.setenv("KILN_TEST_KEY", "not-a-key")
    config = load_config(EXAMPLE, [f"verifier.http.url={live.url}", "verifier.http.api_key_env=KILN_TEST_KEY"])
    with Verifier.from_config(plugins, config) as refused, \
            pytest.raises(VerifierServiceError, match=r"refused the request \(403: "):
        refused.verify(problem, problem.references["python"] + "# refused\n", "python")


def test_trl_reward_functions_on_the_http_backend(live, plugins, problems, monkeypatch):
    monkeypatch.setenv("CODEKILN_API_KEY", KEY)
    used, values = trl_totals({"backend": "http", "http": {"url": live.url}}, plugins, problems)
    assert used is HttpVerifier
    assert values == [pytest.approx(1.0), pytest.approx(0.5 / 1.5)]


@pytest.mark.slow
def test_the_trainer_takes_a_grpo_step_on_the_http_backend(live, service, plugins, model_cache, tmp_path, monkeypatch):
    from codekiln.train.trainer import train

    monkeypatch.setenv("CODEKILN_API_KEY", KEY)
    before = served(service)
    config = load_config(None, [
        f"run_dir={tmp_path / 'run'}", f"model.cache_dir={model_cache}", "data.dataset=builtin",
        "data.languages=[python]", "data.max_difficulty=1", "sft.enabled=false", "eval.enabled=false", "grpo.steps=1",
        "grpo.filter_equal_groups=false",  # no refills: exactly one round of samples reaches the service
        "grpo.prompts_per_step=2", "grpo.group_size=2", "generation.max_new_tokens=24", "generation.backend=hf",
        "verifier.backend=http", f"verifier.http.url={live.url}", "verifier.cache=false",
    ])
    result = train(config, plugins, show_progress=False)
    rows = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["grpo/step"] for row in rows if "reward/total" in row] == [1.0]
    assert served(service) - before == 4  # two prompts x two completions, verified by the service


# -- errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "error", "message"), [
    (["verifier.backend=spark"], ConfigError, r"^config key 'verifier.backend' must be one of local, ray, http; "),
    (["verifier.backend=http"], ConfigError, r"^verifier.backend is 'http' but verifier.http.url is not set: "),
    (["verifier.backend=http", "verifier.http.url=http://127.0.0.1:{port}"], VerifierBackendError,
     r"^cannot reach the verification service at http://127.0.0.1:\d+ \(ConnectError: .*\); start it with "),
    (["verifier.backend=ray", "verifier.ray.address=127.0.0.1:{port}"], VerifierBackendError,
     r"^cannot reach the Ray cluster at 127.0.0.1:\d+ \(Connection refused\): start it with `ray start --head`"),
], ids=["unknown-backend", "http-without-url", "http-unreachable", "ray-unreachable"])
def test_bad_backend_settings_fail_in_one_line(plugins, overrides, error, message):
    if "verifier.backend=ray" in overrides:
        pytest.importorskip("ray")
    port = free_port()
    with pytest.raises(error, match=message) as raised:
        Verifier.from_config(plugins, load_config(None, [o.format(port=port) for o in overrides]))
    assert "\n" not in str(raised.value)


def test_ray_not_installed_names_the_extra(plugins, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    with pytest.raises(VerifierBackendError, match=r"^verifier.backend is 'ray' but Ray is not installed: "
                                                   r"pip install 'codekiln\[ray\]'$"):
        Verifier.from_config(plugins, load_config(None, ["verifier.backend=ray"]))


def test_the_cli_prints_the_line(tmp_path):
    config = tmp_path / "remote.yaml"
    config.write_text(f"verifier:\n  backend: http\n  http:\n    url: http://127.0.0.1:{free_port()}\n")
    result = subprocess.run([sys.executable, "-m", "codekiln", "serve-verifier", "-c", str(config)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("codekiln: error: cannot reach the verification service at http://127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1


# -- codekiln doctor -------------------------------------------------------------------------------------------


def doctor(tmp_path, *, nemo_rl_source: bool) -> subprocess.CompletedProcess:
    """``codekiln doctor --json``, with a NeMo RL source tree on PYTHONPATH (as its docs install it) or none."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if nemo_rl_source:
        tree = tmp_path / "RL"
        (tree / "nemo_rl").mkdir(parents=True)
        (tree / "nemo_rl" / "__init__.py").write_text("")
        env["PYTHONPATH"] = str(tree)
    return subprocess.run([sys.executable, "-m", "codekiln", "doctor", "--json"], capture_output=True, text=True,
                          timeout=120, env=env, check=False)


def test_doctor_reports_the_engines(tmp_path):
    without = doctor(tmp_path, nemo_rl_source=False)
    assert without.returncode == 0, without.stderr
    libraries = json.loads(without.stdout)["libraries"]
    for name, hint in (("ray", "pip install 'codekiln[ray]'"), ("trl", "pip install trl"),
                       ("verl", "pip install verl")):
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            assert libraries[name] == {"ok": False, "version": None, "hint": libraries[name]["hint"]}
            assert libraries[name]["hint"].startswith(hint)
        else:
            assert libraries[name] == {"ok": True, "version": version, "hint": None}
    nemo_rl = libraries["nemo_rl"]
    assert nemo_rl["ok"] is False
    assert "nemo-rl is an empty placeholder" in nemo_rl["hint"] and "PYTHONPATH" in nemo_rl["hint"]
    with_source = json.loads(doctor(tmp_path, nemo_rl_source=True).stdout)["libraries"]["nemo_rl"]
    assert with_source["ok"] is True


def test_doctor_text_has_a_line_per_engine():
    result = subprocess.run([sys.executable, "-m", "codekiln", "doctor"], capture_output=True, text=True,
                            timeout=120, check=False)
    lines = result.stdout.splitlines()
    for name in ("ray", "trl", "verl", "nemo_rl"):
        assert sum(line.startswith(f"  {name} ") for line in lines) == 1, name
