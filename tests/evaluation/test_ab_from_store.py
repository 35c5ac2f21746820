"""``codekiln ab --from-store``: the online A/B arms and human ratings of a real generation store."""

from __future__ import annotations

import json

import pytest

from codekiln.serve.store import Generation, SQLiteStore

from ..test_cli import codekiln


def generation(arm: str, prompt: str, passed: bool, created: float, **fields) -> Generation:
    values = dict(model=f"model-{arm}", model_version="v1", arm=arm, prompt=prompt, language="python",
                  code=f"def f():\n    return {passed!r}\n", status="passed" if passed else "wrong_answer",
                  passed=passed, compiled=True, quality=0.5 if arm == "a" else 0.75, latency_s=1.0, tokens=10,
                  created=created)
    return Generation(**{**values, **fields})


def write_store(path, generations, ratings=()) -> str:
    with SQLiteStore(path) as store:
        for g in generations:
            store.add(g)
        for generation_id, readability, correctness in ratings:
            store.add_rating(generation_id, reviewer="ana", readability=readability, correctness=correctness)
    return str(path)


def ab(*args: str) -> dict:
    result = codekiln("ab", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_prompts_that_reached_both_arms_are_paired(tmp_path):
    # 12 prompts, each to both arms: both pass 2, only a 1, only b 8, neither 1 -> McNemar b=1, c=8.
    pattern = [(True, True)] * 2 + [(True, False)] + [(False, True)] * 8 + [(False, False)]
    stored = [generation(arm, f"prompt {i}", passes[side], created=i + side / 2)
              for i, passes in enumerate(pattern) for side, arm in enumerate("ab")]
    stored += [generation("fallback", "prompt 0", False, created=99.0),  # neither arm
               generation("a", "prompt 1", False, created=99.0, status=""),  # not verified
               generation("b", "prompt 1", False, created=99.0, status="infra_error")]  # our failure
    ratings = [(stored[0].id, 4, 5), (stored[1].id, 2, 3), (stored[2].id, 3, 4)]
    out = tmp_path / "report"
    comparison = ab("--from-store", write_store(tmp_path / "gen.db", stored, ratings), "--out", str(out))
    assert comparison["method"] == "paired" and comparison["method_note"].startswith("paired by prompt: 12 of 12")
    assert comparison["counts"] == {"a_only": 1, "b_only": 8, "both": 2, "neither": 1}
    assert comparison["p_value"] == 0.0390625 and comparison["pass1"] == [0.25, pytest.approx(10 / 12)]
    assert comparison["labels"] == ["a (model-a)", "b (model-b)"]
    assert comparison["side_by_side"]["mean_quality"] == [0.5, 0.75]
    assert comparison["sentence"].startswith("b (model-b) is better than a (model-a)")
    # Ratings per model: model-a got (4, 5) and (3, 4), model-b (2, 3).
    assert comparison["ratings"] == {"model-a": {"ratings": 2.0, "readability": 3.5, "correctness": 4.5},
                                     "model-b": {"ratings": 1.0, "readability": 2.0, "correctness": 3.0}}
    report = (out / "report.md").read_text()
    assert "## Human ratings" in report and "| model-a | 2 | 3.50 | 4.50 |" in report


def test_arms_on_different_prompts_are_compared_unpaired_with_fisher(tmp_path):
    stored = [generation("a", f"a{i}", i < 3, created=i) for i in range(4)]
    stored += [generation("b", f"b{i}", i < 1, created=i) for i in range(4)]
    comparison = ab("--from-store", f"sqlite:///{write_store(tmp_path / 'gen.db', stored)}")
    assert comparison["method"] == "unpaired" and comparison["test"] == "Fisher's exact"
    # Margins 4/4 and 4/4, a passes 3: (1 + 16 + 16 + 1) / 70.
    assert comparison["p_value"] == pytest.approx(34 / 70) and not comparison["significant"]
    assert comparison["counts"] == {"a_pass": 3, "a_fail": 1, "b_pass": 1, "b_fail": 3}
    assert comparison["ratings"] == {}
    assert comparison["sentence"].startswith("No significant difference between a (model-a) and b (model-b)")


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["--from-store", "{tmp}/none.db"], "--from-store {tmp}/none.db: no such store"),
        ("a-only", ["--from-store", "{tmp}/gen.db"], "the store holds no verified generation of A/B arm 'b'"),
        ("a-only", ["--from-store", "{tmp}/gen.db", "--dataset", "builtin"],
         "--from-store compares the store's own arms: leave out"),
        (None, [], "codekiln ab needs --dataset NAME (or --from-store PATH)"),
    ],
)
def test_from_store_bad_input(tmp_path, setup, args, message):
    if setup == "a-only":
        write_store(tmp_path / "gen.db", [generation("a", "p", True, created=1.0)])
    result = codekiln("ab", *(arg.format(tmp=tmp_path) for arg in args))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("codekiln: error: " + message.format(tmp=tmp_path))
