"""codekiln's rewards as TRL reward functions: exact values on known answers, one real GRPOTrainer step on a
tiny model on CPU, bad rows."""

from __future__ import annotations

import pytest

from codekiln.datasets import load_dataset
from codekiln.errors import DataError
from codekiln.integrations.trl import reward_functions
from codekiln.plugins import make_plugins

trl = pytest.importorskip("trl")

CONFIG = {"rewards": {"all_tests": 1.0, "format": 0.5}, "verifier": {"workers": 2}}


@pytest.fixture(scope="module")
def plugins():
    return make_plugins(warn=lambda line: None)


@pytest.fixture(scope="module")
def problems(plugins):
    return {p.id: p for p in load_dataset("builtin", plugins.datasets())}


@pytest.fixture(scope="module")
def rewards(plugins):
    functions = reward_functions(CONFIG, plugins=plugins, language="python")
    yield functions
    functions[0]._batch.scorer.close()


def _fenced(code: str) -> str:
    return f"```python\n{code}```"


def test_total_is_the_weighted_mean_and_components_are_logged(rewards, problems):
    average = problems["average"]
    right = _fenced(average.references["python"])
    wrong = _fenced("def average(values):\n    return 0.0\n")
    logged = {}
    values = rewards[0](prompts=["p", "p"], completions=[right, wrong], dataset=["builtin", "builtin"],
                        task_id=["average", "average"], log_metric=logged.__setitem__)
    # all_tests 1 and format 1 → 1.0; all_tests 0 and format 1 → (0 * 1 + 1 * 0.5) / 1.5.
    assert values == [pytest.approx(1.0), pytest.approx(0.5 / 1.5)]
    assert logged == {"codekiln/all_tests": pytest.approx(0.5), "codekiln/format": pytest.approx(1.0)}
    assert rewards.weights == [1.0]
    assert rewards[0].__name__ == "codekiln"


def test_per_component_functions_share_one_verification(plugins, problems):
    functions = reward_functions(CONFIG, plugins=plugins, language="python", per_component=True)
    try:
        assert [f.__name__ for f in functions] == ["all_tests", "format"]
        assert functions.weights == [1.0, 0.5]
        reference = problems["reverse_words"].references["python"]
        columns = {"completions": [_fenced(reference)], "problem": [None], "dataset": ["builtin"],
                   "task_id": ["reverse_words"]}
        assert functions[0](**columns) == [1.0]
        scorer = functions[0]._batch.scorer
        verified = scorer.verifier.verify_batch
        scorer.verifier.verify_batch = None  # the second function must not verify again
        try:
            assert functions[1](**columns) == [1.0]
        finally:
            scorer.verifier.verify_batch = verified
    finally:
        functions[0]._batch.scorer.close()


def test_a_row_may_carry_its_problem_and_its_language(rewards, problems):
    from codekiln.jsonio import to_json

    problem = problems["is_palindrome"]
    values = rewards[0](completions=[[{"role": "assistant", "content": _fenced(problem.references["python"])}]],
                        problem=[to_json(problem)], language=["py"])
    assert values == [pytest.approx(1.0)]


@pytest.mark.parametrize(("columns", "message"), [
    ({"dataset": ["builtin"], "task_id": ["no_such_task"]}, "sample 0.task_id: no task 'no_such_task'"),
    ({"task_id": ["average"]}, "sample 0: give either 'problem' or both 'dataset' and 'task_id'"),
    ({"problem": [{"id": "x"}]}, "sample 0.problem"),
])
def test_bad_rows_fail_with_one_line_naming_the_sample(rewards, columns, message):
    with pytest.raises(DataError, match=message) as caught:
        rewards[0](completions=["x"], **columns)
    assert "\n" not in str(caught.value)


def test_the_documented_trainer_takes_one_grpo_step_on_cpu(plugins, problems, model_cache, tmp_path_factory,
                                                           one_torch_thread):
    import torch
    import transformers

    from codekiln.train.policy import default_model_dir
    from codekiln.train.prompts import problem_prompt, render_prompt
    from tests.test_docs import load_example

    model_dir = default_model_dir(model_cache, plugins)
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    backend = plugins.languages().get("python")
    chosen = ["average", "reverse_words", "is_palindrome", "celsius_to_fahrenheit"]
    prompts = [render_prompt(tokenizer, problem_prompt(problems[i], "python", backend), language="python",
                             fmt="completion", native=False) for i in chosen]
    torch.manual_seed(0)
    trainer = load_example("trl_grpo").build_trainer(model_dir, tmp_path_factory.mktemp("trl"), prompts, chosen)
    try:
        trainer.train()
    finally:
        trainer.reward_funcs[0]._batch.scorer.close()
    logged = next(row for row in trainer.state.log_history if "reward" in row)
    assert 0.0 <= logged["rewards/codekiln/mean"] <= 1.0
    assert "codekiln/all_tests" in logged and "codekiln/format" in logged
