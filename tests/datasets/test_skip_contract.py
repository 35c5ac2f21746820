"""Malformed rows are skipped with a count and reasons, or fail in strict mode; nothing is dropped silently."""

from __future__ import annotations

import json

import pytest

from codekiln.datasets import DatasetLoader, Skip, load_dataset, read_dataset
from codekiln.errors import DataError
from codekiln.plugins import make_plugins

from .rows import write_jsonl

GOOD = {"id": "neg", "description": "negate",
        "signature": {"name": "neg", "params": [{"name": "x", "type": "int"}], "returns": "int"},
        "tests": [{"args": [1], "expected": -1}]}


@pytest.fixture
def datasets():
    return make_plugins(autoload=False).datasets()


@pytest.fixture
def bad_file(tmp_path):
    rows = [GOOD, '{"id": "torn"', {**GOOD, "id": "two", "tests": [{"args": ["a"], "expected": -1}]},
            {**GOOD, "id": "three"}, {"description": "no id"}]
    return write_jsonl(tmp_path / "x.jsonl", rows)


def test_skipped_rows_are_counted_and_named(datasets, bad_file):
    loaded = read_dataset(f"jsonl:{bad_file}", datasets)
    assert [p.id for p in loaded.problems] == ["neg", "three"]
    assert [s.where for s in loaded.skipped] == [f"{bad_file}:2", f"{bad_file}:3", f"{bad_file}:5"]
    assert loaded.skipped[0].reason.startswith("not valid JSON")
    assert "tests[0].args.x" in loaded.skipped[1].reason
    assert "id" in loaded.skipped[2].reason
    line = loaded.skip_line()
    assert line.startswith(f"skipped 3 of 5 rows of jsonl:{bad_file} (first: {bad_file}:2: not valid JSON")
    assert line.endswith(")") and "; ..." not in line


def test_load_dataset_returns_the_good_problems_and_warns_once(datasets, bad_file, capsys):
    warnings: list[str] = []
    problems = load_dataset(f"jsonl:{bad_file}", datasets, warn=warnings.append)
    assert [p.id for p in problems] == ["neg", "three"]
    assert len(warnings) == 1 and warnings[0].startswith("skipped 3 of 5 rows")
    load_dataset(f"jsonl:{bad_file}", datasets)  # by default the line goes to stderr
    err = capsys.readouterr().err
    assert err.startswith("codekiln: skipped 3 of 5 rows") and err.count("\n") == 1


def test_strict_mode_fails_at_the_first_bad_row(datasets, bad_file):
    with pytest.raises(DataError, match=rf"^{bad_file}:2: not valid JSON .*strict mode"):
        load_dataset(f"jsonl:{bad_file}", datasets, strict=True)
    field_error = write_jsonl(bad_file.parent / "y.jsonl", [GOOD, {**GOOD, "difficulty": 9}])
    with pytest.raises(DataError, match=rf"^{field_error}:2: 'difficulty' must be <= 5"):
        load_dataset(f"jsonl:{field_error}", datasets, strict=True)


def test_more_than_three_reasons_are_elided(datasets, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", [GOOD, *(["{"] * 5)])
    line = read_dataset(f"jsonl:{path}", datasets).skip_line()
    assert line.startswith("skipped 5 of 6 rows") and line.count(f"{path}:") == 3 and line.endswith("; ...)")


def test_a_dataset_left_empty_is_an_error(datasets, tmp_path):
    path = write_jsonl(tmp_path / "x.jsonl", ["{", {"id": ""}])
    with pytest.raises(DataError, match=r"holds no problems; skipped 2 of 2 rows"):
        load_dataset(f"jsonl:{path}", datasets)
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(DataError, match=r"holds no problems$"):
        load_dataset(f"jsonl:{empty}", datasets)


def test_a_missing_file_is_an_error_not_a_skip(datasets, tmp_path):
    with pytest.raises(DataError, match=r"nope\.jsonl: no such file"):
        load_dataset(f"jsonl:{tmp_path / 'nope.jsonl'}", datasets)


def test_json_and_yaml_lists_and_bare_paths(datasets, tmp_path):
    listed = tmp_path / "x.json"
    listed.write_text(json.dumps([GOOD, {"id": 3}]))
    loaded = read_dataset(f"jsonl:{listed}", datasets)
    assert [p.id for p in loaded.problems] == ["neg"] and loaded.skipped[0].where == f"{listed} item 1"
    yaml_file = tmp_path / "x.yaml"
    yaml_file.write_text("- id: a\n  description: first\n- id: ''\n  description: empty id\n")
    loaded = read_dataset(f"jsonl:{yaml_file}", datasets)
    assert [p.id for p in loaded.problems] == ["a"] and loaded.skipped[0].where == f"{yaml_file} item 1"
    plain = write_jsonl(tmp_path / "plain.jsonl", [GOOD])
    assert [p.id for p in load_dataset(str(plain), datasets)] == ["neg"]


def test_a_third_party_loader_uses_skip(tmp_path):
    class Numbers(DatasetLoader):
        """Numbered problems; an odd row is malformed."""

        name = "numbers"
        needs_path = False

        def load(self, path):
            from codekiln.problem import Problem

            problems = []
            for n in range(4):
                if n % 2:
                    self.skip(f"row {n}", "odd")
                else:
                    problems.append(Problem(id=f"n{n}", description=""))
            return problems

    registry = make_plugins(autoload=False).datasets()
    registry.register(Numbers)
    loaded = read_dataset("numbers", registry)
    assert [p.id for p in loaded.problems] == ["n0", "n2"]
    assert loaded.skipped == [Skip("row 1", "odd"), Skip("row 3", "odd")]
    with pytest.raises(DataError, match=r"^row 1: odd"):
        read_dataset("numbers", registry, strict=True)
