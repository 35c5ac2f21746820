"""The plugin template is itself tested: generate a plugin from it, install it, and see codekiln find it.

The test follows the template's README: copy, replace ``myreward`` everywhere, ``pip install``, run the
plugin's own tests, check ``codekiln plugins``. It installs into the current environment (that is what a
user does), so it always uninstalls, and checks the plugin is gone afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parent.parent / "plugin_template"
TOKEN = "myreward"
# Unlikely to clash with a real plugin: this distribution lives in the shared environment while the test runs.
NAME = "kilntplcheck"
DISTRIBUTION = f"codekiln-{NAME}"


def clean_env() -> dict[str, str]:
    """This environment minus the switches that change which plugins codekiln or pytest load."""
    dropped = {"PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    return {k: v for k, v in os.environ.items() if not k.startswith("CODEKILN_") and k not in dropped}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=300
    )


def listed_plugins() -> dict[str, dict]:
    result = run("-m", "codekiln", "plugins", "--json")
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def generate_plugin(dest: Path, name: str) -> Path:
    """Copy the template to ``dest`` and replace ``myreward`` with ``name`` in contents and paths."""
    shutil.copytree(
        TEMPLATE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".*cache")
    )
    # Deepest paths first, so renaming a directory never invalidates a path still to be visited.
    for path in sorted(dest.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file():
            path.write_text(path.read_text(encoding="utf-8").replace(TOKEN, name), encoding="utf-8")
        if TOKEN in path.name:
            path.rename(path.with_name(path.name.replace(TOKEN, name)))
    return dest


def test_generate_renames_every_occurrence(tmp_path):
    plugin = generate_plugin(tmp_path / "plugin", NAME)
    leftovers = [p for p in plugin.rglob("*") if TOKEN in p.name or (p.is_file() and TOKEN in p.read_text())]
    assert leftovers == []
    assert (plugin / f"codekiln_{NAME}" / "__init__.py").is_file()
    assert (plugin / "tests" / f"test_{NAME}.py").is_file()


def test_template_installs_is_discovered_and_passes_its_tests(tmp_path):
    plugin = generate_plugin(tmp_path / DISTRIBUTION, NAME)
    assert NAME not in listed_plugins()
    try:
        install = run("-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(plugin))
        assert install.returncode == 0, install.stdout + install.stderr

        row = listed_plugins()[NAME]
        assert (row["distribution"], row["version"], row["status"]) == (DISTRIBUTION, "0.1.0", "loaded")
        assert row["registered"] == {"rewards": [NAME]}

        # From tmp_path, not the plugin directory, so the tests import the installed copy.
        tests = run("-m", "pytest", "-q", "-p", "no:cacheprovider", str(plugin / "tests"), cwd=tmp_path)
        assert tests.returncode == 0, tests.stdout + tests.stderr
        assert " passed" in tests.stdout and "failed" not in tests.stdout
    finally:
        uninstall = run("-m", "pip", "uninstall", "-y", "-q", DISTRIBUTION)
    assert uninstall.returncode == 0, uninstall.stdout + uninstall.stderr
    assert NAME not in listed_plugins()
