"""One plugin session per process: what an entry point blocks is blocked in every process it starts.

A real distribution, ``codekiln-kilnmarker``, is pip-installed into a private directory that only the
commands run here see (on their ``PYTHONPATH``). Importing its plugin module writes a marker file named after
the importing process's pid, so after a command the markers say which processes loaded the plugin: the
command itself, the verifier's workers, or none. Each blocking check has a control run without the block,
showing that the workers do load the plugin when it is not blocked.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from codekiln.errors import ConfigError, PluginError
from codekiln.plugins import make_plugins, registered
from codekiln.verifier import Verifier

NAME = "kilnmarker"
MODULE = f"codekiln_{NAME}"
MARKERS = "KILNMARKER_DIR"

PYPROJECT = f"""\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "codekiln-{NAME}"
version = "0.1.0"

[project.entry-points.codekiln]
{NAME} = "{MODULE}"

[tool.setuptools]
packages = ["{MODULE}"]
"""

PLUGIN = f"""\
import os

directory = os.environ.get("{MARKERS}")
if directory:
    with open(os.path.join(directory, str(os.getpid())), "w") as marker:
        marker.write("imported")
"""

RUNNING_MAX = "def running_max(values):\n    return [max(values[:i + 1]) for i in range(len(values))]\n"
WRONG = "def running_max(values):\n    return values\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The marker plugin, installed into a directory of its own (never into the shared environment)."""
    root = tmp_path_factory.mktemp("kilnmarker")
    source = root / "src"
    (source / MODULE).mkdir(parents=True)
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / MODULE / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    target = root / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return target


