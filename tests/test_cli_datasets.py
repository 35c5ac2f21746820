"""``codekiln datasets``, ``codekiln datasets show`` and ``--strict``, as a user runs them."""

from __future__ import annotations

import json

from .datasets.rows import MBPP_ROWS, MULTIPLE_ROWS, write_jsonl
from .test_cli import codekiln


def test_datasets_lists_every_registered_loader():
    result = codekiln("datasets")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
    assert set(rows) >= {"builtin", "jsonl", "humaneval", "humaneval-x", "mbpp", "multipl-e", "hf"}
    assert rows["builtin"][1:3] == ["builtin", "builtin.datasets"]
    assert rows["mbpp"][1:3] == ["mbpp:PATH", "builtin.datasets"]
    assert "MBPP (original or sanitized)" in result.stdout


def test_show_counts_per_language_and_difficulty(tmp_path):
    prompts = tmp_path / "prompts.json"
    other = {**MULTIPLE_ROWS["py"], "name": "HumanEval_0_other"}
    prompts.write_text(json.dumps([MULTIPLE_ROWS["py"], MULTIPLE_ROWS["cpp"], other]))
    result = codekiln("datasets", "show", f"multipl-e:{prompts}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"multipl-e:{prompts}: 2 problems", "per language:", "  cpp          1", "  python       2",
        "per difficulty:", "  1            2",
    ]


def test_show_reports_skipped_rows_and_strict_fails(tmp_path):
    path = write_jsonl(tmp_path / "mbpp.jsonl", [*MBPP_ROWS, {"task_id": 9, "text": "no tests", "code": "x = 1"}])
    result = codekiln("datasets", "show", f"mbpp:{path}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (f"skipped 1 of 4 rows of mbpp:{path} (first: {path}:4: missing field "
                                              "'test_list' (a non-empty list of assert statements))")
    result = codekiln("datasets", "show", f"mbpp:{path}", "--strict")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"codekiln: error: {path}:4: missing field 'test_list'")


def test_show_errors_are_one_line(tmp_path):
    for args, message in [(["nosuch"], "unknown dataset 'nosuch'; available: builtin, "),
                          ([f"mbpp:{tmp_path / 'absent.jsonl'}"], "absent.jsonl: no such file"),
                          (["builtin:x"], "dataset 'builtin' takes no path")]:
        result = codekiln("datasets", "show", *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_verify_prints_the_skip_line_and_strict_refuses(tmp_path):
    data = write_jsonl(tmp_path / "mbpp.jsonl", [MBPP_ROWS[1], "{torn"])
    samples = write_jsonl(tmp_path / "samples.jsonl", [{"task_id": "mbpp/3", "completion": MBPP_ROWS[1]["code"]}])
    result = codekiln("verify", str(samples), "--dataset", f"mbpp:{data}", "--json")
    assert result.returncode == 0, result.stderr
    assert f"codekiln: skipped 1 of 2 rows of mbpp:{data} (first: {data}:2: not valid JSON" in result.stderr
    assert json.loads(result.stdout)["python"]["passed"] == 1
    result = codekiln("verify", str(samples), "--dataset", f"mbpp:{data}", "--strict")
    assert result.returncode == 2 and f"{data}:2: not valid JSON" in result.stderr


def test_a_yaml_alias_bomb_is_one_line_not_minutes(tmp_path):
    anchors = ["l0: &l0 [1,1,1,1,1,1,1,1,1,1]"] + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]"
                                                   for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("id: bomb\ndescription: d\nconstraints:\n" + "".join(f"  {a}\n" for a in anchors))
    config = tmp_path / "config.yaml"
    config.write_text("reward_params:\n  quality:\n" + "".join(f"    {a}\n" for a in anchors))
    for args in (["datasets", "show", str(bomb)], ["config", "show", "-c", str(config)]):
        result = codekiln(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert "its aliases expand to" in result.stderr and "Traceback" not in result.stderr
