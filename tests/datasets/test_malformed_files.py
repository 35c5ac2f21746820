"""Malformed bytes in dataset, problem and sample files: a bad row is skipped with its reason (or, where rows are
not skippable, one DataError naming file and line); a file that cannot be read is one DataError naming it.
Never a bare traceback, and never a good row lost."""

from __future__ import annotations

import gzip
import json

import pytest

from codekiln.datasets import read_dataset
from codekiln.errors import DataError
from codekiln.jsonio import YAML_MAX_VALUES, load_problem_file, problem_from_row
from codekiln.plugins import make_plugins
from codekiln.samples import read_samples

from .rows import MBPP_ROWS
from .test_skip_contract import GOOD

DEEP = b"[" * 100_000 + b"]" * 100_000
BAD_ROWS = {
    "deep nesting": (b'{"id": "x", "description": ' + DEEP + b"}", "not readable JSON (nested too deeply)"),
    "5000-digit int": (b'{"id": "x", "description": "d", "seed": ' + b"9" * 5000 + b"}",
                       "not readable JSON (Exceeds the limit (4300 digits)"),
    "bad UTF-8": (b'{"id": "x", "description": "\xff\xfe"}', "not valid UTF-8"),
}


@pytest.fixture
def datasets():
    return make_plugins(autoload=False).datasets()


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_row_json_cannot_hold_is_skipped_with_its_reason(datasets, tmp_path, bad):
    line, reason = BAD_ROWS[bad]
    path = tmp_path / "x.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + line + b"\n" + json.dumps({**GOOD, "id": "b"}).encode())
    loaded = read_dataset(f"jsonl:{path}", datasets)
    assert [p.id for p in loaded.problems] == ["neg", "b"]
    assert len(loaded.skipped) == 1
    assert loaded.skipped[0].where == f"{path}:2" and loaded.skipped[0].reason.startswith(reason)
    assert "set_int_max_str_digits" not in loaded.skipped[0].reason


@pytest.mark.parametrize(("content", "reason"), [
    (b"\x1f\x8bnot gzip", "Unknown compression method"),
    (b"not gzip at all", "Not a gzipped file"),
    (gzip.compress(json.dumps(GOOD).encode() * 50)[:-12], "Compressed file ended"),
    (gzip.compress(b"x" * 100)[:10] + b"\xff" * 30, "invalid block type"),
], ids=["bad-header", "not-gzip", "truncated", "bad-block"])
def test_a_damaged_gzip_file_is_one_error_naming_it(datasets, tmp_path, content, reason):
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"^{path}: cannot read the file \(.*{reason}") as info:
        read_dataset(f"jsonl:{path}", datasets)
    assert "\n" not in str(info.value)


def test_an_mbpp_assert_too_deep_to_parse_is_skipped(datasets, tmp_path):
    deep = {**MBPP_ROWS[1], "task_id": 99, "test_list": ["assert is_not_prime(" + "-" * 100_000 + "1) == 1"]}
    path = tmp_path / "mbpp.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in (MBPP_ROWS[1], deep)))
    loaded = read_dataset(f"mbpp:{path}", datasets)
    assert [p.id for p in loaded.problems] == ["mbpp/3"]
    assert [str(s) for s in loaded.skipped] == [f"{path}:2: test_list[0] is nested too deeply to parse"]


def _bomb(depth: int) -> str:
    """Aliases nested ``depth`` deep, each list naming the one before ten times: 10**depth values."""
    anchors = ["l0: &l0 [1,1,1,1,1,1,1,1,1,1]"] + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]"
                                                    for i in range(1, depth)]
    return "id: bomb\ndescription: d\nconstraints:\n" + "".join(f"  {a}\n" for a in anchors)


def test_a_yaml_alias_bomb_is_refused_naming_the_file(datasets, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(9))
    for load in (lambda: load_problem_file(path), lambda: read_dataset(str(path), datasets),
                 lambda: read_dataset(f"jsonl:{path}", datasets)):
        with pytest.raises(DataError, match=rf"^{path}: its aliases expand to [\d,]+ values, more than "
                                            rf"the {YAML_MAX_VALUES:,} codekiln reads"):
            load()


def test_yaml_aliases_that_expand_modestly_load(tmp_path):
    path = tmp_path / "shared.yaml"
    path.write_text(_bomb(4))
    (problem,) = load_problem_file(path)
    assert problem.constraints["l3"][9][9][9] == [1] * 10


@pytest.mark.parametrize(("text", "message"), [
    ("id: x\ndescription: d\nconstraints: {n: " + "9" * 5000 + "}\n", r"not readable YAML \(Exceeds the limit"),
    ("id: x\ndescription: d\nconstraints: {a: " + "[" * 5000 + "]" * 5000 + "}\n",
     r"not readable YAML \(nested too deeply\)"),
    ("id: x\ndescription: d\nconstraints: &a {self: *a}\n", "an alias refers to a list or mapping that contains it"),
], ids=["huge-int", "deep", "self-reference"])
def test_a_yaml_problem_python_cannot_hold_is_one_error(tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(DataError, match=rf"^{path}: {message}") as info:
        load_problem_file(path)
    assert "\n" not in str(info.value)


@pytest.fixture
def problems():
    return [problem_from_row(GOOD, where="test")]


@pytest.mark.parametrize(("line", "message"), [
    (BAD_ROWS["deep nesting"][0], "not readable JSON (nested too deeply)"),
    (BAD_ROWS["5000-digit int"][0], "not readable JSON (Exceeds the limit (4300 digits)"),
    (BAD_ROWS["bad UTF-8"][0], "not valid UTF-8"),
    (b'{"task_id": ["neg"], "completion": "x"}', "field 'task_id' must be a string"),
    (b'{"task_id": "neg", "completion": "x", "language": ["python"]}', "field 'language' must be a string"),
], ids=["deep", "huge-int", "bad-utf8", "list-task-id", "list-language"])
def test_a_bad_sample_row_is_one_error_naming_its_line(problems, tmp_path, line, message):
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b'{"task_id": "neg", "completion": "def neg(x): return -x"}\n' + line + b"\n")
    with pytest.raises(DataError) as info:
        read_samples(path, problems)
    assert str(info.value).startswith(f"{path}:2: {message}")
    assert "\n" not in str(info.value) and "set_int_max_str_digits" not in str(info.value)


def test_a_sample_without_language_still_reads(problems, tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text('{"task_id": "neg", "completion": "x", "language": null}\n{"task_id": "neg", "completion": "y"}\n')
    assert [s.language for s in read_samples(path, problems)] == ["python", "python"]