def run_codekiln(site: Path, markers: Path, *args: str, timeout: float = 180) -> tuple[int, set[int]]:
    """Run ``codekiln ARGS`` with the marker plugin installed; its pid and the pids that imported the plugin."""
    markers.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("CODEKILN_BLOCK_PLUGINS", "CODEKILN_DISABLE_PLUGIN_AUTOLOAD")}
    env.update(PYTHONPATH=str(site), **{MARKERS: str(markers)})
    process = subprocess.Popen([sys.executable, "-m", "codekiln", *args], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode in (0, 1), stdout + stderr  # 1: a sample that fails its tests, as intended
    return process.pid, {int(marker.name) for marker in markers.iterdir()}


@pytest.fixture
def samples(tmp_path) -> Path:
    # Two different completions: distinct work, so the verifier hands them to its worker pool.
    path = tmp_path / "samples.jsonl"
    rows = [{"task_id": "running_max", "completion": code, "language": "python"} for code in (RUNNING_MAX, WRONG)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.slow
def test_verify_workers_load_the_plugin_unless_it_is_blocked(site, samples, tmp_path):
    verify = ("verify", str(samples), "--dataset", "builtin", "--workers", "2")
    pid, imported = run_codekiln(site, tmp_path / "control", *verify)
    assert pid in imported and imported - {pid}, "the control run's workers did not load the plugin"

    assert run_codekiln(site, tmp_path / "blocked", "--block", NAME, *verify)[1] == set()
    assert run_codekiln(site, tmp_path / "by-distribution", "--block", f"codekiln-{NAME}", *verify)[1] == set()


@pytest.mark.slow
def test_check_does_not_load_a_blocked_plugin(site, tmp_path):
    solution = tmp_path / "solution.py"
    solution.write_text(RUNNING_MAX, encoding="utf-8")
    check = ("check", str(solution), "--lang", "python", "--problem", "running_max")
    pid, imported = run_codekiln(site, tmp_path / "control", *check)
    assert imported == {pid}
    assert run_codekiln(site, tmp_path / "blocked", "--block", NAME, *check)[1] == set()


@pytest.mark.slow
def test_train_does_not_load_a_blocked_plugin_in_any_process(site, model_cache, tmp_path):
    # The evaluation before SFT verifies one completion per validation problem (two: distinct work, so the
    # worker pool runs it); one GRPO step then verifies a group. SFT is off: what counts is which processes
    # import the plugin.
    train = ("train", "--no-progress", f"run_dir={tmp_path / 'run'}", f"model.cache_dir={model_cache}",
             "data.languages=[python]", "data.max_difficulty=1", "eval.split=validation", "verifier.workers=2",
             "sft.enabled=false", "grpo.steps=1", "grpo.prompts_per_step=2", "grpo.group_size=2",
             "generation.max_new_tokens=16", "generation.backend=hf")
    pid, imported = run_codekiln(site, tmp_path / "control", *train, timeout=600)
    assert pid in imported and imported - {pid}, "the control run's verifier workers did not load the plugin"

    train = (*train[:2], f"run_dir={tmp_path / 'blocked-run'}", *train[3:])
    assert run_codekiln(site, tmp_path / "blocked", "--block", NAME, *train, timeout=600)[1] == set()


# -- the session's description, in process ---------------------------------------------------------------------


class _InProcessPlugin:
    """A plugin object made in this process: no other process can import it."""


def test_a_plugin_made_in_process_is_refused_where_workers_would_need_it():
    plugins = make_plugins(autoload=False, warn=lambda line: None)
    with registered(plugins, _InProcessPlugin(), name="local"):
        with pytest.raises(PluginError, match=r"^plugin 'local' \(_InProcessPlugin\) was registered in this process "
                                              r"only, so worker processes cannot load it: register a module "
                                              r"importable by name, or use one worker \(workers=1\)$"):
            Verifier(plugins, isolation="none", workers=2)
        with Verifier(plugins, isolation="none", workers=1) as verifier:  # verifies in this process: fine
            assert verifier.languages is plugins.languages()
    assert plugins.spec().extra == ()


def test_the_description_keeps_the_switches_and_the_environments_block_list(monkeypatch):
    monkeypatch.setenv("CODEKILN_BLOCK_PLUGINS", "builtin.security")
    spec = make_plugins(autoload=False, block=["builtin.quality"], warn=lambda line: None).spec()
    assert (spec.autoload, spec.block) == (False, ("builtin.quality", "builtin.security"))
    monkeypatch.delenv("CODEKILN_BLOCK_PLUGINS")  # a worker sees what its parent saw, whatever its own environment
    monkeypatch.delenv("CODEKILN_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    rebuilt = pickle.loads(pickle.dumps(spec)).build()
    assert all(info.builtin for info in rebuilt.infos.values())  # autoload stays off: no entry point loaded
    assert {"builtin.quality", "builtin.security"}.isdisjoint(rebuilt.infos)
    assert "quality" not in rebuilt.rewards() and "tests" in rebuilt.rewards()


def test_a_module_registered_by_name_reaches_the_workers():
    # The verifier's workers rebuild the session from its description: blocked by name, the efficiency
    # reward's module is registered again under another name, and the rebuilt session has it there.
    plugins = make_plugins(autoload=False, block=["builtin.efficiency"], warn=lambda line: None)
    import codekiln.builtin.rewards.efficiency as module

    with registered(plugins, module, name="efficiency.again"):
        spec = pickle.loads(pickle.dumps(plugins.spec()))
        assert [(info.name, info.module) for info in spec.extra] == [("efficiency.again", module.__name__)]
        rebuilt = spec.build()
    assert rebuilt.rewards().owner("efficiency") == "efficiency.again"
    assert "builtin.efficiency" not in rebuilt.infos


def test_train_refuses_a_session_that_does_not_block_what_the_config_blocks(tmp_path):
    from codekiln.config import load_config
    from codekiln.train.trainer import train

    config = load_config(None, [f"run_dir={tmp_path / 'run'}", "plugins.block=[builtin.quality, kilnmarker]"])
    with pytest.raises(ConfigError, match=r"^config key 'plugins.block': the plugin session was built without "
                                          r"blocking builtin.quality, kilnmarker; build it with "
                                          r"make_plugins\(block=config.plugins.block\)$"):
        train(config, make_plugins(autoload=False, block=["builtin.tensorboard"]), show_progress=False)
    assert not (tmp_path / "run").exists()
