"""A third-party reward plugin, installed with pip, is used by name from a YAML config.

The plugin is a real distribution built from a temporary directory. pip installs it with ``--target`` into a
directory of its own that this test puts on ``sys.path``: codekiln discovers it through its entry point as it
would in site-packages, and the shared environment is never touched, so a test that dies midway leaves
nothing behind to uninstall.
"""

from __future__ import annotations

import importlib.metadata
import pickle
import subprocess
import sys

import pytest

from codekiln.config import load_config
from codekiln.errors import ConfigError
from codekiln.plugins import make_plugins
from codekiln.rewards import RewardSet
from codekiln.verdict import Verdict, VerdictStatus

pytestmark = pytest.mark.slow

NAME = "kilnthirdparty"
DISTRIBUTION = f"codekiln-{NAME}"
MODULE = f"codekiln_{NAME}"

PYPROJECT = f"""\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "{DISTRIBUTION}"
version = "0.3.0"
dependencies = ["codekiln"]

[project.entry-points.codekiln]
{NAME} = "{MODULE}"

[tool.setuptools]
packages = ["{MODULE}"]
"""

# Written as a plugin author would: the calling convention's columns by keyword, the rest ignored, a
# parameter from reward_params, abstaining on masked verdicts, sub-metrics in last_details.
PLUGIN = '''\
from codekiln import hookimpl
from codekiln.rewards import Reward


class ShortCodeReward(Reward):
    """1.0 for extracted code of at most ``max_lines`` lines, 0.0 beyond; abstains on masked verdicts."""

    name = "short_code"

    def __init__(self, max_lines: int = 10) -> None:
        if max_lines < 1:
            raise ValueError(f"max_lines must be at least 1, got {max_lines}")
        self.max_lines = max_lines
        self.last_details = None

    def __call__(self, completions, *, codes, verdicts, **ignored):
        lines = [len(code.splitlines()) for code in codes]
        self.last_details = [{"short_code/lines": n} for n in lines]
        return [None if v.masked else float(n <= self.max_lines) for n, v in zip(lines, verdicts)]


@hookimpl
def codekiln_register_rewards(registry):
    registry.register(ShortCodeReward)
'''

CONFIG = """\
rewards:
  short_code: 1.0
  all_tests: 3.0
reward_params:
  short_code: {max_lines: 2}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The plugin pip-installed into a directory of its own (once for this module: an install costs seconds)."""
    root = tmp_path_factory.mktemp("third-party")
    source = root / DISTRIBUTION
    (source / MODULE).mkdir(parents=True)
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / MODULE / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    target = root / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return target


@pytest.fixture
def installed_plugin(site, monkeypatch):
    """The installed plugin, on sys.path for this test only."""
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution(DISTRIBUTION)  # not in the shared environment, before or after
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop(MODULE, None)


def test_third_party_reward_is_used_by_name_from_config(installed_plugin, tmp_path, monkeypatch):
    monkeypatch.delenv("CODEKILN_BLOCK_PLUGINS", raising=False)
    monkeypatch.delenv("CODEKILN_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    warnings: list[str] = []
    plugins = make_plugins(autoload=True, warn=warnings.append)
    assert [w for w in warnings if NAME in w] == []
    info = plugins.infos[NAME]
    assert (info.distribution, info.version, info.builtin) == (DISTRIBUTION, "0.3.0", False)
    registry = plugins.rewards()
    assert registry.owner("short_code") == NAME

    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    rewards = RewardSet.from_config(load_config(path), plugins)
    assert rewards.names == ["short_code", "all_tests"]
    assert rewards.rewards["short_code"].max_lines == 2

    passed, wrong = Verdict(VerdictStatus.PASSED, "python"), Verdict(VerdictStatus.WRONG_ANSWER, "python")
    masked = Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True)
    codes = ["x = 1\n", "a = 1\nb = 2\nc = 3\n", "x = 1\n"]
    breakdowns = rewards([f"```python\n{c}```" for c in codes], codes=codes, verdicts=[passed, wrong, masked],
                         problems=[None] * 3, languages=["python"] * 3, completion_lengths=[9, 12, 9],
                         max_new_tokens=64)
    assert [b.components for b in breakdowns] == [
        {"short_code": 1.0, "all_tests": 1.0},
        {"short_code": 0.0, "all_tests": 0.0},
        {"short_code": None, "all_tests": None},
    ]
    assert [b.total for b in breakdowns] == [1.0, 0.0, 0.0]  # (1 * 1 + 3 * 1) / 4, (1 * 0 + 3 * 0) / 4
    assert breakdowns[2].masked and not breakdowns[0].masked
    assert [b.details for b in breakdowns] == [{"short_code/lines": 1.0}, {"short_code/lines": 3.0},
                                              {"short_code/lines": 1.0}]
    # The composed set travels to worker processes.
    assert pickle.loads(pickle.dumps(rewards))(["x"], codes=["x\ny\nz\n"], verdicts=[passed])[0].total == 0.75


def test_codekiln_plugins_lists_it(installed_plugin):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed_plugin)}
    result = subprocess.run([sys.executable, "-m", "codekiln", "plugins"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith(NAME))
    assert f"{DISTRIBUTION} 0.3.0" in line and "rewards: short_code" in line


def test_bad_params_from_config_name_the_reward(installed_plugin):
    plugins = make_plugins(autoload=True, warn=lambda line: None)
    config = load_config(None, ["rewards={short_code: 1}", "reward_params={short_code: {max_lines: 0}}"])
    with pytest.raises(ConfigError, match=r"config key 'reward_params.short_code': reward 'short_code': max_lines"):
        RewardSet.from_config(config, plugins)
