"""NeMo RL's own rollouts with the codekiln environment, where NeMo RL is importable (its source tree on
PYTHONPATH; CI does not have it): ``run_multi_turn_rollout`` and ``run_async_multi_turn_rollout`` on a batch
that codekiln's data processor made and NeMo RL's ``rl_collate_fn`` collated, the environment made by NeMo
RL's ``create_env`` after ``register()``, and the embedded default model generating on CPU through a
``GenerationInterface`` written here. The untrained model's answers fail, so every episode of two turns
shows the feedback turn; the rewards NeMo RL adds up are checked against codekiln's own verdicts."""

from __future__ import annotations

import pytest

from codekiln.config import config_from_dict
from codekiln.feedback import render_feedback
from codekiln.integrations import nemo_rl
from codekiln.scoring import Scorer

from .test_nemo_rl import REWARDS, SANDBOX

pytest.importorskip("nemo_rl", reason="NeMo RL is not importable: put its source tree (github NVIDIA-NeMo/RL) "
                                      "on PYTHONPATH")
torch = pytest.importorskip("torch")
try:  # NeMo RL pins its dependencies (transformers < 5.12 at v0.7.0 and main): a mismatch skips, saying which
    from nemo_rl.data.collate_fn import rl_collate_fn
    from nemo_rl.distributed.batched_data_dict import BatchedDataDict
    from nemo_rl.environments.interfaces import EnvironmentReturn
    from nemo_rl.environments.utils import create_env
    from nemo_rl.experience.rollouts import run_async_multi_turn_rollout, run_multi_turn_rollout
    from nemo_rl.models.generation.interfaces import GenerationInterface
except Exception as exc:  # NeMo RL asserts versions at import time
    pytest.skip(f"NeMo RL does not import here: {type(exc).__name__}: {exc}", allow_module_level=True)

TASKS = ("average", "reverse_words")
MAX_NEW_TOKENS = 24
#: Garbage can take the parser past its time budget on a loaded machine: still a syntax error, other words.
PARSE_BUDGET = "too hard to parse"
#: NeMo RL main takes dict rewards; v0.7.0 only tensors.
DICT_REWARDS = "dict" in str(EnvironmentReturn.__annotations__["rewards"])


