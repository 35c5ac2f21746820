"""The ``multipl-e`` loader: MultiPL-E rows in their real format, verified through the language plugins."""

from __future__ import annotations

import json

import pytest

from codekiln.datasets import read_dataset
from codekiln.plugins import make_plugins

from .rows import MULTIPLE_COMPLETIONS, MULTIPLE_ROWS, write_jsonl


@pytest.fixture
def datasets():
    return make_plugins(autoload=False).datasets()


def load(datasets, tmp_path, rows):
    path = tmp_path / "prompts.json"
    path.write_text(json.dumps(rows))  # the dataset builder writes a JSON list
    return path, read_dataset(f"multipl-e:{path}", datasets)


def test_rows_of_one_name_make_one_problem_in_each_language(datasets, tmp_path):
    _, loaded = load(datasets, tmp_path, list(MULTIPLE_ROWS.values()))
    [problem] = loaded.problems
    assert problem.id == "HumanEval_53_add" and problem.tags == ("multipl-e",)
    assert problem.languages() == ("python", "javascript", "cpp", "java")
    assert {lang: native.entry_point for lang, native in problem.native.items()} == dict.fromkeys(problem.native, "add")
    assert problem.native["cpp"].stop_tokens == ("\n}",)
    assert problem.native["javascript"].stop_tokens == ("\nfunction ", "\n/*", "\n//", "\nconsole.log")
    # Tests that open by closing the prompt's function lose that line: in codekiln the completion closes it.
    assert problem.native["cpp"].test.startswith("int main() {\n")
    assert problem.native["java"].test.startswith("    public static void main(String[] args) {\n")
    # codekiln's Python harness calls check(candidate) itself: the benchmark's own call is taken out.
    assert problem.native["python"].test.rstrip().endswith("check(add)")
    assert problem.native["javascript"].test == MULTIPLE_ROWS["js"]["tests"]
    assert problem.native["cpp"].prompt == MULTIPLE_ROWS["cpp"]["prompt"] and not loaded.skipped


def test_unknown_languages_and_repeated_rows_are_skipped(datasets, tmp_path):
    rows = [MULTIPLE_ROWS["py"], {**MULTIPLE_ROWS["py"], "language": "cobol"}, MULTIPLE_ROWS["py"],
            {**MULTIPLE_ROWS["js"], "stop_tokens": "\n}"}, {**MULTIPLE_ROWS["cpp"], "tests": 3},
            {**MULTIPLE_ROWS["py"], "language": "rs", "name": "HumanEval_1_x"}]
    path, loaded = load(datasets, tmp_path, rows)
    assert [(p.id, p.languages()) for p in loaded.problems] == [("HumanEval_53_add", ("python",)),
                                                                ("HumanEval_1_x", ("rust",))]
    assert [(s.where, s.reason) for s in loaded.skipped] == [
        (f"{path} item 1", "no codekiln language for MultiPL-E's language code 'cobol'"),
        (f"{path} item 2", "a second row for HumanEval_53_add in python"),
        (f"{path} item 3", "field 'stop_tokens' must be a list of non-empty strings"),
        (f"{path} item 4", "missing or non-string field(s) tests"),
    ]


@pytest.mark.slow
def test_verify_right_and_wrong_completions_in_python_javascript_and_cpp(datasets, tmp_path, verifier):
    path = write_jsonl(tmp_path / "prompts.jsonl", [MULTIPLE_ROWS[code] for code in MULTIPLE_COMPLETIONS])
    [problem] = read_dataset(f"multipl-e:{path}", datasets).problems
    languages = {"py": "python", "js": "javascript", "cpp": "cpp"}
    for code, (right, wrong) in MULTIPLE_COMPLETIONS.items():
        verdict = verifier.verify(problem, right, languages[code])
        assert verdict.passed, (code, verdict)
        verdict = verifier.verify(problem, wrong, languages[code])
        assert verdict.status.value == "wrong_answer", (code, verdict)
