"""The ``mbpp`` loader: MBPP rows in their real formats, verified end to end through the Python plugin."""

from __future__ import annotations

import json

import pytest

from codekiln.datasets import load_dataset, read_dataset
from codekiln.errors import DataError
from codekiln.plugins import make_plugins

from .rows import MBPP_ROWS, write_jsonl


@pytest.fixture
def datasets():
    return make_plugins(autoload=False).datasets()


def test_rows_become_python_problems(datasets, tmp_path):
    problems = load_dataset(f"mbpp:{write_jsonl(tmp_path / 'mbpp.jsonl', MBPP_ROWS)}", datasets)
    assert [p.id for p in problems] == ["mbpp/2", "mbpp/3", "mbpp/4"]
    assert [p.native["python"].entry_point for p in problems] == ["similar_elements", "is_not_prime",
                                                                  "heap_queue_largest"]
    first = problems[0]
    assert first.description == ("Write a function to find the similar elements from the given two tuple lists.\n"
                                 "Your code should pass this test:\n"
                                 "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)")
    assert first.references == {"python": MBPP_ROWS[0]["code"]}
    assert first.native["python"].prompt == "" and first.tags == ("mbpp",)
    # The reference's imports are in scope for the asserts, as they are when MBPP runs them in one namespace.
    assert problems[2].native["python"].test.startswith("import heapq as hq\n\ndef check(candidate):\n")


def test_verify_references_pass_and_wrong_solutions_fail(datasets, tmp_path, verifier):
    problems = load_dataset(f"mbpp:{write_jsonl(tmp_path / 'mbpp.jsonl', MBPP_ROWS)}", datasets)
    wrong = {
        "mbpp/2": "def similar_elements(a, b):\n    return tuple(a)\n",
        "mbpp/3": "def is_not_prime(n):\n    return n % 2 == 0 and n > 2\n",  # wrong on the last assert only
        "mbpp/4": "def heap_queue_largest(nums, n):\n    return sorted(nums)[:n]\n",
    }
    for problem in problems:
        verdict = verifier.verify(problem, problem.references["python"], "python")
        assert verdict.passed, (problem.id, verdict)
        verdict = verifier.verify(problem, wrong[problem.id], "python")
        assert verdict.status.value == "wrong_answer", (problem.id, verdict)
        assert "assertion failed" in verdict.tests[0].message


def test_the_sanitized_release_and_a_json_list(datasets, tmp_path, verifier):
    sanitized = {"source_file": "Benchmark Questions Verification V2.ipynb", "task_id": 3,
                 "prompt": "Write a python function to identify non-prime numbers.",
                 "code": "import math\ndef is_not_prime(n):\n    if n == 1:\n        return True\n"
                         "    for i in range(2, int(math.sqrt(n))+1):\n        if n % i == 0:\n"
                         "            return True\n    return False",
                 "test_imports": [],
                 "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True"]}
    path = tmp_path / "sanitized.json"
    path.write_text(json.dumps([sanitized]))
    [problem] = load_dataset(f"mbpp:{path}", datasets)
    assert problem.description.startswith("Write a python function to identify non-prime numbers.\n")
    assert verifier.verify(problem, sanitized["code"], "python").passed


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"test_list": None}, "missing field 'test_list'"),
        ({"test_list": ["print(1)"]}, "test_list[0] is not one assert statement"),
        ({"test_list": ["assert f(1) =="]}, "test_list[0] is not valid Python"),
        ({"text": None}, "missing field 'text'"),
        ({"code": "def f(:\n"}, "field 'code': the reference is not valid Python"),
        ({"test_list": ["assert len([1]) == 1"]}, "cannot tell which function the tests call"),
        ({"code": "class Pair:\n    pass\ndef chain(pairs):\n    return len(pairs)\n",
          "test_list": ["assert chain([Pair(), Pair()]) == 2"]}, "the tests use Pair, which the solution defines"),
    ],
)
def test_malformed_rows_are_skipped_with_their_reason(datasets, tmp_path, change, reason):
    bad = {k: v for k, v in {**MBPP_ROWS[1], **change}.items() if v is not None}
    path = write_jsonl(tmp_path / "mbpp.jsonl", [MBPP_ROWS[0], bad])
    loaded = read_dataset(f"mbpp:{path}", datasets)
    assert [p.id for p in loaded.problems] == ["mbpp/2"]
    [skip] = loaded.skipped
    assert skip.where == f"{path}:2" and skip.reason.startswith(reason), skip
    with pytest.raises(DataError, match=f"^{path}:2: "):
        read_dataset(f"mbpp:{path}", datasets, strict=True)
