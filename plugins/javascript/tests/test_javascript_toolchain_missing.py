"""Without node, JavaScript samples are masked ``toolchain_missing`` verdicts, never failures or crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_no_node_on_path_gives_masked_toolchain_missing(tmp_path):
    solution = tmp_path / "sol.js"
    solution.write_text("function runningMax(values) { return values; }\n")
    # The interpreter is called by its absolute path; PATH holds nothing, so `node` cannot be found.
    environment = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "codekiln", "check", str(solution), "--lang", "javascript",
         "--problem", "running_max", "--json"],
        capture_output=True, text=True, timeout=120, env=environment, check=False,
    )
    verdict = json.loads(result.stdout)
    assert (verdict["status"], verdict["masked"]) == ("toolchain_missing", True)
    assert "node not found on PATH" in verdict["stderr_tail"]
    doctor = subprocess.run([sys.executable, "-m", "codekiln", "doctor", "--json"], capture_output=True,
                            text=True, timeout=120, env=environment, check=False)
    toolchain = json.loads(doctor.stdout)["languages"]["javascript"]["toolchain"]
    assert toolchain["ok"] is False and "apt-get install nodejs" in toolchain["hint"]
