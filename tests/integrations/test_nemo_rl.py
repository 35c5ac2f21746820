"""The NeMo RL environment's contract, without NeMo RL: a stand-in of NeMo RL's own interface (copied from
nemo_rl/environments/interfaces.py, identical in v0.7.0 and main but for the rewards' type), and the
environment as a real Ray actor on a local 2-CPU cluster, called as NeMo RL's ``calculate_rewards`` calls
it: ``ray.get(actor.step.remote(message_logs, metadata))``, the result unpacked by position.
tests/integrations/test_nemo_rl_rollout.py runs NeMo RL's own rollouts where NeMo RL is importable."""

from __future__ import annotations

import abc
import json
import re
import time
from typing import Any, NamedTuple

import pytest

from codekiln.datasets import load_dataset
from codekiln.errors import CodekilnError, ConfigError, DataError, ToolchainMissing
from codekiln.feedback import render_feedback
from codekiln.integrations import nemo_rl
from codekiln.jsonio import to_json
from codekiln.plugins import make_plugins, registered
from codekiln.problem import Param, Problem, Signature, TestCase
from codekiln.verdict import VerdictStatus

from . import nemo_rl_support

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'codekiln[ray]')")
torch = pytest.importorskip("torch")

REWARDS = {"all_tests": 1.0, "syntax": 1.0}
SANDBOX = {"wall_time_s": 3.0, "cpu_time_s": 3.0}
HANG = "def average(values):\n    while True:\n        pass\n"
WRONG = "def average(values):\n    return 1.0\n"
STOP = ["```"]


# -- the stand-in: NeMo RL's interface, as NeMo RL declares it ------------------------------------------------


class StandInEnvironmentReturn(NamedTuple):
    observations: list[dict[str, str]]
    metadata: list[Any]
    next_stop_strings: list[list[str] | None] | list[None]
    rewards: Any  # Tensor (v0.7.0: [B] or [B, K]; main: [B] or dict[str, Tensor [B]])
    terminateds: Any
    answers: list[str | None] | None


class StandInEnvironmentInterface(abc.ABC):
    @abc.abstractmethod
    def step(self, message_log_batch, metadata):
        """Runs a step in the environment."""

    @abc.abstractmethod
    def global_post_process_and_metrics(self, batch):
        """Post processing function after all rollouts are done for the batch and returns metrics."""


def calculate_rewards(actor, message_logs, metadata, *extra):
    """What NeMo RL's calculate_rewards does with one task's group: one remote call, unpacked by position."""
    result = ray.get(actor.step.remote(message_logs, metadata, *extra))
    observations, metadata_out, next_stop_strings, rewards, terminateds, answers = result
    assert len(observations) == len(metadata_out) == len(next_stop_strings) == len(terminateds) == len(message_logs)
    return StandInEnvironmentReturn(observations, metadata_out, next_stop_strings, rewards, terminateds, answers)


def conversation(*answers_and_observations: str) -> list[dict[str, str]]:
    """A message log: the prompt, then the assistant's answers with the environment's observations between."""
    log = [{"role": "user", "content": "Write average."}]
    for index, text in enumerate(answers_and_observations):
        log.append({"role": "assistant" if index % 2 == 0 else "user", "content": text})
    return log


def by_name(task_id: str = "average", language: str = "python", *, chat: bool = False) -> dict[str, Any]:
    """Metadata as the data processor writes it: in the completion format (the answer is bare code, ended by
    the stop string), or in chat (a fenced answer, no stop string)."""
    if chat:
        return {"dataset": "builtin", "task_id": task_id, "language": language, "stop_strings": None}
    return {"dataset": "builtin", "task_id": task_id, "language": language, "stop_strings": STOP,
            "feedback_template": f"\n{nemo_rl.FEEDBACK}\n```{language}\n"}


# -- fixtures: two environment actors on the module's Ray instance (ray_cluster: tests/integrations/conftest.py) --


@pytest.fixture(scope="module")
def problems():
    return {p.id: p for p in load_dataset("builtin", make_plugins(autoload=False).datasets())}


