"""The ``hf`` loader: a Hugging Face dataset written to disk by the test, read offline through a row format."""

from __future__ import annotations

import sys

import pytest

from codekiln.datasets import read_dataset
from codekiln.errors import DataError
from codekiln.plugins import make_plugins

from .rows import MBPP_ROWS, MULTIPLE_ROWS

datasets_package = pytest.importorskip("datasets")


@pytest.fixture
def registry():
    return make_plugins(autoload=False).datasets()


@pytest.fixture
def mbpp_dir(tmp_path):
    folder = tmp_path / "mbpp_saved"
    datasets_package.Dataset.from_list(MBPP_ROWS).save_to_disk(str(folder))
    return folder


def test_a_saved_dataset_in_the_mbpp_format(registry, mbpp_dir):
    loaded = read_dataset(f"hf:{mbpp_dir}?format=mbpp", registry)
    assert [p.id for p in loaded.problems] == ["mbpp/2", "mbpp/3", "mbpp/4"] and not loaded.skipped
    assert loaded.problems[1].native["python"].entry_point == "is_not_prime"


def test_columns_are_mapped_to_the_format_fields(registry, tmp_path):
    renamed = [{"question": r["text"], "solution": r["code"], "asserts": r["test_list"], "task_id": r["task_id"]}
               for r in MBPP_ROWS[:2]]
    folder = tmp_path / "dict"
    datasets_package.DatasetDict({"test": datasets_package.Dataset.from_list(renamed)}).save_to_disk(str(folder))
    spec = f"hf:{folder}?format=mbpp&split=test&text=question&code=solution&test_list=asserts"
    problems = read_dataset(spec, registry).problems
    assert [p.id for p in problems] == ["mbpp/2", "mbpp/3"]
    assert problems[0].references["python"] == MBPP_ROWS[0]["code"]
    with pytest.raises(DataError, match=r"no column\(s\) nope in the dataset; it has question, solution"):
        read_dataset(f"hf:{folder}?format=mbpp&text=nope", registry)


def test_bad_rows_are_skipped_and_named_by_row(registry, tmp_path):
    rows = [dict(MULTIPLE_ROWS["py"]), {**MULTIPLE_ROWS["js"], "language": "cobol"}]
    folder = tmp_path / "multiple"
    datasets_package.Dataset.from_list(rows).save_to_disk(str(folder))
    loaded = read_dataset(f"hf:{folder}?format=multipl-e", registry)
    assert [p.languages() for p in loaded.problems] == [("python",)]
    assert [str(s) for s in loaded.skipped] == [
        f"{folder} row 1: no codekiln language for MultiPL-E's language code 'cobol'"]


def test_local_data_files_load_through_load_dataset(registry, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    datasets_package.Dataset.from_list(MBPP_ROWS).to_json(str(folder / "test.jsonl"))
    problems = read_dataset(f"hf:{folder}?format=mbpp&split=test", registry).problems
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hf:{tmp}/absent?format=mbpp", "cannot load the dataset offline"),
        ("hf:no-such-org/no-such-dataset", "cannot load the dataset offline"),
        ("hf:{tmp}?format=cobol", "unknown format 'cobol'; available: humaneval, humaneval-x, jsonl, mbpp, multipl-e"),
    ],
)
def test_errors_are_one_line(registry, tmp_path, spec, message):
    with pytest.raises(DataError, match=message) as caught:
        read_dataset(spec.format(tmp=tmp_path), registry)
    assert "\n" not in str(caught.value)


def test_a_dataset_dict_with_several_splits_needs_one_named(registry, tmp_path):
    table = datasets_package.Dataset.from_list(MBPP_ROWS)
    folder = tmp_path / "two"
    datasets_package.DatasetDict({"train": table, "test": table}).save_to_disk(str(folder))
    with pytest.raises(DataError, match="choose a split with \\?split=NAME; it has test, train"):
        read_dataset(f"hf:{folder}?format=mbpp", registry)


def test_without_the_datasets_package_the_error_says_what_to_install(registry, mbpp_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets now raises ImportError
    with pytest.raises(DataError, match=r"^dataset 'hf' needs the datasets package: pip install 'codekiln\[hf\]'$"):
        read_dataset(f"hf:{mbpp_dir}?format=mbpp", registry)
