"""A broken third-party plugin costs one stderr line naming it; everything else keeps working.

Three real distributions are built and installed into a private directory (put on ``PYTHONPATH`` only for
the ``codekiln`` subprocesses), one per way a plugin breaks: its import fails, its registration hook
raises, it implements a hook that does not exist. A test about one of them blocks the other two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codekiln.plugins import BUILTIN_PLUGINS

pytestmark = pytest.mark.slow

VERSION = "1.2.3"
BUILTINS = {"builtin.rewards", "builtin.curricula", "builtin.datasets", "builtin.jsonl_logger"}
BUILTIN_REWARDS = ["all_tests", "compiles", "format", "length", "syntax", "tests"]

# plugin (and module) name -> (module source, the error its warning line must show)
BROKEN = {
    "kilnbroken_import": (
        "import tree_sitter_nonexistent  # a grammar wheel that is not installed\n",
        "ModuleNotFoundError: No module named 'tree_sitter_nonexistent'",
    ),
    "kilnbroken_register": (
        """
        from codekiln import hookimpl

        @hookimpl
        def codekiln_register_rewards(registry):
            raise RuntimeError("reward table is corrupt")
        """,
        "codekiln_register_rewards: RuntimeError: reward table is corrupt",
    ),
    "kilnbroken_hookname": (
        """
        from codekiln import hookimpl

        @hookimpl
        def codekiln_register_reward(registry):  # misspelled: codekiln_register_rewards
            pass
        """,
        "unknown hook 'codekiln_register_reward'",
    ),
}


def distribution(name: str) -> str:
    return "codekiln-" + name.replace("_", "-")


def write_distribution(root: Path, name: str, source: str) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{distribution(name)}"
        version = "{VERSION}"

        [project.entry-points.codekiln]
        {name} = "{name}"

        [tool.setuptools]
        py-modules = ["{name}"]
        """))
    (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A directory holding the three broken distributions, installed as pip installs them."""
    build = tmp_path_factory.mktemp("broken")
    sources = [str(write_distribution(build / name, name, source)) for name, (source, _) in BROKEN.items()]
    target = build / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), *sources],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return target


def codekiln(site: Path, *args: str, block: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess:
    """Run ``codekiln ARGS`` with the broken distributions importable, blocking ``block`` by name."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CODEKILN_")}
    environ.update(env, PYTHONPATH=str(site))
    blocks = [arg for name in block for arg in ("--block", name)]
    command = [sys.executable, "-m", "codekiln", *blocks, *args]
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60)


def others(name: str) -> tuple[str, ...]:
    return tuple(other for other in BROKEN if other != name)


def plugin_rows(result: subprocess.CompletedProcess) -> dict[str, dict]:
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def warning_line(name: str) -> str:
    stage = "register" if name == "kilnbroken_register" else "load"
    return f"codekiln: warning: plugin '{name}' ({distribution(name)} {VERSION}) failed to {stage}: "


def lines_naming(text: str, name: str) -> list[str]:
    # Only lines about our plugins: another plugin installed in this environment is not this test's business.
    return [line for line in text.splitlines() if f"'{name}'" in line]


@pytest.mark.parametrize("name", list(BROKEN))
def test_one_line_names_plugin_distribution_version_and_error(site, name):
    result = codekiln(site, "plugins", "--json", block=others(name))
    rows = plugin_rows(result)

    [line] = lines_naming(result.stderr, name)
    assert line.startswith(warning_line(name) + BROKEN[name][1])
    assert all(rows[b]["status"] == "loaded" for b in BUILTINS)
    assert rows["builtin.rewards"]["registered"] == {"rewards": BUILTIN_REWARDS}


def test_failed_import_is_listed_as_failed(site):
    name = "kilnbroken_import"
    result = codekiln(site, "plugins", block=others(name))
    assert result.returncode == 0, result.stderr
    assert len(lines_naming(result.stderr, name)) == 1
    table = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "FAILED: ModuleNotFoundError" in table[name]
    assert set(table) >= BUILTINS


def test_failed_registration_is_listed_as_failed(site):
    name = "kilnbroken_register"
    rows = plugin_rows(codekiln(site, "plugins", "--json", block=others(name)))
    assert rows[name]["status"] == "failed"
    assert rows[name]["error"].startswith("codekiln_register_rewards: ")


def test_all_broken_at_once_one_line_each(site):
    result = codekiln(site, "plugins", "--json")
    rows = plugin_rows(result)
    for name, (_, error) in BROKEN.items():
        [line] = lines_naming(result.stderr, name)
        assert line.startswith(warning_line(name) + error)
    assert rows["builtin.rewards"]["registered"] == {"rewards": BUILTIN_REWARDS}


@pytest.mark.parametrize("how", ["plugin", "distribution"])
def test_block_makes_the_warning_disappear(site, how):
    block = tuple(BROKEN) if how == "plugin" else tuple(distribution(name) for name in BROKEN)
    result = codekiln(site, "plugins", "--json", block=block)
    rows = plugin_rows(result)
    assert "kilnbroken" not in result.stderr
    assert set(rows) >= BUILTINS
    assert not [name for name in rows if name.startswith("kilnbroken")]


def test_autoload_off_loads_only_the_builtins(site):
    result = codekiln(site, "plugins", "--json", CODEKILN_DISABLE_PLUGIN_AUTOLOAD="1")
    rows = plugin_rows(result)
    assert result.stderr == ""
    assert set(rows) == set(BUILTIN_PLUGINS)