@pytest.fixture(scope="module")
def env(ray_cluster):
    """One answer per episode, the 1-D reward, and a plugin session that can crash its verifier on demand."""
    session = make_plugins()
    with registered(session, nemo_rl_support):
        spec = session.spec()
    actor = nemo_rl.CodekilnEnvironmentActor.remote(
        {"rewards": REWARDS, "sandbox": SANDBOX, "verifier": {"workers": 2}, "languages": ["python", "pycrash"]},
        plugins=spec)
    yield actor
    ray.get(actor.shutdown.remote())
    ray.kill(actor)


@pytest.fixture(scope="module")
def debugger(ray_cluster):
    """Two answers per episode (multi-turn debugging) and NeMo RL main's dict rewards."""
    actor = nemo_rl.CodekilnEnvironmentActor.remote(
        {"rewards": REWARDS, "sandbox": SANDBOX, "verifier": {"workers": 2}, "max_turns": 2,
         "reward_components": True, "languages": ["python"]})
    yield actor
    ray.get(actor.shutdown.remote())
    ray.kill(actor)


# -- the contract --------------------------------------------------------------------------------------------


def test_the_return_has_nemo_rls_six_fields_in_order_and_the_class_its_abstract_methods():
    assert nemo_rl.EnvironmentReturn._fields == StandInEnvironmentReturn._fields

    class Checked(nemo_rl.CodekilnEnvironment, StandInEnvironmentInterface):
        pass

    assert Checked.__abstractmethods__ == frozenset()  # every abstract method implemented
    assert callable(nemo_rl.CodekilnEnvironment.shutdown)  # NeMo RL's shutdown_environments calls it


def test_one_turn_rewards_a_1d_float_tensor_and_terminates_every_sample(env, problems):
    reference = problems["average"].references["python"]
    carried = problems["reverse_words"]
    logs = [conversation(f"```python\n{reference}```"),
            conversation(f"{reference}```\nThat is all."),  # completion format: the stop string kept in the text
            conversation(WRONG),
            conversation(f"```python\n{carried.references['python']}```")]
    carried_metadata = {"problem": json.dumps(to_json(carried)), "language": "python"}
    metadata = [by_name(chat=True), by_name(), by_name(), carried_metadata]

    result = calculate_rewards(env, logs, metadata)

    assert result.rewards.dtype == torch.float32 and result.rewards.shape == (4,)
    assert result.rewards.tolist() == [1.0, 1.0, 0.5, 1.0]  # the wrong answer still parses: syntax 1, tests 0
    assert result.terminateds.dtype == torch.bool and result.terminateds.tolist() == [True] * 4
    assert result.answers is None and result.next_stop_strings == [None] * 4
    assert [m["codekiln"]["status"] for m in result.metadata] == ["passed", "passed", "wrong_answer", "passed"]
    assert result.metadata[2]["codekiln"] == {"turn": 1, "status": "wrong_answer", "passed": False, "masked": False,
                                              "reward": 0.5, "components": {"all_tests": 0.0, "syntax": 1.0}}
    assert {o["role"] for o in result.observations} == {"user"}

    # NeMo RL's evaluation passes return_extracted_answer=True as the third argument.
    answers = calculate_rewards(env, logs[:3], metadata[:3], True).answers
    assert answers == [reference, reference, WRONG]


def test_a_failed_answer_gets_feedback_and_a_second_turn(debugger, problems):
    reference = problems["average"].references["python"]
    first = calculate_rewards(debugger, [conversation(WRONG), conversation(f"```python\n{reference}```")],
                              [by_name(), by_name(chat=True)])

    assert first.terminateds.tolist() == [False, True]
    assert set(first.rewards) == {"reward/all_tests", "reward/syntax"}  # NeMo RL main's dict rewards
    assert all(r.dtype == torch.float32 and r.shape == (2,) for r in first.rewards.values())
    assert sum(first.rewards.values()).tolist() == [0.0, 1.0]  # a turn that goes on earns nothing yet
    assert first.next_stop_strings == [STOP, None]
    feedback = first.observations[0]["content"]
    assert feedback.startswith("\nYour Python code runs, but ") and feedback.endswith("\n```python\n")
    # What the tests expect stays hidden (show_expected is off by default): no failing test is named.
    assert "(Which tests fail and what they expect is not shown.)" in feedback and "Fix the code" in feedback
    assert "test 1: " not in feedback and "expected" not in feedback.replace("they expect", "")
    assert first.observations[0]["role"] == "user"

    # NeMo RL writes the returned metadata back as the next turn's extra_env_info.
    state = first.metadata[0]
    repaired = calculate_rewards(debugger, [conversation(WRONG, feedback, f"{reference}```")], [state])
    assert repaired.terminateds.tolist() == [True]
    assert {k: v.tolist() for k, v in repaired.rewards.items()} == {"reward/all_tests": [0.5], "reward/syntax": [0.5]}
    assert repaired.metadata[0]["codekiln"]["turn"] == 2 and repaired.metadata[0]["codekiln"]["passed"]

    # Out of turns: the last answer's reward ends the episode, shared out by component.
    again = calculate_rewards(debugger, [conversation(WRONG, feedback, WRONG)], [state])
    assert again.terminateds.tolist() == [True]
    assert {k: v.tolist() for k, v in again.rewards.items()} == {"reward/all_tests": [0.0], "reward/syntax": [0.5]}


