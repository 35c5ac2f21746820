"""HumanEval through ``codekiln verify``: the 164 canonical solutions pass; with broken return values, none do."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from codekiln.datasets import load_dataset
from codekiln.plugins import make_plugins

pytestmark = pytest.mark.slow

# Appended after a canonical completion (which ends the function's body): the entry point is rebound to a
# wrapper whose every answer differs from the right one.
_BREAK_RETURN = """

def _kiln_perturb(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + max(1, abs(value))
    if isinstance(value, str):
        return value + "!"
    if isinstance(value, list | tuple):
        return type(value)([*value, value[0] if value else 0])
    return 0


_kiln_original = {name}


def {name}(*args):
    return _kiln_perturb(_kiln_original(*args))
"""


@pytest.fixture(scope="module")
def humaneval():
    return load_dataset("humaneval", make_plugins(autoload=False).datasets())


def verify(tmp_path, rows):
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "results.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "codekiln", "verify", str(samples), "--dataset", "humaneval", "--out", str(out),
         "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout), [json.loads(line) for line in out.read_text().splitlines()]


def test_all_canonical_solutions_pass(tmp_path, humaneval):
    assert len(humaneval) == 164
    rows = [{"task_id": p.id, "completion": p.references["python"]} for p in reversed(humaneval)]
    summary, results = verify(tmp_path, rows)
    assert [r["task_id"] for r in results] == [row["task_id"] for row in rows]  # input order
    failed = {r["task_id"]: r["status"] for r in results if not r["passed"]}
    assert failed == {}
    assert summary["python"]["passed"] == 164 and summary["python"]["statuses"] == {"passed": 164}


def test_broken_return_values_all_fail(tmp_path, humaneval):
    rows = [
        {"task_id": p.id,
         "completion": p.references["python"] + _BREAK_RETURN.format(name=p.native["python"].entry_point)}
        for p in humaneval
    ]
    summary, results = verify(tmp_path, rows)
    passed = [r["task_id"] for r in results if r["passed"]]
    assert passed == []
    assert summary["python"]["passed"] == 0
    assert set(summary["python"]["statuses"]) <= {"wrong_answer", "runtime_error"}
