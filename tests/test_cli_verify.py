"""``codekiln check`` and ``codekiln verify`` as a user runs them."""

from __future__ import annotations

import json

import pytest

from codekiln.jsonio import from_json, to_json
from codekiln.verdict import Verdict

from .test_cli import codekiln

RUNNING_MAX = (
    "def running_max(values):\n    out = []\n    for v in values:\n"
    "        out.append(max(out[-1], v) if out else v)\n    return out\n"
)


def test_check_passing_file_against_a_builtin_problem(tmp_path):
    path = tmp_path / "sol.py"
    path.write_text(RUNNING_MAX)
    result = codekiln("check", str(path), "--lang", "python", "--problem", "running_max")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("python: PASSED")
    assert "tests: " in result.stdout and " passed" in result.stdout


def test_check_json_is_a_verdict(tmp_path):
    path = tmp_path / "sol.py"
    path.write_text("def running_max(values):\n    return values\n")
    result = codekiln("check", str(path), "--lang", "python", "--problem", "running_max", "--json")
    assert result.returncode == 1
    verdict = from_json(Verdict, json.loads(result.stdout), where="stdout")
    assert verdict.status.value == "wrong_answer" and verdict.tests_total > 0


def test_check_shows_diagnostics_with_line_numbers(tmp_path):
    path = tmp_path / "sol.py"
    path.write_text("def f(x):\n    return x\nreturn 1\n")
    result = codekiln("check", str(path), "--lang", "python")
    assert result.returncode == 1
    assert "COMPILE_ERROR" in result.stdout and "line 3:1: 'return' outside function" in result.stdout


def test_check_without_problem_checks_syntax_and_compilation_only(tmp_path):
    path = tmp_path / "sol.py"
    path.write_text("print('hello')\n")
    result = codekiln("check", str(path), "--lang", "python")
    assert result.returncode == 0 and "run" not in result.stdout.split("\n", 1)[1]


def test_check_with_a_problem_file(tmp_path):
    problem = {"id": "neg", "description": "negate",
               "signature": {"name": "neg", "params": [{"name": "x", "type": "int"}], "returns": "int"},
               "tests": [{"args": [1], "expected": -1}, {"args": [-2], "expected": 2}]}
    (tmp_path / "p.json").write_text(json.dumps(problem))
    (tmp_path / "sol.py").write_text("def neg(x):\n    return -x\n")
    result = codekiln("check", str(tmp_path / "sol.py"), "--lang", "python", "--problem", str(tmp_path / "p.json"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "cobol"], "codekiln: error: unknown language 'cobol'; available: "),
        (["--lang", "python", "--problem", "no_such_problem"],
         "codekiln: error: --problem 'no_such_problem' is neither a problem file nor a built-in problem id"),
    ],
)
def test_check_bad_input(tmp_path, args, message):
    path = tmp_path / "sol.py"
    path.write_text("x = 1\n")
    result = codekiln("check", str(path), *args)
    assert result.returncode == 2 and result.stderr.startswith(message) and result.stderr.count("\n") == 1


def write_samples(tmp_path, rows):
    path = tmp_path / "samples.jsonl"
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def test_verify_builtin_samples_writes_rows_in_input_order(tmp_path):
    rows = [
        {"task_id": "running_max", "completion": f"```python\n{RUNNING_MAX}```"},
        {"task_id": "running_max", "completion": "def running_max(values):\n    return []\n", "language": "python"},
        {"task_id": "is_palindrome", "completion": "def is_palindrome(text):\n    return text == text[::-1\n"},
    ]
    out = tmp_path / "results.jsonl"
    result = codekiln("verify", str(write_samples(tmp_path, rows)), "--dataset", "builtin", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("python: 1/3 passed (33.3%)")
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["task_id"], r["status"], r["passed"]) for r in results] == [
        ("running_max", "passed", True),
        ("running_max", "wrong_answer", False),
        ("is_palindrome", "syntax_error", False),
    ]


def test_verify_json_summary_and_jsonl_dataset(tmp_path):
    problems = tmp_path / "problems.jsonl"
    problem = {"id": "neg", "description": "negate",
               "signature": {"name": "neg", "params": [{"name": "x", "type": "int"}], "returns": "int"},
               "tests": [{"args": [1], "expected": -1}]}
    problems.write_text(json.dumps(problem) + "\n")
    samples = write_samples(tmp_path, [{"task_id": "neg", "completion": "def neg(x):\n    return -x\n"}])
    result = codekiln("verify", str(samples), "--dataset", f"jsonl:{problems}", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "python": {"samples": 1, "passed": 1, "pass_rate": 1.0, "statuses": {"passed": 1}}
    }


@pytest.mark.parametrize(
    ("rows", "dataset", "message"),
    [
        (['{"task_id": "running_max"'], "builtin", "samples.jsonl:1: not valid JSON"),
        ([{"task_id": "running_max"}], "builtin", "samples.jsonl:1: missing field(s) completion"),
        ([{"task_id": "running_max", "completion": ""}, {"task_id": "nope", "completion": ""}], "builtin",
         "samples.jsonl:2: unknown task_id 'nope' in this dataset"),
        ([{"task_id": "running_max", "completion": 3}], "builtin",
         "samples.jsonl:1: field 'completion' must be a string"),
        ([], "builtin", "samples.jsonl: no samples in the file"),
        ([{"task_id": "x", "completion": ""}], "nosuchformat", "unknown dataset 'nosuchformat'; available: "),
        ([{"task_id": "x", "completion": ""}], "jsonl", "dataset 'jsonl' reads a file: name it as 'jsonl:PATH'"),
    ],
)
def test_verify_bad_input_is_one_line(tmp_path, rows, dataset, message):
    result = codekiln("verify", str(write_samples(tmp_path, rows)), "--dataset", dataset)
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_results_rows_round_trip_their_verdicts(tmp_path):
    out = tmp_path / "r.jsonl"
    samples = write_samples(tmp_path, [{"task_id": "running_max", "completion": RUNNING_MAX}])
    assert codekiln("verify", str(samples), "--dataset", "builtin", "--out", str(out)).returncode == 0
    row = json.loads(out.read_text())
    verdict = from_json(Verdict, row["verdict"], where="row")
    assert to_json(verdict) == row["verdict"] and verdict.passed