def test_the_feedback_is_the_shared_renderers(debugger, problems, verifier):
    """The observation is codekiln.feedback's text for the verdict, in the sample's template."""
    verdict = verifier.verify(problems["average"], WRONG, "python")
    result = calculate_rewards(debugger, [conversation(WRONG)], [by_name()])
    assert result.observations[0]["content"] == f"\n{render_feedback(verdict, show_expected=False)}\n```python\n"



MIX = Problem(id="mix", description="The square of a plus twice b.",
              signature=Signature("mix", (Param("a", "int"), Param("b", "int")), "int"),
              tests=(TestCase((1, 2), 5), TestCase((2, 5), 14), TestCase((4, 1), 18)))
PROBE = "def mix(a, b):\n    return 1000 + 100 * a + b\n"  # a wrong result that says which input it was


def special_case_attack(cfg: dict[str, Any]) -> tuple[dict[tuple[int, int], int], str, Any]:
    """A first answer whose wrong results name their inputs, then a table of the expected values the feedback
    quoted: the table, the feedback and the second turn's result."""
    env = nemo_rl.CodekilnEnvironment({"max_turns": 2, "languages": ["python"], "verifier": {"workers": 1}, **cfg})
    try:
        task = {"problem": to_json(MIX), "language": "python", "stop_strings": STOP,
                "feedback_template": f"\n{nemo_rl.FEEDBACK}\n```python\n"}
        first = env.step([conversation(PROBE)], [task])
        assert first.terminateds.tolist() == [False]
        feedback = first.observations[0]["content"]
        table = {divmod(int(got) - 1000, 100): int(want)
                 for want, got in re.findall(r"expected (-?\d+), got (\d+)", feedback)}
        cheat = f"def mix(a, b):\n    return {table!r}.get((a, b), 0)\n"
        return table, feedback, env.step([conversation(PROBE, feedback, cheat)], first.metadata)
    finally:
        env.shutdown()


@pytest.mark.parametrize("show_expected", [True, False])
def test_a_second_answer_cannot_special_case_what_the_feedback_told(show_expected):
    """The reward hack multi-turn feedback invites. It earns the full reward where the feedback shows the expected
    values (show_expected: true), and nothing under the default."""
    table, feedback, second = special_case_attack({"rewards": {"all_tests": 1.0}, "show_expected": show_expected})
    if show_expected:
        assert table == {(1, 2): 5, (2, 5): 14, (4, 1): 18}
        assert second.rewards.tolist() == [1.0]  # the hack, where the expected values are shown
    else:
        assert table == {} and "3 of 3 tests fail" in feedback
        assert second.rewards.tolist() == [0.0]


def test_public_tests_are_shown_in_full_and_left_out_of_the_reward():
    """RLEF's split: the first test is public, so its expected value is in the feedback; the reward (here the
    fraction of tests passed) counts the two hidden tests alone, so special-casing the public one earns nothing."""
    table, feedback, second = special_case_attack({"rewards": {"tests": 1.0}, "public_tests": 1})
    assert table == {(1, 2): 5} and "test 1: expected 5, got 1102" in feedback
    assert "(Which tests fail and what they expect is not shown.)" in feedback  # tests 2 and 3
    assert second.rewards.tolist() == [0.0]  # 1 of 3 passes, but not one of the 2 hidden
    assert second.metadata[0]["codekiln"]["status"] == "wrong_answer"

    env = nemo_rl.CodekilnEnvironment({"rewards": {"tests": 1.0}, "public_tests": 1, "languages": ["python"],
                                       "verifier": {"workers": 1}})
    try:
        task = {"problem": to_json(MIX), "language": "python"}
        right = env.step([conversation("def mix(a, b):\n    return a * a + 2 * b\n")], [task])
        assert right.rewards.tolist() == [1.0] and right.metadata[0]["codekiln"]["passed"]
    finally:
        env.shutdown()
    too_many = nemo_rl.CodekilnEnvironment({"public_tests": 3, "languages": ["python"], "verifier": {"workers": 1}})
    try:
        with pytest.raises(DataError, match="sample 0: problem 'mix' has 3 tests, and public_tests 3 would leave "
                                            "none hidden for the reward"):
            too_many.step([conversation(PROBE)], [task])
    finally:
        too_many.shutdown()

