"""The data model: lossless JSON round-trips and errors that name the file, row and field."""

from __future__ import annotations

import json

import pytest

from codekiln.errors import DataError
from codekiln.jsonio import from_json, load_problem_file, to_json
from codekiln.problem import NativeTests, Param, Problem, Signature, TestCase
from codekiln.verdict import Diagnostic, RewardBreakdown, Stage, StageResult, TestOutcome, Verdict, VerdictStatus

PROBLEM = Problem(
    id="pair_sum",
    description="Return the indices of two numbers adding up to target.",
    signature=Signature(
        name="pair_sum",
        params=(Param("nums", "list[int]"), Param("target", "int")),
        returns="optional[tuple[int, int]]",
    ),
    tests=(TestCase(args=([2, 7, 11], 9), expected=[0, 1]), TestCase(args=([], 1), expected=None)),
    native={"python": NativeTests(prompt="def pair_sum(nums, target):\n", test="assert True", entry_point="pair_sum")},
    references={"python": "def pair_sum(nums, target):\n    return None\n"},
    difficulty=2,
    tags=("hashing",),
    time_limit_s=2.0,
)

VERDICT = Verdict(
    status=VerdictStatus.WRONG_ANSWER,
    language="python",
    stages=(
        StageResult(Stage.SYNTAX, True, 0.001),
        StageResult(Stage.COMPILE, True, 0.01, (Diagnostic("unused variable", 3, 5, "warning"),)),
        StageResult(Stage.RUN, False, 0.2),
    ),
    tests_passed=1,
    tests_total=2,
    tests=(TestOutcome(0, True, time_s=0.01), TestOutcome(1, False, "expected None, got [0, 0]")),
    stderr_tail="Traceback ...",
    problem_id="pair_sum",
)


BREAKDOWN = RewardBreakdown({"tests": 0.5, "quality": None}, {"tests": 1.0}, 0.5)


@pytest.mark.parametrize("obj", [PROBLEM, VERDICT, BREAKDOWN])
def test_json_round_trip_is_lossless(obj):
    text = json.dumps(to_json(obj))
    assert from_json(type(obj), json.loads(text), where="x") == obj


def test_verdict_helpers():
    assert not VERDICT.passed
    assert VERDICT.timings == {"syntax": 0.001, "compile": 0.01, "run": 0.2}
    assert VERDICT.stage(Stage.RUN).ok is False
    assert VERDICT.stage(Stage.EXTRACT) is None
    assert [d.message for d in VERDICT.diagnostics] == ["unused variable"]


def test_typed_values_restore_tuples():
    assert PROBLEM.typed_args(PROBLEM.tests[0]) == ([2, 7, 11], 9)
    assert PROBLEM.typed_expected(PROBLEM.tests[0]) == (0, 1)


def _row(**changes):
    row = to_json(PROBLEM)
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row(difficulty=9), "problems.jsonl:2: 'difficulty' must be <= 5: 9"),
        (_row(difficulty="hard"), "problems.jsonl:2: field 'difficulty': invalid literal for int()"),
        (_row(colour="red"), "problems.jsonl:2: extra fields found (colour)"),
        ({"id": "x"}, "problems.jsonl:2: field 'description': required field missing"),
        (
            _row(tests=[{"args": [[1, "two"], 3], "expected": None}]),
            "problems.jsonl:2: tests[0].args.nums: item 1: expected int, got str 'two'",
        ),
        (
            _row(tests=[{"args": [[1]], "expected": None}]),
            "problems.jsonl:2: tests[0].args: pair_sum takes 2 argument(s), got 1",
        ),
        (
            _row(tests=[{"args": [[1], 1], "expected": [0, 1, 2]}]),
            "problems.jsonl:2: tests[0].expected: expected tuple[int, int] (2 items)",
        ),
        (
            _row(signature={"name": "f", "params": [{"name": "a", "type": "array[int]"}], "returns": "int"}),
            "problems.jsonl:2: field 'signature.params[0]': type: unknown type 'array'",
        ),
        (_row(signature=None), "problems.jsonl:2: tests: a problem with tests needs a signature"),
    ],
)
def test_malformed_problem_rows_name_row_and_field(tmp_path, row, message):
    path = tmp_path / "problems.jsonl"
    path.write_text(json.dumps(to_json(PROBLEM)) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError) as info:
        load_problem_file(path)
    text = str(info.value)
    assert text.startswith(str(tmp_path / message)) or text.startswith(f"{tmp_path}/{message}")
    assert "\n" not in text


def test_invalid_json_line_is_named(tmp_path):
    path = tmp_path / "problems.jsonl"
    path.write_text(json.dumps(to_json(PROBLEM)) + "\n\n{not json\n")
    with pytest.raises(DataError, match=r"problems\.jsonl:3: not valid JSON"):
        load_problem_file(path)


def test_problem_json_file_with_one_problem_or_a_list(tmp_path):
    single = tmp_path / "one.json"
    single.write_text(json.dumps(to_json(PROBLEM)))
    assert load_problem_file(single) == [PROBLEM]
    many = tmp_path / "many.json"
    many.write_text(json.dumps([to_json(PROBLEM), _row(id="other")]))
    assert [p.id for p in load_problem_file(many)] == ["pair_sum", "other"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([to_json(PROBLEM), _row(difficulty=0)]))
    with pytest.raises(DataError, match=r"bad\.json item 1: 'difficulty' must be >= 1: 0"):
        load_problem_file(bad)


def test_missing_problem_file(tmp_path):
    with pytest.raises(DataError, match="no such problem file"):
        load_problem_file(tmp_path / "absent.jsonl")