class TinyGeneration(GenerationInterface):
    """Hugging Face ``generate`` on CPU behind NeMo RL's GenerationInterface: sync and async (``cfg`` says
    async to NeMo RL's rollouts, as vLLM's async engine does), one sample at a time, stop strings kept in
    the output as vLLM keeps them. The last token allowed is eos: an answer that runs to the limit ends
    instead of being cut off, since NeMo RL's async rollout ends a truncated episode at once."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer
        self.cfg = {"backend": "vllm", "vllm_cfg": {"async_engine": True}}

    def init_collective(self, ip, port, world_size, *, train_world_size):
        return []

    def prepare_for_generation(self, *args, **kwargs):
        return True

    def finish_generation(self, *args, **kwargs):
        return True

    def shutdown(self):
        return True

    def generate(self, data, greedy=False):
        return self._batch([self._one(data, i, greedy) for i in range(len(data["input_ids"]))])

    async def generate_async(self, data, greedy=False):
        for index in range(len(data["input_ids"])):
            yield index, self._batch([self._one(data, index, greedy)])

    def _one(self, data, index, greedy):
        prompt = data["input_ids"][index, : int(data["input_lengths"][index])]
        stop = (data.get("stop_strings") or [None] * (index + 1))[index]
        out = self.model.generate(prompt[None], max_new_tokens=MAX_NEW_TOKENS, do_sample=not greedy,
                                  stop_strings=stop or None, tokenizer=self.tokenizer,
                                  pad_token_id=self.tokenizer.pad_token_id, output_scores=True,
                                  forced_eos_token_id=self.tokenizer.eos_token_id,
                                  return_dict_in_generate=True)
        generated = out.sequences[0, len(prompt):]
        logprobs = self.model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)[0]
        ended = len(generated) and int(generated[-1]) == self.tokenizer.eos_token_id
        stopped = stop and any(s in self.tokenizer.decode(generated) for s in stop)
        return prompt, generated, logprobs, not (ended or stopped)

    def _batch(self, rows):
        width = max(len(prompt) + len(generated) for prompt, generated, _, _ in rows)
        ids = torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=torch.long)
        logprobs = torch.zeros((len(rows), width), dtype=torch.float32)
        for i, (prompt, generated, scores, _) in enumerate(rows):
            ids[i, : len(prompt) + len(generated)] = torch.cat([prompt, generated])
            logprobs[i, len(prompt): len(prompt) + len(generated)] = scores
        return BatchedDataDict({
            "output_ids": ids,
            "logprobs": logprobs,
            "generation_lengths": torch.tensor([len(g) for _, g, _, _ in rows]),
            "unpadded_sequence_lengths": torch.tensor([len(p) + len(g) for p, g, _, _ in rows]),
            "truncated": torch.tensor([t for _, _, _, t in rows], dtype=torch.bool),
        })


@pytest.fixture(scope="module")
def policy(tmp_path_factory, plugins):
    import transformers

    from codekiln.train.policy import default_model_dir

    directory = default_model_dir(tmp_path_factory.mktemp("codekiln-cache"), plugins)
    tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(directory).eval()
    return TinyGeneration(model, tokenizer)


@pytest.fixture(scope="module")
def environments(ray_cluster):
    nemo_rl.register()
    nemo_rl.register()  # twice is fine
    made = {}

    def make(max_turns: int, components: bool):
        key = (max_turns, components)
        if key not in made:
            made[key] = create_env("codekiln", {"rewards": REWARDS, "sandbox": SANDBOX, "verifier": {"workers": 2},
                                                "max_turns": max_turns, "reward_components": components})
        return made[key]

    yield make
    import ray

    for actor in made.values():
        ray.get(actor.shutdown.remote())
        ray.kill(actor)


#: NeMo RL's two rollout loops: batched turns, and each sample on its own (asyncio).
BOTH_ROLLOUTS = pytest.mark.parametrize("rollout", [run_multi_turn_rollout, run_async_multi_turn_rollout],
                                        ids=["sync", "async"])


def batch_of(tokenizer):
    """Two tasks, each asked in chat and in the completion format, processed and collated as NeMo RL does."""
    rows = [{"dataset": "builtin", "task_id": task, "language": "python", "prompt_format": fmt}
            for task in TASKS for fmt in ("chat", "completion")]
    return rl_collate_fn([nemo_rl.codekiln_data_processor(row, None, tokenizer, 1024, idx=i)
                          for i, row in enumerate(rows)])


def roll(rollout, policy, env, *, turns):
    """One rollout of :func:`batch_of` by NeMo RL's ``rollout`` loop: the batch, NeMo RL's result and metrics."""
    batch = batch_of(policy.tokenizer)
    final, metrics = rollout(policy, batch, policy.tokenizer, {"codekiln": env}, max_seq_len=1024,
                             max_rollout_turns=turns)
    return batch, final, metrics


@pytest.fixture(scope="module")
def scorer(plugins):
    scorer = Scorer(config_from_dict({"rewards": REWARDS, "sandbox": SANDBOX, "verifier": {"workers": 2}}), plugins)
    yield scorer
    scorer.close()


def answers(log):
    return [m["content"] for m in log if m["role"] == "assistant"]


def expected_reward(scorer, info, text):
    """codekiln's reward for an answer, computed here: the stop string cut as the environment cuts it."""
    problem = scorer.problem(where="test", dataset="builtin", task_id=info["task_id"])
    for stop in info["stop_strings"] or ():
        text = text.split(stop)[0]
    return scorer.score([problem], [text], ["python"])[0]


@pytest.mark.slow
@BOTH_ROLLOUTS
def test_one_turn_rollout(rollout, policy, environments, scorer):
    batch, final, metrics = roll(rollout, policy, environments(1, False), turns=1)
    assert metrics["avg_turns_per_sample"] == 1
    assert final["total_reward"].shape == (4,)
    for log, info, reward in zip(final["message_log"], batch["extra_env_info"], final["total_reward"].tolist()):
        assert [m["role"] for m in log] == ["user", "assistant", "user"]
        scored = expected_reward(scorer, info, answers(log)[0])
        assert reward == pytest.approx(scored.reward or 0.0)