def test_a_hanging_answer_holds_up_only_itself(env, problems):
    reference = problems["average"].references["python"]
    # Two calls at once, as NeMo RL's async rollouts make them (one sample each): the quick one comes back first.
    hanging = env.step.remote([conversation(HANG)], [by_name()])
    quick = env.step.remote([conversation(reference)], [by_name()])
    ready, _ = ray.wait([hanging, quick], num_returns=1)
    assert ready == [quick]
    assert ray.get(hanging).metadata[0]["codekiln"]["status"] == "timeout"

    # In one batch the others are verified beside it: the batch takes about one time limit, not one each.
    started = time.monotonic()
    result = calculate_rewards(env, [conversation(HANG), conversation(HANG.replace("values", "xs")),
                                     conversation(reference), conversation(WRONG)], [by_name()] * 4)
    elapsed = time.monotonic() - started
    assert [m["codekiln"]["status"] for m in result.metadata] == ["timeout", "timeout", "passed", "wrong_answer"]
    assert not any(m["codekiln"]["masked"] for m in result.metadata)  # the model's fault: scored, not masked
    assert result.rewards.tolist() == [0.5, 0.5, 1.0, 0.5]
    assert elapsed < 2 * SANDBOX["wall_time_s"] + 10, elapsed  # two hanging answers on two workers, side by side


def test_a_masked_answer_is_reported_and_gets_its_groups_mean(env, problems):
    """A crash of ours masks the answer: its metadata and the metrics say so, and its reward is the mean of
    the unmasked answers to the same task (no advantage under GRPO), never a 0 that blames the model."""
    reference = problems["average"].references["python"]
    ray.get(env.global_post_process_and_metrics.remote(None))  # start the tally afresh
    crash = f"# {nemo_rl_support.CRASH}\n{reference}"
    metadata = [by_name(language="pycrash")] * 3 + [by_name("reverse_words", "pycrash")]
    result = calculate_rewards(env, [conversation(crash), conversation(reference), conversation(WRONG),
                                     conversation(f"# {nemo_rl_support.CRASH}\n")], metadata)

    summaries = [m["codekiln"] for m in result.metadata]
    assert [s["masked"] for s in summaries] == [True, False, False, True]
    assert summaries[0]["status"] == VerdictStatus.INFRA_ERROR.value and summaries[0]["reward"] is None
    assert result.rewards.tolist() == [0.75, 1.0, 0.5, 0.0]  # the group's mean; alone in its task, 0
    assert result.terminateds.tolist() == [True] * 4
    assert result.observations[0]["content"] == "Not judged: the verifier failed, not your code."

    batch, metrics = ray.get(env.global_post_process_and_metrics.remote({"kept": 1}))
    assert batch == {"kept": 1}
    assert metrics["codekiln/masked_fraction"] == 0.5 and metrics["codekiln/pass_rate"] == 0.25
    assert metrics["codekiln/status/infra_error"] == 0.5


def test_a_masked_first_answer_of_several_turns_gets_the_groups_mean_not_the_passes(problems):
    """At a first turn of two only passes end the episode; a masked answer must get what its group scores (here
    1 pass and 2 wrong answers: 1/3), not the mean of the passes alone (1.0, an advantage for a crash of ours)."""
    reference = problems["average"].references["python"]
    session = make_plugins()
    with registered(session, nemo_rl_support):
        env = nemo_rl.CodekilnEnvironment({"rewards": {"all_tests": 1.0}, "max_turns": 2, "languages": ["pycrash"],
                                           "verifier": {"workers": 2}, "sandbox": SANDBOX}, plugins=session)
        try:
            answers = [reference, WRONG, WRONG + "# another\n", f"# {nemo_rl_support.CRASH}\n{WRONG}"]
            result = env.step([conversation(a) for a in answers], [by_name(language="pycrash", chat=True)] * 4)
        finally:
            env.shutdown()
    assert result.terminateds.tolist() == [True, False, False, True]
    assert result.rewards.tolist() == pytest.approx([1.0, 0.0, 0.0, 1 / 3])


