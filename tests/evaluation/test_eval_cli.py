"""``codekiln eval`` and ``codekiln ab`` end to end on known-answer samples files, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..test_cli import codekiln

CONFIG = str(Path(__file__).resolve().parents[2] / "docs" / "examples" / "eval_config.yaml")

NEG = {"id": "neg", "description": "Negate x.", "difficulty": 1,
       "signature": {"name": "neg", "params": [{"name": "x", "type": "int"}], "returns": "int"},
       "tests": [{"args": [1], "expected": -1}, {"args": [-2], "expected": 2}],
       "references": {"python": "def neg(x):\n    return -x\n"}}
DOUBLE = {"id": "double", "description": "Double x.", "difficulty": 3,
          "signature": {"name": "double", "params": [{"name": "x", "type": "int"}], "returns": "int"},
          "tests": [{"args": [2], "expected": 4}, {"args": [0], "expected": 0}]}

# neg: 2 of 5 pass (and one wrong answer, one syntax error, one timeout); double: 4 of 5 pass, one through
# eval(), which the security reward penalises (bandit B307, medium: 1 - 0.25).
SAMPLES = [
    ("neg", "def neg(x):\n    return -x\n", 0.1, 10),
    ("neg", "def neg(x):\n    return 0 - x\n", 0.2, 12),
    ("neg", "def neg(x):\n    return x\n", 0.3, 8),
    ("neg", "def neg(x:\n    return -x\n", 0.4, 9),
    ("neg", "def neg(x):\n    while True:\n        pass\n", 0.5, 15),
    ("double", "def double(x):\n    return 2 * x\n", None, None),
    ("double", "def double(x):\n    return x + x\n", None, None),
    ("double", "def double(x):\n    return x * 2\n", None, None),
    ("double", "def double(x):\n    return eval('2 * x')\n", None, None),
    ("double", "def double(x):\n    return x\n", None, None),
]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


@pytest.fixture
def dataset(tmp_path) -> str:
    return f"jsonl:{write_jsonl(tmp_path / 'problems.jsonl', [NEG, DOUBLE])}"


def samples_file(path: Path, samples=SAMPLES) -> Path:
    rows = []
    for task, code, latency, tokens in samples:
        row = {"task_id": task, "completion": code}
        row.update({} if latency is None else {"latency_s": latency, "tokens": tokens})
        rows.append(row)
    return write_jsonl(path, rows)


@pytest.mark.slow  # verifies 10 samples and times the passing ones next to the reference (about 10 s)
def test_eval_samples_known_answers(tmp_path, dataset):
    out = tmp_path / "out"
    result = codekiln("eval", "--samples", str(samples_file(tmp_path / "s.jsonl")), "--dataset", dataset,
                      "--k", "1,2,3,4,5", "-c", CONFIG, "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    # pass@k = 1 - C(n-c, k) / C(n, k); neg: n=5, c=2 -> 0.4, 0.7, 0.9, 1, 1; double: c=4 -> 0.8, 1, 1, 1, 1.
    neg, double = [0.4, 0.7, 0.9, 1.0, 1.0], [0.8, 1.0, 1.0, 1.0, 1.0]
    for k in range(1, 6):
        assert summary["difficulties"]["1"][f"pass@{k}"] == pytest.approx(neg[k - 1])
        assert summary["difficulties"]["3"][f"pass@{k}"] == pytest.approx(double[k - 1])
        assert summary["overall"][f"pass@{k}"] == pytest.approx((neg[k - 1] + double[k - 1]) / 2)
    overall = summary["overall"]
    assert (overall["problems"], overall["samples"], overall["pass_rate"]) == (2, 10, 0.6)
    assert (overall["syntax_error_rate"], overall["timeout_rate"], overall["compile_rate"]) == (0.1, 0.1, 0.9)
    assert overall["masked_fraction"] == 0.0
    # Security abstains on the code that does not parse: 8 clean answers and one at 0.75.
    assert overall["mean_security"] == pytest.approx((8 + 0.75) / 9)
    assert 0 < overall["mean_quality"] <= 1
    # Efficiency needs a reference: only neg has one.
    assert 0 < summary["difficulties"]["1"]["mean_efficiency"] <= 1
    assert "mean_efficiency" not in summary["difficulties"]["3"]
    # Latency and tokens as the file gave them (neg only): mean 0.3 s, p95 0.48 s, 10.8 tokens.
    assert overall["mean_latency_s"] == pytest.approx(0.3) and overall["p95_latency_s"] == pytest.approx(0.48)
    assert overall["mean_tokens"] == pytest.approx(10.8)
    assert summary["languages"]["python"]["pass@1"] == overall["pass@1"]

    rows = [json.loads(line) for line in (out / "outcomes.jsonl").read_text().splitlines()]
    assert [(r["task"], r["sample"], r["status"]) for r in rows[:5]] == [
        ("neg", 0, "passed"), ("neg", 1, "passed"), ("neg", 2, "wrong_answer"), ("neg", 3, "syntax_error"),
        ("neg", 4, "timeout")]
    for chart in ("pass_at_k.png", "rates.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG")
    report = (out / "report.md").read_text()
    assert "| 1 | 1 | 5 | 40.0% | 70.0% | 90.0% | 100.0% | 100.0% | 40.0% |" in report
    # The codekiln_evaluation_finished hook fired: the JSONL logger wrote its row into --out.
    evaluation = json.loads((out / "evaluations.jsonl").read_text())
    assert evaluation["name"].endswith("s.jsonl") and evaluation["pass@2/difficulty_1"] == pytest.approx(0.7)


@pytest.mark.slow  # verifies and times 24 samples (about 10 s)
def test_ab_samples_files_known_answers(tmp_path, builtin_problems):
    # 12 built-in problems: both pass 2, only A 1, only B 8, neither 1 -> exact McNemar p = 2 * 10 / 2^9.
    problems = [p for p in builtin_problems if "python" in p.references and p.difficulty <= 2][:12]
    pattern = [(True, True)] * 2 + [(True, False)] + [(False, True)] * 8 + [(False, False)]

    def arm(name: str, side: int, latency: float) -> Path:
        rows = [{"task_id": p.id, "completion": p.references["python"] if passes[side] else "x = 1\n",
                 "latency_s": latency, "tokens": 20} for p, passes in zip(problems, pattern)]
        return write_jsonl(tmp_path / f"{name}.jsonl", rows)

    out = tmp_path / "ab"
    result = codekiln("ab", "--samples-a", str(arm("a", 0, 0.5)), "--samples-b", str(arm("b", 1, 2.0)),
                      "--dataset", "builtin", "-c", CONFIG, "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    comparison = json.loads(result.stdout)
    assert comparison["p_value"] == 0.0390625 and comparison["test"] == "exact McNemar"
    assert comparison["counts"] == {"a_only": 1, "b_only": 8, "both": 2, "neither": 1}
    assert comparison["pass1"] == [0.25, pytest.approx(10 / 12)]
    low, high = comparison["interval"]
    assert comparison["difference"] == pytest.approx(-7 / 12) and low < comparison["difference"] < high < 0
    assert comparison["side_by_side"]["mean_latency_s"] == [0.5, 2.0]
    assert comparison["sentence"].startswith(f"{tmp_path / 'b.jsonl'} is better than {tmp_path / 'a.jsonl'}")
    outcomes = {row["task"]: (row["passed_a"], row["passed_b"]) for row in comparison["problems"]}
    assert outcomes == {p.id: (int(pa), int(pb)) for p, (pa, pb) in zip(problems, pattern)}
    report = (out / "report.md").read_text()
    assert comparison["sentence"] in report and "exact McNemar test: p = 0.0390625" in report
    assert (out / "ab.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((out / "comparison.json").read_text()) == comparison


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nosuch"], "codekiln: error: unknown dataset 'nosuch'; available: "),
        (["--k", "1,6"], "codekiln: error: --k 6 is more than the 5 sample(s) per task: pass@k needs at least k "
                         "samples of each task (raise --n to 6 or more)"),
        (["--k", "one"], "codekiln: error: --k 'one': expected whole numbers separated by commas"),
        (["--model", "nowhere"], "codekiln: error: give either --model PATH or --samples FILE, not both"),
        (["--languages", "java"], "codekiln: error: --languages picks what a model generates in; a samples file"),
    ],
)
def test_eval_bad_input_is_one_line(tmp_path, dataset, args, message):
    if "--dataset" not in args:
        args = ["--dataset", dataset, *args]
    result = codekiln("eval", "--samples", str(samples_file(tmp_path / "s.jsonl", SAMPLES[:5])), *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"task_id": "neg", "completion": "x", "latency_s": -1}, "s.jsonl:2: field 'latency_s' must be a number >= 0"),
        ({"task_id": "neg", "completion": "x", "tokens": 1.5}, "s.jsonl:2: field 'tokens' must be a whole number >= 0"),
    ],
)
def test_eval_bad_row_names_its_line(tmp_path, dataset, row, message):
    # The rest of the format is codekiln verify's, whose errors tests/test_cli_verify.py checks.
    path = write_jsonl(tmp_path / "s.jsonl", [{"task_id": "neg", "completion": "x"}, row])
    result = codekiln("eval", "--samples", str(path), "--dataset", dataset)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize(
    ("model", "message"),
    [("missing", "--model {tmp}/missing: no such directory"),
     ("empty", "--model {tmp}/empty: neither a Hugging Face model directory (config.json) nor a run directory"),
     ("run", "--model {tmp}/run: this run directory has no final/ model yet")],
)
def test_eval_bad_model_path(tmp_path, dataset, model, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("seed: 0\n")
    result = codekiln("eval", "--model", str(tmp_path / model), "--dataset", dataset)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert message.format(tmp=tmp_path) in result.stderr


def test_ab_needs_both_arms_and_a_sound_alpha(tmp_path, dataset):
    samples = str(samples_file(tmp_path / "s.jsonl", SAMPLES[:1]))
    result = codekiln("ab", "--samples-a", samples, "--dataset", dataset)
    assert result.returncode == 2
    assert result.stderr == "codekiln: error: give either --b PATH or --samples-b FILE, not neither\n"
    result = codekiln("ab", "--samples-a", samples, "--samples-b", samples, "--dataset", dataset, "--alpha", "2")
    assert result.stderr == "codekiln: error: --alpha 2.0: must be between 0 and 1, such as 0.05\n"