@pytest.mark.slow
@BOTH_ROLLOUTS
def test_two_turn_rollout_debugs_from_feedback(rollout, policy, environments, scorer):
    batch, final, metrics = roll(rollout, policy, environments(2, DICT_REWARDS), turns=2)
    feedback_turns = 0
    for i, (log, info) in enumerate(zip(final["message_log"], batch["extra_env_info"])):
        first = expected_reward(scorer, info, answers(log)[0])
        if first.verdict.passed or first.masked:
            continue  # an untrained model's answer passes only by chance: its episode ends at once
        feedback_turns += 1
        assert [m["role"] for m in log] == ["user", "assistant", "user", "assistant", "user"]
        before, after = info["feedback_template"].split(nemo_rl.FEEDBACK)
        observed, expected = log[2]["content"], before + render_feedback(first.verdict, show_expected=False) + after
        if PARSE_BUDGET in observed + expected:  # the verdict depends on the machine's load; the rest does not
            assert observed.startswith(before + "Your Python code has a syntax error.") and observed.endswith(after)
        else:
            assert observed == expected
        last = expected_reward(scorer, info, answers(log)[1])
        assert float(final["total_reward"][i]) == pytest.approx(last.reward or 0.0)  # the last answer's reward
    assert feedback_turns >= 3
    assert metrics["avg_turns_per_sample"] > 1
    if DICT_REWARDS:  # NeMo RL main keeps each component as a batch column beside the total
        components = final["reward/all_tests"] + final["reward/syntax"]
        assert torch.allclose(components, final["total_reward"])


@pytest.mark.slow
def test_the_example_config_over_nemo_rls_defaults_sets_up_data_and_env(policy, environments):
    """examples/nemo_rl: its YAML merged over NeMo RL's grpo_math_1B.yaml as the launcher merges them, then
    setup_data with NeMo RL's AllTaskProcessedDataset and create_env. (The launcher itself imports NeMo RL's
    GRPO, which does not import on Python 3.11: MasterConfig needs 3.12's TypedDict.)"""
    from pathlib import Path

    import nemo_rl as nemo_rl_package
    import ray
    from nemo_rl.utils.config import load_config, register_omegaconf_resolvers
    from omegaconf import OmegaConf

    register_omegaconf_resolvers()
    base = Path(nemo_rl_package.__file__).resolve().parent.parent / "examples" / "configs" / "grpo_math_1B.yaml"
    example = Path(__file__).resolve().parents[2] / "examples" / "nemo_rl" / "grpo_codekiln_1B.yaml"
    config = OmegaConf.to_container(OmegaConf.merge(load_config(str(base)), load_config(str(example))), resolve=True)
    assert config["grpo"]["max_rollout_turns"] == config["env"]["codekiln"]["max_turns"] == 2
    assert config["data"]["max_input_seq_length"] == config["policy"]["max_total_sequence_length"] == 2048
    assert config["loss_fn"] and config["cluster"]  # the rest comes from NeMo RL's own defaults

    config["data"]["codekiln"]["languages"] = ["python"]  # keep the test small
    train, validation, task_to_env, val_task_to_env = nemo_rl.setup_data(policy.tokenizer, config["data"],
                                                                         config["env"])
    try:
        assert task_to_env["codekiln"] is val_task_to_env["codekiln"]
        assert len(train) > len(validation) > 0
        datum = train[0]
        assert datum["task_name"] == "codekiln" and datum["extra_env_info"]["dataset"] == "families"
        # A first answer that fails: the example's two turns give it feedback in the model's chat template.
        log = [*datum["message_log"], {"role": "assistant", "content": "```python\ndef f(:\n```"}]
        result = ray.get(task_to_env["codekiln"].step.remote([log], [datum["extra_env_info"]]))
        assert result.terminateds.tolist() == [False] and result.rewards.tolist() == [0.0]
        assert result.observations[0]["content"].startswith("<|im_start|>user\nYour Python code has a syntax error.")
    finally:
        ray.get(task_to_env["codekiln"].shutdown.remote())
        ray.kill(task_to_env["codekiln"])