@pytest.mark.parametrize(("metadata", "logs", "error"), [
    (["average"], [conversation("x")], "sample 0: metadata must be a mapping such as"),
    ([{"dataset": "builtin", "task": "average", "language": "python"}], [conversation("x")],
     "sample 0: unknown metadata key 'task'; known: dataset, task_id, problem"),
    ([{"dataset": "builtin", "language": "python"}], [conversation("x")],
     "sample 0: give either 'problem' or both 'dataset' and 'task_id'"),
    ([by_name("nope")], [conversation("x")], "sample 0.task_id: no task 'nope' in dataset 'builtin'"),
    ([by_name(language="cobol")], [conversation("x")], "sample 0: unknown language 'cobol'; available: "),
    ([by_name(language="js")], [conversation("x")], "sample 0: language 'javascript' is not one this env serves"),
    ([{"dataset": "builtin", "task_id": "average"}], [conversation("x")],
     "sample 0: metadata has no 'language', and the env serves more than one"),
    ([by_name()], [[{"role": "user", "content": "hi"}]], "sample 0: the message log holds no assistant message"),
    ([by_name(), by_name()], [conversation("x")], "1 message logs but 2 metadata entries"),
])
def test_bad_metadata_fails_in_one_clear_line(env, metadata, logs, error):
    with pytest.raises(DataError, match=error):
        ray.get(env.step.remote(logs, metadata))


@pytest.mark.parametrize(("cfg", "error"), [
    ({"max_turn": 2}, "codekiln NeMo RL env: unknown key 'max_turn'; known: rewards, reward_params"),
    ({"max_turns": 0}, "max_turns must be a whole number ≥ 1, got 0"),
    ({"reward_components": "dict"}, "reward_components must be true or false, got 'dict'"),
    ({"show_expected": 1}, "show_expected must be true or false, got 1"),
    ({"public_tests": -1}, "public_tests must be a whole number ≥ 0, got -1"),
    ({"public_tests": "2"}, "public_tests must be a whole number ≥ 0, got '2'"),
    ({"rewards": {"all_tests": "high"}}, "rewards"),
    ({"languages": ["cobol"]}, "unknown language 'cobol'"),
])
def test_a_bad_env_config_fails_in_one_clear_line(cfg, error):
    with pytest.raises(CodekilnError, match=error):
        nemo_rl.CodekilnEnvironment(cfg)
    assert issubclass(ConfigError, CodekilnError)


def test_a_served_language_without_its_toolchain_fails_at_start():
    from ..serve import offline_language

    session = make_plugins()
    with registered(session, offline_language), pytest.raises(
            ToolchainMissing, match=r"^language 'offline': offline: its toolchain is not installed on this machine$"):
        nemo_rl.CodekilnEnvironment({"languages": ["python", "offline"]}, plugins=session)


def test_register_without_nemo_rl_says_how_to_get_it():
    try:
        import nemo_rl as _  # noqa: F401
    except ImportError:
        with pytest.raises(CodekilnError, match=r"NeMo RL is not importable .*put it on PYTHONPATH"):
            nemo_rl.register()
    else:
        pytest.skip("NeMo RL is importable here: tests/integrations/test_nemo_rl_rollout.py registers it")


# -- the data processor ------------------------------------------------------------------------------------------

CHAT_TEMPLATE = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
                 "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="module")
def tokenizer():
    """A byte-level BPE tokenizer trained in code on a few lines, with a ChatML template."""
    import tokenizers
    import transformers

    bpe = tokenizers.ByteLevelBPETokenizer()
    bpe.train_from_iterator(["def average(values):\n    return sum(values) / len(values)\n"], vocab_size=300,
                            special_tokens=["<pad>", "<|im_end|>"])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, pad_token="<pad>",
                                               eos_token="<|im_end|>")
    tok.chat_template = CHAT_TEMPLATE
    return tok


