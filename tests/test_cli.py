"""The command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from codekiln import __version__
from codekiln.plugins import BUILTIN_PLUGINS


def codekiln(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codekiln", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}, check=False,
    )


def test_version():
    result = codekiln("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"codekiln, version {__version__}"


def test_plugins_json_lists_the_builtins_and_what_they_registered():
    result = codekiln("plugins", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(BUILTIN_PLUGINS) <= set(rows)
    assert rows["builtin.rewards"]["registered"]["rewards"] == [
        "all_tests", "compiles", "format", "length", "syntax", "tests"]
    assert rows["builtin.efficiency"]["registered"]["rewards"] == ["efficiency"]
    assert rows["builtin.datasets"]["registered"]["datasets"] == [
        "builtin", "families", "hf", "humaneval", "humaneval-x", "jsonl", "mbpp", "multipl-e"]
    assert rows["builtin.rewards"]["distribution"] == "codekiln"
    assert rows["builtin.rewards"]["version"] == __version__
    assert rows["builtin.jsonl_logger"]["hooks"] == ["codekiln_evaluation_finished", "codekiln_step_finished"]


def test_block_flag_and_autoload_switch():
    rows = json.loads(codekiln("--block", "builtin.rewards", "plugins", "--json").stdout)
    assert "builtin.rewards" not in {row["name"] for row in rows}
    result = codekiln("--no-autoload", "plugins", "--json")
    assert {row["name"] for row in json.loads(result.stdout)} == set(BUILTIN_PLUGINS)


def test_plugins_table_is_readable():
    result = codekiln("plugins")
    assert result.returncode == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("builtin.rewards"))
    assert f"codekiln {__version__}" in line and "rewards: all_tests, compiles, format, length, syntax, tests" in line


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["config", "show"]])
def test_light_commands_do_not_import_torch(args):
    probe = (
        "import sys\n"
        "from codekiln.cli import cli\n"
        f"try:\n    cli.main(args={args!r}, standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'vllm', 'ray') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert "HEAVY []" in result.stderr, result.stderr


def test_doctor_json_reports_each_part():
    result = codekiln("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"python", "languages", "isolation", "per_run_limits", "libraries", "gpu",
                           "plugin_failures"}
    assert set(report["isolation"]) == {"none", "process", "namespaces"}
    from codekiln.sandbox import cgroup_unavailable

    assert report["per_run_limits"] == {"ok": cgroup_unavailable() is None, "hint": cgroup_unavailable()}
    assert report["isolation"]["none"]["ok"] is True
    for name in ("torch", "transformers", "vllm", "ray"):
        entry = report["libraries"][name]
        assert entry["ok"] or entry["hint"], name  # either present or a fix hint
    assert report["gpu"]["ok"] or report["gpu"]["hint"]


def test_doctor_text():
    result = codekiln("doctor")
    assert result.returncode == 0, result.stderr
    assert "sandbox isolation:" in result.stdout and "libraries:" in result.stdout
    assert "\n  per run      " in result.stdout


def test_config_show_prints_the_effective_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("grpo:\n  group_size: 4\n")
    result = codekiln("config", "show", "--config", str(path), "grpo.steps=2")
    assert result.returncode == 0, result.stderr
    assert "  group_size: 4\n" in result.stdout and "  steps: 2\n" in result.stdout


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    result = codekiln("config", "show", "grpo.group_sze=4")
    assert result.returncode == 2
    assert result.stderr == "codekiln: error: unknown config key 'grpo.group_sze'; did you mean 'grpo.group_size'?\n"
    assert "Traceback" not in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    result = codekiln("config", "show", "-c", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"codekiln: error: {bad}:2: not valid YAML")