def test_the_processor_turns_a_families_row_into_a_datum(tokenizer):
    rows = nemo_rl.dataset_rows("families", ["python"], split="rl")
    assert rows and all(row["task_name"] == "codekiln" and row["language"] == "python" for row in rows)
    problems = {p.id: p for p in load_dataset("families", make_plugins(autoload=False).datasets())}
    assert {problems[row["task_id"]].split for row in rows} == {"rl"}

    datum = nemo_rl.codekiln_data_processor(rows[0], None, tokenizer, 4096, idx=7)
    (message,) = datum["message_log"]
    assert message["role"] == "user" and message["content"].startswith("<|im_start|>user\n")
    assert message["token_ids"].dtype == torch.long
    assert tokenizer.decode(message["token_ids"]) == message["content"]
    assert datum["length"] == len(message["token_ids"]) and datum["loss_multiplier"] == 1.0
    assert datum["idx"] == 7 and datum["task_name"] == "codekiln" and datum["stop_strings"] is None
    info = datum["extra_env_info"]
    assert {key: info[key] for key in ("dataset", "task_id", "language")} == {
        "dataset": "families", "task_id": rows[0]["task_id"], "language": "python"}
    # A feedback turn in chat is a user turn in the tokenizer's template, then the assistant's cue.
    assert info["feedback_template"] == f"<|im_start|>user\n{nemo_rl.FEEDBACK}<|im_end|>\n<|im_start|>assistant\n"


def test_the_processor_in_the_completion_format_and_a_prompt_too_long(tokenizer, problems):
    row = {"problem": to_json(problems["average"]), "language": "py", "prompt_format": "completion",
           "task_name": "code"}
    datum = nemo_rl.codekiln_data_processor(row, None, tokenizer, None, idx=0)
    assert datum["message_log"][0]["content"].endswith("\n```python\n") and datum["stop_strings"] == ["```"]
    assert datum["task_name"] == "code" and datum["extra_env_info"]["language"] == "python"
    assert datum["extra_env_info"]["feedback_template"] == f"\n{nemo_rl.FEEDBACK}\n```python\n"
    assert "problem" in datum["extra_env_info"]

    cut = nemo_rl.codekiln_data_processor(row, None, tokenizer, 16, idx=0)
    assert cut["length"] == 16 and cut["loss_multiplier"] == 0.0  # left out of the loss, as NeMo RL's own do

    with pytest.raises(DataError, match="row 3: no 'language'"):
        nemo_rl.codekiln_data_processor({"dataset": "builtin", "task_id": "average"}, None, tokenizer, None, idx=3)
    with pytest.raises(DataError, match="dataset 'builtin': no problem in python in split 'rl'"):
        nemo_rl.dataset_rows("builtin", ["python"], split="rl")


# -- the example -------------------------------------------------------------------------------------------------


def test_the_example_config_makes_the_env_and_its_data():
    """examples/nemo_rl: the env section is a valid cfg, the data section finds prompts, the launcher compiles
    (it imports NeMo RL's GRPO, which needs Python ≥ 3.12 and GPUs; test_nemo_rl_rollout.py runs its setup)."""
    from pathlib import Path

    import yaml

    example = Path(__file__).resolve().parents[2] / "examples" / "nemo_rl"
    config = yaml.safe_load((example / "grpo_codekiln_1B.yaml").read_text(encoding="utf-8"))
    cfg = config["env"]["codekiln"]
    assert cfg["max_turns"] == config["grpo"]["max_rollout_turns"]
    try:
        nemo_rl.CodekilnEnvironment(cfg).shutdown()
    except ToolchainMissing as exc:
        pytest.skip(f"the example's languages need a toolchain not installed here: {exc}")
    settings = config["data"]["codekiln"]
    train = nemo_rl.dataset_rows(settings["dataset"], settings["languages"], split=settings["train_split"])
    held_out = nemo_rl.dataset_rows(settings["dataset"], settings["languages"], split=settings["validation_split"])
    assert not {r["task_id"] for r in train} & {r["task_id"] for r in held_out}
    launcher = example / "run_grpo_codekiln.py"
    compile(launcher.read_text(encoding="utf-8"), str(launcher), "exec")  # no __pycache__ left in the tree
